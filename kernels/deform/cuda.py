"""Deformable convolution in Numba CUDA kernels, forward and every gradient.

As ``im2col`` but on the GPU: the deformable patch matrix (the bilinear samples times
the mask, Dai et al. 2017; Zhu et al. 2019), then the convolution as GEMMs with the tiled
GEMM kernel of ``kernels.conv.cuda`` (one launch per weight group, batched over images).

- columns: cols[n, c*R*S + t, p*Q + q] = mask * bilinear sample of x[n, c] at kernel
  point t = i*S + j of output (p, q), one thread per entry (the same kernel, run as its
  adjoint, gives the input gradient);
- forward: y[n, g] (Kg x PQ) = w[g] (Kg x Cg*R*S) @ cols[n, g] (+ bias);
- backward: gcols[n, g] = w[g]^T @ gy[n, g] (GEMM with a transposed operand: swapped
  strides); the weight gradient sum_n gy[n, g] @ cols[n, g]^T as per-image partial
  products summed by ``_cuda.sum_rows``; the input gradient scatters each gcols entry
  (times the mask) to its four bilinear corners with atomic adds (several samples reach
  one pixel); the offset and mask gradients, one thread per (image, offset group, kernel
  point, output position), sum over the channels of the offset group; the bias gradient
  is ``_cuda.channel_sums`` of gy.
"""
import functools
import math

from numba import cuda as nbcuda

from kernels import _cuda
from kernels._params import prod
from kernels._registry import Algorithm
from kernels.deform.plan import DEFORM_OPS

cuda = Algorithm("cuda", ops=DEFORM_OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: deformable im2col, tiled GEMM, atomic bilinear scatter")


@cuda.supports
def supports(p):
    if p.N > _cuda.MAX_GRID_Z:  # the GEMM runs one grid layer per image
        return f"a batch above {_cuda.MAX_GRID_Z}"
    return _cuda.simulator_limit(p.samples)


@functools.cache
def _corners(dt):
    @nbcuda.jit(device=True)
    def corners(yy, xx, H, W):
        """Bilinear geometry of the point (yy, xx): clamped rows and columns, the four
        corner weights (zero for a corner outside the image) and the fractions."""
        if not (yy > -1 and yy < H and xx > -1 and xx < W):
            z = dt(0)
            return 0, 0, 0, 0, z, z, z, z, z, z
        r0, s0 = int(math.floor(yy)), int(math.floor(xx))
        ly, lx = yy - dt(r0), xx - dt(s0)
        e00 = dt(1) if r0 >= 0 and s0 >= 0 else dt(0)
        e01 = dt(1) if r0 >= 0 and s0 + 1 < W else dt(0)
        e10 = dt(1) if r0 + 1 < H and s0 >= 0 else dt(0)
        e11 = dt(1) if r0 + 1 < H and s0 + 1 < W else dt(0)
        return (r0 if r0 > 0 else 0, r0 + 1 if r0 + 1 < H else H - 1,
                s0 if s0 > 0 else 0, s0 + 1 if s0 + 1 < W else W - 1,
                e00, e01, e10, e11, ly, lx)
    return corners


@functools.cache
def _pixel(dt):
    @nbcuda.jit(device=True)
    def pixel(x, n, c, r, s, e):
        """x[n, c, r, s] for a corner inside the image, else zero (never 0 times a clamped
        pixel, which is NaN for a NaN or infinite one)."""
        return x[n, c, r, s] if e != 0 else dt(0)
    return pixel


@functools.cache
def _point(dt):
    @nbcuda.jit(device=True)
    def point(off, n, to, p, q, i, j, geo):
        """The sampling point of kernel point (i, j) at output (p, q); to: offset row."""
        sh, sw, ph, pw, dh, dw = geo
        yy = dt(p * sh - ph + i * dh) + off[n, 2 * to, p, q]
        xx = dt(q * sw - pw + j * dw) + off[n, 2 * to + 1, p, q]
        return yy, xx
    return point


@_cuda.per_dtype
def columns_kernel(dt):
    corners, point, pixel = _corners(dt), _point(dt), _pixel(dt)

    @nbcuda.jit
    def columns(x, off, m, has_mask, cols, R, S, G_off, geo, adjoint):
        """One thread per patch-matrix entry cols[n, c*R*S + t, p*Q + q]: the bilinear
        sample of x[n, c] at its point times the mask, or (adjoint: the input gradient,
        x zeroed, cols holding their gradient) the entry times the mask added to x at the
        sample's four corners."""
        i_ = nbcuda.grid(1)
        N, C, H, W = x.shape
        P, Q = off.shape[2], off.shape[3]
        RS, PQ = R * S, P * Q
        if i_ >= N * C * RS * PQ:
            return
        pq = i_ % PQ
        t = (i_ // PQ) % RS
        c = (i_ // (PQ * RS)) % C
        n = i_ // (PQ * RS * C)
        p, q, i, j = pq // Q, pq % Q, t // S, t % S
        to = (c // (C // G_off)) * RS + t
        yy, xx = point(off, n, to, p, q, i, j, geo)
        y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = corners(yy, xx, H, W)
        mv = m[n, to, p, q] if has_mask else dt(1)
        if not adjoint:
            v = ((dt(1) - ly) * ((dt(1) - lx) * pixel(x, n, c, y0, x0, e00) + lx * pixel(x, n, c, y0, x1, e01))
                 + ly * ((dt(1) - lx) * pixel(x, n, c, y1, x0, e10) + lx * pixel(x, n, c, y1, x1, e11)))
            cols[n, c * RS + t, pq] = v * mv
            return
        gs = cols[n, c * RS + t, pq] * mv
        if e00 != 0:
            nbcuda.atomic.add(x, (n, c, y0, x0), gs * (dt(1) - ly) * (dt(1) - lx))
        if e01 != 0:
            nbcuda.atomic.add(x, (n, c, y0, x1), gs * (dt(1) - ly) * lx)
        if e10 != 0:
            nbcuda.atomic.add(x, (n, c, y1, x0), gs * ly * (dt(1) - lx))
        if e11 != 0:
            nbcuda.atomic.add(x, (n, c, y1, x1), gs * ly * lx)
    return columns


@_cuda.per_dtype
def grad_offset_mask_kernel(dt):
    corners, point, pixel = _corners(dt), _point(dt), _pixel(dt)

    @nbcuda.jit
    def grad_offset_mask(gcols, x, off, m, has_mask, goff, gm, R, S, geo):
        """One thread per (n, offset group, kernel point, output position): the offset's
        and mask's gradients, summed over the offset group's channels."""
        i_ = nbcuda.grid(1)
        N, C, H, W = x.shape
        P, Q = off.shape[2], off.shape[3]
        RS, PQ = R * S, P * Q
        G_off = off.shape[1] // (2 * RS)
        if i_ >= N * G_off * RS * PQ:
            return
        pq = i_ % PQ
        to = (i_ // PQ) % (G_off * RS)      # = go * RS + t
        n = i_ // (PQ * RS * G_off)
        go, t = to // RS, to % RS
        p, q, i, j = pq // Q, pq % Q, t // S, t % S
        yy, xx = point(off, n, to, p, q, i, j, geo)
        y0, y1, x0, x1, e00, e01, e10, e11, ly, lx = corners(yy, xx, H, W)
        g_y = dt(0)
        g_x = dt(0)
        g_m = dt(0)
        C_off = C // G_off
        for c in range(go * C_off, (go + 1) * C_off):
            gc = gcols[n, c * RS + t, pq]
            v00 = pixel(x, n, c, y0, x0, e00)
            v01 = pixel(x, n, c, y0, x1, e01)
            v10 = pixel(x, n, c, y1, x0, e10)
            v11 = pixel(x, n, c, y1, x1, e11)
            val = ((dt(1) - ly) * ((dt(1) - lx) * v00 + lx * v01)
                   + ly * ((dt(1) - lx) * v10 + lx * v11))
            g_y += gc * ((dt(1) - lx) * (v10 - v00) + lx * (v11 - v01))
            g_x += gc * ((dt(1) - ly) * (v01 - v00) + ly * (v11 - v10))
            g_m += gc * val
        mv = m[n, to, p, q] if has_mask else dt(1)
        goff[n, 2 * to, p, q] = mv * g_y
        goff[n, 2 * to + 1, p, q] = mv * g_x
        if has_mask:
            gm[n, to, p, q] = g_m
    return grad_offset_mask


def _geo(p):
    return (*p.stride, *p.pad_lo, *p.dilation)


def _columns(x, off, m, p):
    R, S = p.kernel
    cols = nbcuda.device_array((p.N, p.C * R * S, prod(p.out)), p.dtype)
    has_mask = m is not None
    columns_kernel(p.dtype)[_cuda.blocks(cols.size), _cuda.TPB](
        x, off, m if has_mask else off, has_mask, cols, R, S, p.G_off, _geo(p), False)
    return cols


@cuda.forward
def forward(x, off, w, b, m, p):
    (x, off, w, b, m), host = _cuda.device_arrays(x, off, w, b, m)
    cols = _columns(x, off, m, p)
    y = _cuda.empty(p.out_shape, p.dtype)
    CRS, PQ = p.Cg * prod(p.kernel), prod(p.out)
    fw, fc, fy = _cuda.flat(w), _cuda.flat(cols), _cuda.flat(y)
    for g in range(p.G):
        _cuda.gemm(fw[g * p.Kg * CRS:], fc[g * CRS * PQ:], fy[g * p.Kg * PQ:],
                   None if b is None else b[g * p.Kg:], p.Kg, PQ, CRS, p.N,
                   (0, CRS, 1), (p.C * prod(p.kernel) * PQ, PQ, 1), (p.K * PQ, PQ, 1))
    return _cuda.result(y, host)


def _grad_columns_weight(gy, w, cols, p):
    """(gcols, gw): the patch matrix's and the weight's gradients, per weight group."""
    R, S = p.kernel
    CRS, PQ, RS = p.Cg * R * S, prod(p.out), R * S
    gcols = nbcuda.device_array(cols.shape, p.dtype)
    gw = _cuda.empty((p.K, p.Cg, R, S), p.dtype)
    fw, fgy, fc, fgc, fgw = (_cuda.flat(a) for a in (w, gy, cols, gcols, gw))
    part = nbcuda.device_array((p.N, p.Kg * CRS), p.dtype)
    for g in range(p.G):
        # gcols[n, g] = w[g]^T (CRS x Kg) @ gy[n, g] (Kg x PQ)
        _cuda.gemm(fw[g * p.Kg * CRS:], fgy[g * p.Kg * PQ:], fgc[g * CRS * PQ:], None,
                   CRS, PQ, p.Kg, p.N, (0, 1, CRS), (p.K * PQ, PQ, 1), (p.C * RS * PQ, PQ, 1))
        # gw[g] = sum over n of gy[n, g] (Kg x PQ) @ cols[n, g]^T (PQ x CRS)
        _cuda.gemm(fgy[g * p.Kg * PQ:], fc[g * CRS * PQ:], part, None, p.Kg, CRS, PQ, p.N,
                   (p.K * PQ, PQ, 1), (p.C * RS * PQ, 1, PQ), (p.Kg * CRS, CRS, 1))
        _cuda.sum_rows(part, fgw[g * p.Kg * CRS:(g + 1) * p.Kg * CRS])
    return gcols, gw


@cuda.backward
def backward(gy, x, off, w, b, m, p):
    (gy, x, off, w, b, m), host = _cuda.device_arrays(gy, x, off, w, b, m)
    R, S = p.kernel
    gcols, gw = _grad_columns_weight(gy, w, _columns(x, off, m, p), p)
    has_mask = m is not None
    m_ = m if has_mask else off  # a stand-in of the same type, never read
    gx = _cuda.zeros(x.shape, p.dtype)
    columns_kernel(p.dtype)[_cuda.blocks(gcols.size), _cuda.TPB](
        gx, off, m_, has_mask, gcols, R, S, p.G_off, _geo(p), True)
    goff = _cuda.empty(off.shape, p.dtype)
    gm = _cuda.empty(m.shape, p.dtype) if has_mask else None
    points = p.N * p.G_off * R * S * prod(p.out)  # (image, offset group, tap, output)
    grad_offset_mask_kernel(p.dtype)[_cuda.blocks(points), _cuda.TPB](
        gcols, x, off, m_, has_mask, goff, gm if has_mask else off, R, S, _geo(p))
    gb = _cuda.channel_sums(gy.reshape(p.N, p.K, prod(p.out))) if b is not None else None
    return tuple(_cuda.result(a, host) for a in (gx, goff, gw, gb, gm))
