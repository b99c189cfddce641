"""Deformable convolution as DCN implements it: the deformable im2col, then GEMM.

The deformable patch matrix holds, for every input channel c, kernel point (i, j) and output
position l, the bilinear sample m * x[n, c](y, x) at that point's offset location (Dai et
al. 2017, sec. 2; the mask m of Zhu et al. 2019).  Then per image and group, exactly as
conv2d's im2col:  y[n, g] = w[g] (K/G, C/G*R*S) @ cols[n, g] (C/G*R*S, P*Q).

Backward: grad_w = gy @ cols^T and grad_cols = w^T @ gy (two GEMMs); grad_cols then goes
back through the sampling: to the four pixels of each sample (a scatter-add, here one
bincount), to the offset through the derivative of the bilinear weights, and to the mask
through the unmasked sample.

Both passes run over runs of whole images whose samples fit ``CHUNK_SAMPLES``: each sample
has about ten float64 intermediates (corner values, fractions, derivatives, scatter
indices), so the whole batch at once would need ten times its patch matrix.
"""
from dataclasses import replace

import numpy as np

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels.deform.plan import DEFORM_OPS

CHUNK_SAMPLES = 2 ** 21   # samples of one run of images (about 160 MiB of intermediates)

im2col = Algorithm("im2col", ops=DEFORM_OPS, doc="deformable patch matrix + one GEMM per group")


def sampling_points(off, p):
    """The real sampling coordinates y, x, each (N, G_off, R*S*P*Q)."""
    (R, S), (P, Q) = p.kernel, p.out
    (sh, sw), (dh, dw), (ph, pw) = p.stride, p.dilation, p.pad_lo
    o = off.reshape(p.N, p.G_off, R, S, 2, P, Q).astype(np.float64)
    i, j = np.arange(R)[:, None, None, None], np.arange(S)[None, :, None, None]
    pp, qq = np.arange(P)[None, None, :, None], np.arange(Q)[None, None, None, :]
    y = (pp * sh - ph + i * dh) + o[:, :, :, :, 0]
    x = (qq * sw - pw + j * dw) + o[:, :, :, :, 1]
    # a NaN or infinite offset samples nowhere (zero), as in the numba kernels; this also
    # keeps every index computed below inside the image
    y, x = (np.where(np.isfinite(y) & np.isfinite(x), c, -2.0) for c in (y, x))
    return y.reshape(p.N, p.G_off, -1), x.reshape(p.N, p.G_off, -1)


def corners(y, x, H, W):
    """For the four pixels around each point: flat index (clamped into the image), and the
    0/1 factor that zeroes the ones outside, as [(index, inside)] in the order
    (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1); plus the fractions ly, lx."""
    y0, x0 = np.floor(y), np.floor(x)
    out = []
    for r in (y0, y0 + 1):
        for s in (x0, x0 + 1):
            inside = (r >= 0) & (r < H) & (s >= 0) & (s < W)
            idx = np.clip(r, 0, H - 1).astype(np.int64) * W + np.clip(s, 0, W - 1).astype(np.int64)
            out.append((idx, inside))
    return out, y - y0, x - x0


def corner_values(x, cs, p):
    """Pixel values at each corner, zero outside: 4 arrays (N, G_off, C/G_off, R*S*P*Q)."""
    img = x.reshape(p.N, p.G_off, p.C_off, prod(p.size))
    # np.where, not a product with the 0/1 factor: a NaN or infinite pixel at a clamped
    # index outside the image must read zero (torchvision does not read it)
    return [np.where(inside[:, :, None, :], np.take_along_axis(img, idx[:, :, None, :], axis=3), 0)
            for idx, inside in cs]


def bilinear(v, ly, lx):
    """Sample value and its derivatives in y and x from the corner values v00, v01, v10, v11."""
    v00, v01, v10, v11 = v
    ly, lx = ly[:, :, None, :], lx[:, :, None, :]
    val = (1 - ly) * ((1 - lx) * v00 + lx * v01) + ly * ((1 - lx) * v10 + lx * v11)
    d_y = (1 - lx) * (v10 - v00) + lx * (v11 - v01)
    d_x = (1 - ly) * (v01 - v00) + ly * (v11 - v10)
    return val, d_y, d_x


def _mask(m, p):
    if m is None:
        return 1.0
    return m.reshape(p.N, p.G_off, 1, -1)


def _wmat(w, p):
    return w.reshape(p.G, p.Kg, p.Cg * prod(p.kernel))


def _geometry(x, off, p):
    cs, ly, lx = corners(*sampling_points(off, p), *p.size)
    return cs, ly, lx, corner_values(x, cs, p)


def chunks(p):
    """(n0, n1, plan of images n0..n1): runs of whole images of at most ``CHUNK_SAMPLES``
    samples (at least one image each)."""
    per_image = p.samples // p.N
    n = max(1, CHUNK_SAMPLES // max(per_image, 1))
    for n0 in range(0, p.N, n):
        n1 = min(p.N, n0 + n)
        yield n0, n1, replace(p, N=n1 - n0)


def _part(m, n0, n1):
    return None if m is None else m[n0:n1]


@im2col.forward
def forward(x, off, w, b, m, p):
    y = empty((p.N, p.G, p.Kg, prod(p.out)), p.dtype)
    for n0, n1, q in chunks(p):
        _, ly, lx, v = _geometry(x[n0:n1], off[n0:n1], q)
        val = bilinear(v, ly, lx)[0] * _mask(_part(m, n0, n1), q)  # (n, G_off, C/G_off, R*S*P*Q)
        cols = val.astype(p.dtype).reshape(q.N, p.G, p.Cg * prod(p.kernel), prod(p.out))
        np.matmul(_wmat(w, p), cols, out=y[n0:n1])
    y = y.reshape(p.out_shape)
    if b is not None:
        y += b[:, None, None]
    return y


@im2col.backward
def backward(gy, x, off, w, b, m, p):
    gx, goff = empty(x.shape, p.dtype), empty(off.shape, p.dtype)
    gm = None if m is None else empty(m.shape, p.dtype)
    gw = np.zeros(w.shape, np.float64)   # several runs' sums add up in float64
    for n0, n1, q in chunks(p):
        gw += _backward_part(gy[n0:n1], x[n0:n1], off[n0:n1], w, _part(m, n0, n1), q,
                             gx[n0:n1], goff[n0:n1], _part(gm, n0, n1))
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, goff, gw.astype(p.dtype), gb, gm


def _backward_part(gy, x, off, w, m, p, gx, goff, gm):
    """Gradients of one run of images (the plan ``p`` of that run) into gx, goff and gm;
    returns its weight gradient."""
    cs, ly, lx, v = _geometry(x, off, p)
    val, d_y, d_x = bilinear(v, ly, lx)
    mv = _mask(m, p)
    gy_mat = gy.reshape(p.N, p.G, p.Kg, prod(p.out))
    cols = (val * mv).astype(p.dtype).reshape(p.N, p.G, p.Cg * prod(p.kernel), prod(p.out))
    gw = np.matmul(gy_mat, cols.transpose(0, 1, 3, 2)).sum(axis=0, dtype=np.float64).reshape(w.shape)
    gcols = np.matmul(_wmat(w, p).transpose(0, 2, 1), gy_mat)
    gcols = gcols.reshape(p.N, p.G_off, p.C_off, -1).astype(np.float64)  # same (c, i, j, l) order
    gs = gcols * mv  # gradient of the unmasked sample
    d = np.stack([(gs * d_y).sum(axis=2), (gs * d_x).sum(axis=2)], axis=2)  # (N, G_off, 2, T)
    R, S = p.kernel
    goff[...] = d.reshape(p.N, p.G_off, 2, R * S, *p.out).transpose(0, 1, 3, 2, 4, 5).reshape(off.shape)
    if gm is not None:
        gm[...] = (gcols * val).sum(axis=2).reshape(m.shape)
    gx[...] = _scatter(gs, cs, ly, lx, p)
    return gw


def _scatter(gs, cs, ly, lx, p):
    """Input gradient: each sample's gradient, times each corner's bilinear weight, added
    onto that pixel (col2im of the deformable patch matrix), as one bincount."""
    HW = prod(p.size)
    base = (np.arange(p.N * p.C) * HW).reshape(p.N, p.G_off, p.C_off, 1)
    ly, lx = ly[:, :, None, :], lx[:, :, None, :]
    weights = ((1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx)
    idx = np.concatenate([np.broadcast_to(base + idx[:, :, None, :], gs.shape).ravel()
                          for idx, _ in cs])
    vals = np.concatenate([np.where(inside[:, :, None, :], gs * a, 0).ravel()
                           for a, (_, inside) in zip(weights, cs)])
    gx = np.bincount(idx, weights=vals, minlength=p.N * p.C * HW)
    return gx.reshape(p.N, p.C, *p.size).astype(p.dtype)
