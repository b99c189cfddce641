"""Deformable convolution in parallel Numba loops, forward and every gradient.

Each kernel point's bilinear geometry (corner indices, validity, fractions) is computed once
per (image, offset group, kernel point, output position) and reused for every channel of
that offset group.  Work is split so that no two threads write the same element:

- forward: over (image, output row); a thread owns y[n, :, p, :];
- input gradient (a scatter): over (image, input channel); every sample of channel c lands
  in x[n, c] only, so threads never collide and no atomics or buffers are needed;
- offset and mask gradients: over (image, output row), which owns offset[n, :, p, :];
- weight gradient: over input channels; channel c owns w[k, c % C/G, :, :] for the k of
  its group.
"""
import math

import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH
from kernels._registry import Algorithm
from kernels.deform.plan import DEFORM_OPS

numba = Algorithm("numba", ops=DEFORM_OPS, doc="direct loops, Numba parallel JIT")


@njit(cache=True, inline="always")
def _corners(yy, xx, H, W):
    """Bilinear geometry of the point (yy, xx): clamped rows y0, y1 and columns x0, x1,
    0/1 validity of the four corners (00, 01, 10, 11), and the fractions ly, lx.
    Outside (-1, H) x (-1, W) (or NaN) every corner is invalid: the sample is zero."""
    if not (yy > -1.0 and yy < H and xx > -1.0 and xx < W):
        return 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    fy, fx = math.floor(yy), math.floor(xx)
    r0, s0 = int(fy), int(fx)
    ok_r0, ok_r1 = r0 >= 0, r0 + 1 < H
    ok_s0, ok_s1 = s0 >= 0, s0 + 1 < W
    e00 = 1.0 if ok_r0 and ok_s0 else 0.0
    e01 = 1.0 if ok_r0 and ok_s1 else 0.0
    e10 = 1.0 if ok_r1 and ok_s0 else 0.0
    e11 = 1.0 if ok_r1 and ok_s1 else 0.0
    return (max(r0, 0), min(r0 + 1, H - 1), max(s0, 0), min(s0 + 1, W - 1),
            e00, e01, e10, e11, yy - fy, xx - fx)


@njit(cache=True, inline="always")
def _pixel(x, n, c, r, s, e):
    """x[n, c, r, s] for a corner inside the image (e = 1), else zero: never a product of 0
    with the clamped pixel, which would be NaN for a NaN or infinite pixel (torchvision
    does not read corners outside the image)."""
    return x[n, c, r, s] if e != 0.0 else x.dtype.type(0)


@njit(cache=True, inline="always")
def _point(off, n, t, p, q, i, j, sh, sw, ph, pw, dh, dw):
    yy = p * sh - ph + i * dh + np.float64(off[n, 2 * t, p, q])
    xx = q * sw - pw + j * dw + np.float64(off[n, 2 * t + 1, p, q])
    return yy, xx


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(x, off, m, w, b, y, sh, sw, ph, pw, dh, dw, G, G_off):
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    P, Q = y.shape[2], y.shape[3]
    Kg, C_off = K // G, C // G_off
    for task in prange(N * P):
        n, p = task // P, task % P
        for q in range(Q):
            for k in range(K):
                y[n, k, p, q] = b[k]
            for go in range(G_off):
                for i in range(R):
                    for j in range(S):
                        t = (go * R + i) * S + j
                        yy, xx = _point(off, n, t, p, q, i, j, sh, sw, ph, pw, dh, dw)
                        y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = _corners(yy, xx, H, W)
                        a00 = e00 * (1 - ly) * (1 - lx)
                        a01 = e01 * (1 - ly) * lx
                        a10 = e10 * ly * (1 - lx)
                        a11 = e11 * ly * lx
                        mv = m[n, t, p, q]
                        for c in range(go * C_off, (go + 1) * C_off):
                            v = mv * (a00 * _pixel(x, n, c, y0, x0, e00) + a01 * _pixel(x, n, c, y0, x1, e01)
                                      + a10 * _pixel(x, n, c, y1, x0, e10) + a11 * _pixel(x, n, c, y1, x1, e11))
                            g = c // Cg
                            for k in range(g * Kg, (g + 1) * Kg):
                                y[n, k, p, q] += w[k, c - g * Cg, i, j] * v


@njit(cache=True, inline="always")
def _grad_col(gy, w, n, c, i, j, p, q, Cg, Kg):
    """Gradient of the patch-matrix entry of channel c, kernel point (i, j), position (p, q)."""
    g = c // Cg
    acc = 0.0
    for k in range(g * Kg, (g + 1) * Kg):
        acc += w[k, c - g * Cg, i, j] * gy[n, k, p, q]
    return acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, x, off, m, w, gx, sh, sw, ph, pw, dh, dw, G, G_off):
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    P, Q = gy.shape[2], gy.shape[3]
    Kg, C_off = K // G, C // G_off
    for task in prange(N * C):
        n, c = task // C, task % C
        go = c // C_off
        for p in range(P):
            for q in range(Q):
                for i in range(R):
                    for j in range(S):
                        t = (go * R + i) * S + j
                        yy, xx = _point(off, n, t, p, q, i, j, sh, sw, ph, pw, dh, dw)
                        y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = _corners(yy, xx, H, W)
                        gs = m[n, t, p, q] * _grad_col(gy, w, n, c, i, j, p, q, Cg, Kg)
                        if e00 != 0.0:
                            gx[n, c, y0, x0] += gs * (1 - ly) * (1 - lx)
                        if e01 != 0.0:
                            gx[n, c, y0, x1] += gs * (1 - ly) * lx
                        if e10 != 0.0:
                            gx[n, c, y1, x0] += gs * ly * (1 - lx)
                        if e11 != 0.0:
                            gx[n, c, y1, x1] += gs * ly * lx


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_offset_mask(gy, x, off, m, w, goff, gm, sh, sw, ph, pw, dh, dw, G, G_off):
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    P, Q = gy.shape[2], gy.shape[3]
    Kg, C_off = K // G, C // G_off
    for task in prange(N * P):
        n, p = task // P, task % P
        for q in range(Q):
            for go in range(G_off):
                for i in range(R):
                    for j in range(S):
                        t = (go * R + i) * S + j
                        yy, xx = _point(off, n, t, p, q, i, j, sh, sw, ph, pw, dh, dw)
                        y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = _corners(yy, xx, H, W)
                        g_y = 0.0
                        g_x = 0.0
                        g_m = 0.0
                        for c in range(go * C_off, (go + 1) * C_off):
                            gc = _grad_col(gy, w, n, c, i, j, p, q, Cg, Kg)
                            v00 = _pixel(x, n, c, y0, x0, e00)
                            v01 = _pixel(x, n, c, y0, x1, e01)
                            v10 = _pixel(x, n, c, y1, x0, e10)
                            v11 = _pixel(x, n, c, y1, x1, e11)
                            val = (1 - ly) * ((1 - lx) * v00 + lx * v01) + ly * ((1 - lx) * v10 + lx * v11)
                            g_y += gc * ((1 - lx) * (v10 - v00) + lx * (v11 - v01))
                            g_x += gc * ((1 - ly) * (v01 - v00) + ly * (v11 - v10))
                            g_m += gc * val
                        mv = m[n, t, p, q]
                        goff[n, 2 * t, p, q] = mv * g_y
                        goff[n, 2 * t + 1, p, q] = mv * g_x
                        gm[n, t, p, q] = g_m


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_weight(gy, x, off, m, gw, sh, sw, ph, pw, dh, dw, G, G_off):
    N, C, H, W = x.shape
    K, Cg, R, S = gw.shape
    P, Q = gy.shape[2], gy.shape[3]
    Kg, C_off = K // G, C // G_off
    for c in prange(C):
        g, go = c // Cg, c // C_off
        cc = c - g * Cg
        for k in range(g * Kg, (g + 1) * Kg):
            gw[k, cc] = 0.0
        for n in range(N):
            for i in range(R):
                for j in range(S):
                    t = (go * R + i) * S + j
                    for p in range(P):
                        for q in range(Q):
                            yy, xx = _point(off, n, t, p, q, i, j, sh, sw, ph, pw, dh, dw)
                            y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = _corners(yy, xx, H, W)
                            v = m[n, t, p, q] * (
                                (1 - ly) * ((1 - lx) * _pixel(x, n, c, y0, x0, e00)
                                            + lx * _pixel(x, n, c, y0, x1, e01))
                                + ly * ((1 - lx) * _pixel(x, n, c, y1, x0, e10)
                                        + lx * _pixel(x, n, c, y1, x1, e11)))
                            for k in range(g * Kg, (g + 1) * Kg):
                                gw[k, cc, i, j] += gy[n, k, p, q] * v


def _args(p):
    return (*p.stride, *p.pad_lo, *p.dilation, p.G, p.G_off)


def _mask(m, p):
    """The mask, or ones where there is none (multiplying by 1 is exact)."""
    return m if m is not None else np.ones((p.N, p.G_off * p.kernel[0] * p.kernel[1], *p.out), p.dtype)


@numba.forward
def forward(x, off, w, b, m, p):
    y = empty(p.out_shape, p.dtype)
    bias = b if b is not None else np.zeros(p.K, p.dtype)
    _forward(x, off, _mask(m, p), w, bias, y, *_args(p))
    return y


@numba.backward
def backward(gy, x, off, w, b, m, p):
    mv = _mask(m, p)
    gx = np.zeros_like(x)
    _grad_input(gy, x, off, mv, w, gx, *_args(p))
    goff, gm = empty(off.shape, p.dtype), empty(mv.shape, p.dtype)
    _grad_offset_mask(gy, x, off, mv, w, goff, gm, *_args(p))
    gw = empty(w.shape, p.dtype)
    _grad_weight(gy, x, off, mv, gw, *_args(p))
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, goff, gw, gb, gm if m is not None else None
