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
import math

import numpy as np
from numba import cuda

from kernels import _cuda
from kernels._registry import Algorithm
from kernels.conv.plan import CONV_OPS, as5d, lift

gpu = Algorithm("cuda", ops=CONV_OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: shared-memory tiled direct conv, tiled GEMM for 1x1")

KB = 8  # output channels per thread in the direct forward: each staged tile feeds KB
RB = 4  # the GEMM's register blocking: each thread computes RB x RB outputs


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
    return fit_tile(lift(p.out, p.nd, 1)[1:], (sh, sw), (dh, dw), (R, S),
                    min(KB, p.Kg) * R * S, p.dtype.itemsize, tpb)


def halo(th, tw, stride, dil, kernel):
    """(XH, XW): the input a TH x TW output tile reads, with its halo."""
    return ((th - 1) * stride[0] + (kernel[0] - 1) * dil[0] + 1,
            (tw - 1) * stride[1] + (kernel[1] - 1) * dil[1] + 1)


def fit_tile(out, stride, dil, kernel, filt, itemsize, tpb):
    """The largest (TH, TW) output tile, at most ``tpb`` pixels, whose input tile with its
    halo and ``filt`` filter elements fit in shared memory (None if one pixel's do not).
    Shared by every direct kernel that stages a halo tile (conv, depthwise)."""
    oh, ow = out
    tw = min(ow, tpb)
    th = min(oh, max(1, tpb // tw))
    while True:
        xh, xw = halo(th, tw, stride, dil, kernel)
        if (xh * xw + filt) * itemsize <= _cuda.SHARED_BYTES:
            return th, tw
        if th == tw == 1:
            return None
        if th >= tw:
            th = (th + 1) // 2
        else:
            tw = (tw + 1) // 2


MAX_GRID_Z = 65535  # the 1x1 GEMM runs one grid layer per image


@gpu.supports
def supports(p):
    if is_1x1(p):
        return None if p.N <= MAX_GRID_Z else f"1x1 with a batch above {MAX_GRID_Z}"
    if tile(p, 1) is None:
        return "the filter and its input halo do not fit in shared memory"
    return None


# ---- kernels ------------------------------------------------------------------------------

def _build(dt, tpb):
    T_ = max(1, math.isqrt(tpb))  # as _cuda.tile_side() for this TPB
    BM = T_ * RB                  # the GEMM's output tile (constants: shared-array shapes)

    @cuda.jit
    def forward(x, w, b, y, stride, dil, plo, G, has_bias, TH, TW, XH, XW):
        N, C, D, H, W = x.shape
        K, Cg, T, R, S = w.shape
        OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
        sd, sh, sw = stride
        dd, dh, dw = dil
        pd, ph, pw = plo
        Kg = K // G
        nkb = (Kg + KB - 1) // KB
        ntw = (OW + TW - 1) // TW
        nth = (OH + TH - 1) // TH
        blk = cuda.blockIdx.x                  # (n, od, g, kb, tile row, tile column)
        bw = blk % ntw
        bh = (blk // ntw) % nth
        kb = (blk // (ntw * nth)) % nkb
        g = (blk // (ntw * nth * nkb)) % G
        od = (blk // (ntw * nth * nkb * G)) % OD
        n = blk // (ntw * nth * nkb * G * OD)
        k0 = g * Kg + kb * KB
        nk = (g + 1) * Kg - k0
        nk = KB if nk > KB else nk
        tid = cuda.threadIdx.x
        nthreads = cuda.blockDim.x
        ty, tx = tid // TW, tid % TW
        oh, ow = bh * TH + ty, bw * TW + tx
        active = ty < TH and oh < OH and ow < OW
        ih0, iw0 = bh * TH * sh - ph, bw * TW * sw - pw   # top-left of the input tile
        RS = R * S
        NX = XH * XW
        smem = cuda.shared.array(0, dt)       # [input tile XH*XW | filter slice nk*R*S]
        acc = cuda.local.array(KB, dt)
        for j in range(KB):
            acc[j] = dt(0)
        for c in range(Cg):
            ci = g * Cg + c
            for t in range(T):
                z = od * sd + t * dd - pd
                if z < 0 or z >= D:            # the same for the whole block
                    continue
                for e in range(tid, NX, nthreads):
                    ih, iw = ih0 + e // XW, iw0 + e % XW
                    v = dt(0)
                    if ih >= 0 and ih < H and iw >= 0 and iw < W:
                        v = x[n, ci, z, ih, iw]
                    smem[e] = v
                for e in range(tid, nk * RS, nthreads):
                    rs = e % RS
                    smem[NX + e] = w[k0 + e // RS, c, t, rs // S, rs % S]
                cuda.syncthreads()
                if active:
                    for r in range(R):
                        row = (ty * sh + r * dh) * XW + tx * sw
                        for s in range(S):
                            xv = smem[row + s * dw]
                            for j in range(KB):    # a constant trip count keeps
                                if j < nk:          # acc in registers (unrolled)
                                    acc[j] += xv * smem[NX + j * RS + r * S + s]
                cuda.syncthreads()
        if active:
            for j in range(KB):
                if j >= nk:
                    break
                v = acc[j]
                if has_bias:
                    v += b[k0 + j]
                y[n, k0 + j, od, oh, ow] = v

    @cuda.jit
    def grad_input(gy, w, b, gx, stride, dil, plo, G, has_bias):
        """gx = the input gradient, plus b[ci] if has_bias (a transposed convolution's
        forward is this kernel, with that op's bias)."""
        i = cuda.grid(1)
        N, C, D, H, W = gx.shape
        if i >= N * C * D * H * W:
            return
        K, Cg, T, R, S = w.shape
        OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
        sd, sh, sw = stride
        dd, dh, dw = dil
        pd, ph, pw = plo
        iw = i % W
        ih = (i // W) % H
        iz = (i // (W * H)) % D
        ci = (i // (W * H * D)) % C
        n = i // (W * H * D * C)
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

    @cuda.jit
    def grad_weight_partial(gy, x, part, wdims, stride, dil, plo, G, per):
        """part[j, (k, c, t, r, s)] = the weight gradient summed over the j-th chunk of
        ``per`` output rows (n, od, oh)."""
        i = cuda.grid(1)
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
            if iz < 0 or iz >= D or ih < 0 or ih >= H:
                continue
            for ow in range(OW):
                iw = ow * sw + s * dw - pw
                if iw >= 0 and iw < W:
                    acc += gy[n, k, od, oh, ow] * x[n, ci, iz, ih, iw]
        part[j, wi] = acc

    @cuda.jit
    def gemm(A, B, Cm, bias, has_bias, M, NC, KD, NKS, KPER, sa, sb, sc):
        """Cm[z, m, q] = sum over k in chunk ks of A[b, m, k] * B[b, k, q] (+ bias[m]) for
        grid z = b * NKS + ks: batch b, and chunk ks of KPER along k (split-K, so that a
        long reduction still fills the GPU; the caller sums the chunks).  Operands are
        flat, addressed by (batch, row, column) strides, so a transpose is a swap of
        strides.  A block of T_ x T_ threads computes a BM x BM tile, each thread RB x RB
        outputs held in registers (rows ty + i*T_, columns tx + j*T_), from BM x T_ and
        T_ x BM tiles of A and B staged in shared memory."""
        As = cuda.shared.array((BM, T_), dt)
        Bs = cuda.shared.array((T_, BM), dt)
        acc = cuda.local.array((RB, RB), dt)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        m0, q0, z = cuda.blockIdx.y * BM, cuda.blockIdx.x * BM, cuda.blockIdx.z
        bb, ks = z // NKS, z % NKS
        k1 = (ks + 1) * KPER
        k1 = KD if k1 > KD else k1
        for i in range(RB):
            for j in range(RB):
                acc[i, j] = dt(0)
        for k0 in range(ks * KPER, k1, T_):
            for i in range(RB):
                m, k = m0 + ty + i * T_, k0 + tx
                As[ty + i * T_, tx] = A[bb * sa[0] + m * sa[1] + k * sa[2]] \
                    if m < M and k < k1 else dt(0)
            for j in range(RB):
                q, k = q0 + tx + j * T_, k0 + ty
                Bs[ty, tx + j * T_] = B[bb * sb[0] + k * sb[1] + q * sb[2]] \
                    if k < k1 and q < NC else dt(0)
            cuda.syncthreads()
            for kk in range(T_):
                for i in range(RB):
                    a = As[ty + i * T_, kk]
                    for j in range(RB):
                        acc[i, j] += a * Bs[kk, tx + j * T_]
            cuda.syncthreads()
        for i in range(RB):
            m = m0 + ty + i * T_
            for j in range(RB):
                q = q0 + tx + j * T_
                if m < M and q < NC:
                    v = acc[i, j]
                    if has_bias:
                        v += bias[m]
                    Cm[z * sc[0] + m * sc[1] + q * sc[2]] = v

    return forward, grad_input, grad_weight_partial, gemm


kernels = _cuda.kernel_factory(_build)


# ---- launches -----------------------------------------------------------------------------

def launch_gemm(A, B, Cm, bias, M, NC, KD, NB, sa, sb, sc, NKS=1):
    """Cm[b] = A[b] @ B[b] (+ bias) for b < NB, or with NKS > 1 the NB*NKS partial
    products of split-K (Cm then holds NB*NKS matrices)."""
    t = _cuda.tile_side()
    gemm = kernels(Cm.dtype)[3]
    grid = (_cuda.blocks(NC, t * RB), _cuda.blocks(M, t * RB), NB * NKS)
    has_bias = bias is not None
    bias = bias if has_bias else _cuda.flat(Cm)  # a placeholder of the same type
    gemm[grid, (t, t)](_cuda.flat(A), _cuda.flat(B), _cuda.flat(Cm), bias, has_bias,
                       M, NC, KD, NKS, -(-KD // NKS), sa, sb, sc)


def _gemm_grad_weight(gy, x, gw, p):
    """dW (K x C) = sum over n of dY[n] (K x L) @ X[n]^T (L x C): one split-K GEMM per
    image into partial products, then their sum."""
    L, C, K = int(np.prod(p.out)), p.C, p.K
    t = _cuda.tile_side() * RB
    tiles = _cuda.blocks(K, t) * _cuda.blocks(C, t) * _cuda.tile_side() ** 2 * p.N
    nks, _ = _cuda.chunks(L, tiles)
    nks = min(nks, max(1, MAX_GRID_Z // p.N))
    part = cuda.device_array((p.N * nks, K * C), p.dtype)
    launch_gemm(gy, x, part, None, K, C, L, p.N, (K * L, L, 1), (C * L, 1, L), (K * C, C, 1), nks)
    _cuda.sum_rows(part, _cuda.flat(gw))


def _forward_direct(x, w, b, y, p):
    x5, w5, y5 = as5d(x, p.nd), as5d(w, p.nd), as5d(y, p.nd)
    stride, dil, plo = _geometry(p)
    th, tw = tile(p, _cuda.TPB)
    R, S = w5.shape[3], w5.shape[4]
    xh, xw = halo(th, tw, stride[1:], dil[1:], (R, S))
    OD, OH, OW = y5.shape[2:]
    nblocks = p.N * OD * p.G * -(-p.Kg // KB) * -(-OH // th) * -(-OW // tw)
    shared = (xh * xw + min(KB, p.Kg) * R * S) * p.dtype.itemsize
    threads = min(_cuda.TPB, -(-th * tw // 32) * 32)  # the tile's threads, whole warps
    has_bias = b is not None
    kernels(p.dtype)[0][nblocks, threads, 0, shared](
        x5, w5, b if has_bias else _cuda.flat(y), y5, stride, dil, plo, p.G, has_bias, th, tw, xh, xw)


# ---- the three passes on device arrays: also the transposed convolution's passes and the
# depthwise backward (kernels/transposed/cuda.py, kernels/depthwise/cuda.py) -----------------

def conv(x, w, b, p):
    """The convolution of plan p (+ bias b or None): a new device array."""
    y = _cuda.empty(p.out_shape, p.dtype)
    if is_1x1(p):
        L = int(np.prod(p.out))
        launch_gemm(w, x, y, b, p.K, L, p.C, p.N, (0, p.C, 1), (p.C * L, L, 1), (p.K * L, L, 1))
    else:
        _forward_direct(x, w, b, y, p)
    return y


def grad_input(gy, w, p, b=None):
    """The input gradient of plan p, plus b (C,) per input channel when given (the
    transposed convolution's bias): a new device array."""
    gx = _cuda.empty(p.in_shape, p.dtype)
    if is_1x1(p):
        L, C, K = int(np.prod(p.out)), p.C, p.K
        launch_gemm(w, gy, gx, b, C, L, K, p.N, (0, 1, C), (K * L, L, 1), (C * L, L, 1))
        return gx
    stride, dil, plo = _geometry(p)
    has_bias = b is not None
    kernels(p.dtype)[1][_cuda.blocks(gx.size), _cuda.TPB](
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
    part = cuda.device_array((J, nw), p.dtype)
    kernels(p.dtype)[2][_cuda.blocks(J * nw), _cuda.TPB](
        gy5, x5, part, (p.K, p.Cg) + lift(p.kernel, p.nd, 1),
        stride, dil, plo, p.G, per)
    _cuda.sum_rows(part, _cuda.flat(gw))
    return gw


def grad_bias(gy, K):
    """The bias gradient: gy (N, K, *spatial) summed per channel, a new device array."""
    N = gy.shape[0]
    return _cuda.channel_sums(gy.reshape(N, K, gy.size // (N * K)))


@gpu.forward
def forward(x, w, b, p):
    (x, w, b), host = _cuda.device_arrays(x, w, b)
    return _cuda.result(conv(x, w, b, p), host)


@gpu.backward
def backward(gy, x, w, b, p):
    (gy, x, w, b), host = _cuda.device_arrays(gy, x, w, b)
    gb = grad_bias(gy, p.K) if b is not None else None
    return tuple(_cuda.result(g, host) for g in (grad_input(gy, w, p), grad_weight(gy, x, p), gb))
