"""Convolution in Numba CUDA kernels, forward and both gradients.

Every case runs as a 3D convolution of 5-D arrays (N, C, D, H, W), as in ``numba.py``:
conv1d and conv2d add unit dimensions, so one set of kernels per dtype serves all three.
Padding is never materialised: taps that fall outside the input read zero.  (Kernels
write ``a if a < b else b`` for ``min``: Numba compiles its ``min`` lazily for the current
device, which the no-GPU PTX check in tests/test_cuda.py does not have.)

- forward, direct: a block computes a TH x TW tile of output pixels (one per thread) for
  KB output channels.  For each input channel and depth tap it stages in shared memory
  the input tile with its halo, ((TH-1)*stride+(R-1)*dilation+1) x (... W ...), and the
  KB x R x S filter slice, so each input element is read from global memory once per
  tile instead of once per tap and channel.
- forward, 1x1 (stride 1, no padding, one group): Y[n] = W (K x C) @ X[n] (C x HW), a
  shared-memory tiled GEMM with register blocking.  Its backward is the same GEMM with
  transposed operands (strides swapped): dX[n] = W^T dY[n], and dW = sum_n dY[n] X[n]^T
  as split-K partial products (per image and chunk of pixels) summed in a second pass.
- grad_input: the transposed convolution in gather form (one thread per input element
  sums the output gradients its taps reached), so no atomics.
- grad_weight: a correlation of the input with the output gradient, as a two-pass
  reduction: pass 1 sums chunks of the output rows per weight element, pass 2 adds the
  chunks (deterministic, no atomics).  grad_bias: the output gradient summed per channel.

``conv``, ``grad_input``, ``grad_weight`` and ``grad_bias`` run these passes on device arrays
for any ConvPlan: the transposed convolution (whose forward is ``grad_input`` with a bias)
and the depthwise backward are built from them.
"""
import functools

import numpy as np
from numba import cuda as nbcuda

from kernels import _cuda
from kernels._registry import Algorithm
from kernels.conv.plan import CONV_OPS, as5d, lift

cuda = Algorithm("cuda", ops=CONV_OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: shared-memory tiled direct conv, tiled GEMM for 1x1")

KB = 8  # output channels per thread in the direct forward: each staged tile feeds KB


def _geometry(p):
    return lift(p.stride, p.nd, 1), lift(p.dilation, p.nd, 1), lift(p.pad_lo, p.nd, 0)


def is_1x1(p) -> bool:
    """The GEMM case.  ``out == size`` too: a transposed convolution's plan (``p.conv``)
    may cut the output short of the input (output_padding with dilation)."""
    return (all(k == 1 for k in p.kernel) and all(s == 1 for s in p.stride)
            and not any(p.pad_lo) and not any(p.pad_hi) and p.G == 1
            and tuple(p.out) == tuple(p.size))


def tile(p, tpb):
    """(TH, TW): the output tile of one block, within TPB threads and shared memory;
    None if even one output pixel's halo and filter slice do not fit."""
    (_, sh, sw), (_, dh, dw), _ = _geometry(p)
    R, S = lift(p.kernel, p.nd, 1)[1:]
    return _cuda.fit_tile(lift(p.out, p.nd, 1)[1:], (sh, sw), (dh, dw), (R, S),
                          min(KB, p.Kg) * R * S, p.dtype.itemsize, tpb)


@cuda.supports
def supports(p):
    if is_1x1(p):  # the GEMM runs one grid layer per image
        limit = _cuda.MAX_GRID_Z
        return None if p.N <= limit else f"1x1 with a batch above {limit}"
    if tile(p, 1) is None:
        return "the filter and its input halo do not fit in shared memory"
    return None


# ---- kernels ------------------------------------------------------------------------------

@nbcuda.jit(device=True)
def _block_tile(blk, OD, G, nkb, nth, ntw):
    """(n, od, g, kb, tile row, tile column) of the direct forward's block ``blk``."""
    bw = blk % ntw
    bh = (blk // ntw) % nth
    kb = (blk // (ntw * nth)) % nkb
    g = (blk // (ntw * nth * nkb)) % G
    od = (blk // (ntw * nth * nkb * G)) % OD
    n = blk // (ntw * nth * nkb * G * OD)
    return n, od, g, kb, bh, bw


@functools.cache
def _stage(dt):
    load_tile = _cuda.tile_loader(dt)

    @nbcuda.jit(device=True)
    def stage(smem, x, w, n, ci, c, z, t, ih0, iw0, XW, NX, k0, nk):
        """smem = [the input tile from x[n, ci, z, ih0, iw0], NX = XH*XW elements (zero
        outside the input) | the filter slice w[k0:k0+nk, c, t]], the block's threads
        copying every blockDim-th element."""
        load_tile(smem, x[n, ci, z], ih0, iw0, XW, NX)
        R, S = w.shape[3], w.shape[4]
        RS = R * S
        for e in range(nbcuda.threadIdx.x, nk * RS, nbcuda.blockDim.x):
            rs = e % RS
            smem[NX + e] = w[k0 + e // RS, c, t, rs // S, rs % S]
    return stage


@_cuda.per_dtype
def direct_forward_kernel(dt):
    stage = _stage(dt)

    @nbcuda.jit
    def direct_forward(x, w, b, y, stride, dil, plo, G, has_bias, TH, TW, XH, XW):
        D = x.shape[2]
        K, Cg, T, R, S = w.shape
        OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
        sd, sh, sw = stride
        dd, dh, dw = dil
        pd, ph, pw = plo
        Kg = K // G
        n, od, g, kb, bh, bw = _block_tile(nbcuda.blockIdx.x, OD, G, (Kg + KB - 1) // KB,
                                           (OH + TH - 1) // TH, (OW + TW - 1) // TW)
        k0 = g * Kg + kb * KB
        nk = (g + 1) * Kg - k0
        nk = KB if nk > KB else nk
        tid = nbcuda.threadIdx.x
        ty, tx = tid // TW, tid % TW
        oh, ow = bh * TH + ty, bw * TW + tx
        active = ty < TH and oh < OH and ow < OW
        ih0, iw0 = bh * TH * sh - ph, bw * TW * sw - pw   # top-left of the input tile
        RS = R * S
        NX = XH * XW
        smem = nbcuda.shared.array(0, dt)       # [input tile XH*XW | filter slice nk*R*S]
        acc = nbcuda.local.array(KB, dt)
        for j in range(KB):
            acc[j] = dt(0)
        for c in range(Cg):
            ci = g * Cg + c
            for t in range(T):
                z = od * sd + t * dd - pd
                if z < 0 or z >= D:            # the same for the whole block
                    if active:                 # the padding's zeros times the filter slice:
                        for j in range(KB):    # NaN where it holds NaN or an infinity
                            if j < nk:
                                for r in range(R):
                                    for s in range(S):
                                        acc[j] += dt(0) * w[k0 + j, c, t, r, s]
                    continue
                stage(smem, x, w, n, ci, c, z, t, ih0, iw0, XW, NX, k0, nk)
                nbcuda.syncthreads()
                if active:
                    for r in range(R):
                        row = (ty * sh + r * dh) * XW + tx * sw
                        for s in range(S):
                            xv = smem[row + s * dw]
                            for j in range(KB):    # a constant trip count keeps
                                if j < nk:          # acc in registers (unrolled)
                                    acc[j] += xv * smem[NX + j * RS + r * S + s]
                nbcuda.syncthreads()
        if active:
            for j in range(KB):
                if j >= nk:
                    break
                v = acc[j]
                if has_bias:
                    v += b[k0 + j]
                y[n, k0 + j, od, oh, ow] = v
    return direct_forward


@_cuda.per_dtype
def grad_input_kernel(dt):
    @nbcuda.jit
    def grad_input(gy, w, b, gx, stride, dil, plo, G, has_bias):
        """gx = the input gradient, plus b[ci] if has_bias (a transposed convolution's
        forward is this kernel, with that op's bias)."""
        i = nbcuda.grid(1)
        N, C, D, H, W = gx.shape
        if i >= N * C * D * H * W:
            return
        K, Cg, T, R, S = w.shape
        OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
        sd, sh, sw = stride
        dd, dh, dw = dil
        pd, ph, pw = plo
        n, ci, iz, ih, iw = _cuda.unravel5(i, gx.shape)
        g = ci // Cg
        c = ci - g * Cg
        Kg = K // G
        acc = dt(0)
        for t in range(T):
            a = iz + pd - t * dd               # = od * sd for the output this tap came from
            if a < 0 or a % sd != 0 or a // sd >= OD:
                continue
            od = a // sd
            for r in range(R):
                bh = ih + ph - r * dh
                if bh < 0 or bh % sh != 0 or bh // sh >= OH:
                    continue
                oh = bh // sh
                for s in range(S):
                    bw = iw + pw - s * dw
                    if bw < 0 or bw % sw != 0 or bw // sw >= OW:
                        continue
                    ow = bw // sw
                    for k in range(g * Kg, (g + 1) * Kg):
                        acc += gy[n, k, od, oh, ow] * w[k, c, t, r, s]
        if has_bias:
            acc += b[ci]
        gx[n, ci, iz, ih, iw] = acc
    return grad_input


@_cuda.per_dtype
def grad_weight_partial_kernel(dt):
    @nbcuda.jit
    def grad_weight_partial(gy, x, part, wdims, stride, dil, plo, G, per):
        """part[j, (k, c, t, r, s)] = the weight gradient summed over the j-th chunk of
        ``per`` output rows (n, od, oh).  A tap in the padding multiplies grad_out by the
        padding's zero rather than being skipped, as torch's loops (im2col) do, so that a
        NaN or infinite grad_out (a transposed convolution's input) gives NaN there too."""
        i = nbcuda.grid(1)
        J, NW = part.shape
        if i >= J * NW:
            return
        N, C, D, H, W = x.shape
        OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
        K, Cg, T, R, S = wdims
        sd, sh, sw = stride
        dd, dh, dw = dil
        pd, ph, pw = plo
        j, wi = i // NW, i % NW
        s = wi % S
        r = (wi // S) % R
        t = (wi // (S * R)) % T
        c = (wi // (S * R * T)) % Cg
        k = wi // (S * R * T * Cg)
        ci = (k // (K // G)) * Cg + c
        acc = dt(0)
        q1 = (j + 1) * per
        for q in range(j * per, q1 if q1 < N * OD * OH else N * OD * OH):
            oh = q % OH
            od = (q // OH) % OD
            n = q // (OH * OD)
            iz = od * sd + t * dd - pd
            ih = oh * sh + r * dh - ph
            row = iz >= 0 and iz < D and ih >= 0 and ih < H
            for ow in range(OW):
                iw = ow * sw + s * dw - pw
                if row and iw >= 0 and iw < W:
                    acc += gy[n, k, od, oh, ow] * x[n, ci, iz, ih, iw]
                else:
                    acc += gy[n, k, od, oh, ow] * dt(0)
        part[j, wi] = acc
    return grad_weight_partial


# ---- launches -----------------------------------------------------------------------------

def _gemm_grad_weight(gy, x, gw, p):
    """dW (K x C) = sum over n of dY[n] (K x L) @ X[n]^T (L x C): one split-K GEMM per
    image into partial products, then their sum."""
    L, C, K = int(np.prod(p.out)), p.C, p.K
    t = _cuda.tile_side() * _cuda.RB
    tiles = _cuda.blocks(K, t) * _cuda.blocks(C, t) * _cuda.tile_side() ** 2 * p.N
    nks, _ = _cuda.chunks(L, tiles)
    nks = min(nks, max(1, _cuda.MAX_GRID_Z // p.N))
    part = nbcuda.device_array((p.N * nks, K * C), p.dtype)
    _cuda.gemm(gy, x, part, None, K, C, L, p.N, (K * L, L, 1), (C * L, 1, L), (K * C, C, 1), nks)
    _cuda.sum_rows(part, _cuda.flat(gw))


def _forward_direct(x, w, b, y, p):
    x5, w5, y5 = as5d(x, p.nd), as5d(w, p.nd), as5d(y, p.nd)
    stride, dil, plo = _geometry(p)
    th, tw = tile(p, _cuda.TPB)
    R, S = w5.shape[3], w5.shape[4]
    xh, xw = _cuda.halo(th, tw, stride[1:], dil[1:], (R, S))
    OD, OH, OW = y5.shape[2:]
    nblocks = p.N * OD * p.G * -(-p.Kg // KB) * -(-OH // th) * -(-OW // tw)
    shared = (xh * xw + min(KB, p.Kg) * R * S) * p.dtype.itemsize
    has_bias = b is not None
    direct_forward_kernel(p.dtype)[nblocks, _cuda.tile_threads(th, tw), 0, shared](
        x5, w5, b if has_bias else _cuda.flat(y), y5, stride, dil, plo, p.G, has_bias,
        th, tw, xh, xw)


# ---- the three passes on device arrays: also the transposed convolution's passes and the
# depthwise backward (kernels/transposed/cuda.py, kernels/depthwise/cuda.py) -----------------

def conv(x, w, b, p):
    """The convolution of plan p (+ bias b or None): a new device array."""
    y = _cuda.empty(p.out_shape, p.dtype)
    if is_1x1(p):
        L = int(np.prod(p.out))
        _cuda.gemm(w, x, y, b, p.K, L, p.C, p.N, (0, p.C, 1), (p.C * L, L, 1), (p.K * L, L, 1))
    else:
        _forward_direct(x, w, b, y, p)
    return y


def grad_input(gy, w, p, b=None):
    """The input gradient of plan p, plus b (C,) per input channel when given (the
    transposed convolution's bias): a new device array."""
    gx = _cuda.empty(p.in_shape, p.dtype)
    if is_1x1(p):
        L, C, K = int(np.prod(p.out)), p.C, p.K
        _cuda.gemm(w, gy, gx, b, C, L, K, p.N, (0, 1, C), (K * L, L, 1), (C * L, L, 1))
        return gx
    stride, dil, plo = _geometry(p)
    has_bias = b is not None
    grad_input_kernel(p.dtype)[_cuda.blocks(gx.size), _cuda.TPB](
        as5d(gy, p.nd), as5d(w, p.nd), b if has_bias else _cuda.flat(gx), as5d(gx, p.nd),
        stride, dil, plo, p.G, has_bias)
    return gx


def grad_weight(gy, x, p):
    """The weight gradient of plan p: a new device array."""
    gw = _cuda.empty(p.w_shape, p.dtype)
    if is_1x1(p):
        _gemm_grad_weight(gy, x, gw, p)
        return gw
    gy5, x5 = as5d(gy, p.nd), as5d(x, p.nd)
    stride, dil, plo = _geometry(p)
    OD, OH = gy5.shape[2], gy5.shape[3]
    nw = int(np.prod(p.w_shape))
    J, per = _cuda.chunks(p.N * OD * OH, nw)
    part = nbcuda.device_array((J, nw), p.dtype)
    grad_weight_partial_kernel(p.dtype)[_cuda.blocks(J * nw), _cuda.TPB](
        gy5, x5, part, (p.K, p.Cg) + lift(p.kernel, p.nd, 1),
        stride, dil, plo, p.G, per)
    _cuda.sum_rows(part, _cuda.flat(gw))
    return gw


def grad_bias(gy, K):
    """The bias gradient: gy (N, K, *spatial) summed per channel, a new device array."""
    N = gy.shape[0]
    return _cuda.channel_sums(gy.reshape(N, K, gy.size // (N * K)))


@cuda.forward
def forward(x, w, b, p):
    (x, w, b), host = _cuda.device_arrays(x, w, b)
    return _cuda.result(conv(x, w, b, p), host)


@cuda.backward
def backward(gy, x, w, b, p):
    (gy, x, w, b), host = _cuda.device_arrays(gy, x, w, b)
    gb = grad_bias(gy, p.K) if b is not None else None
    return tuple(_cuda.result(g, host) for g in (grad_input(gy, w, p), grad_weight(gy, x, p), gb))
