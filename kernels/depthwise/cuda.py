"""Depthwise convolution in Numba CUDA kernels, forward and both gradients.

Depthwise is conv2d with groups = C (its plan is a ConvPlan), so the backward reuses the
conv family's CUDA passes (``kernels/conv/cuda.py``): grad_input in gather form (one
thread per input element sums the m * R * S taps that reached it, no atomics) and
grad_weight as the conv's deterministic two-pass reduction (chunks of output rows per
weight element, then the chunks summed).

Only the forward gets its own kernel: the conv's direct forward stages one input channel
for KB output channels of its group, but a depthwise group has one input channel and
m (often 1) output channels, so each staged tile fed one channel's few taps.  Here a block
computes a TH x TW output tile of one (image, input channel) for all m output channels of
that channel: it stages the input tile with its halo and the channel's m x R x S filters
in shared memory once, then each thread computes its pixel for the m outputs.
"""
import functools

from numba import cuda as nbcuda

from kernels import _cuda
from kernels._registry import Algorithm
from kernels.conv import cuda as conv
from kernels.depthwise.plan import DEPTHWISE_OPS

cuda = Algorithm("cuda", ops=DEPTHWISE_OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: shared-memory tiled direct kernel; the conv's CUDA backward")


def tile(p, tpb):
    """(TH, TW) output tile per block, or None if one pixel's halo and the channel's
    m x R x S filters do not fit in shared memory."""
    R, S = p.kernel
    return _cuda.fit_tile(p.out, p.stride, p.dilation, p.kernel, p.Kg * R * S,
                          p.dtype.itemsize, tpb)


@cuda.supports
def supports(p):
    if tile(p, 1) is None:
        return "the channel's filters and one pixel's input halo do not fit in shared memory"
    return conv.supports(p)  # the backward's conv passes (the GEMM's batch limit for 1x1)


@functools.cache
def _stage(dt):
    load_tile = _cuda.tile_loader(dt)

    @nbcuda.jit(device=True)
    def stage(smem, x, w, n, c, m, ih0, iw0, XW, NX):
        """smem = [the input tile from x[n, c, ih0, iw0], NX = XH*XW elements (zero outside
        the input) | channel c's m x R x S filters], the block's threads copying every
        blockDim-th element."""
        load_tile(smem, x[n, c], ih0, iw0, XW, NX)
        R, S = w.shape[2], w.shape[3]
        RS = R * S
        for e in range(nbcuda.threadIdx.x, m * RS, nbcuda.blockDim.x):
            rs = e % RS
            smem[NX + e] = w[c * m + e // RS, 0, rs // S, rs % S]
    return stage


@_cuda.per_dtype
def forward_kernel(dt):
    stage = _stage(dt)

    @nbcuda.jit
    def forward(x, w, b, y, stride, dil, plo, has_bias, TH, TW, XH, XW):
        C = x.shape[1]
        K, _, R, S = w.shape
        OH, OW = y.shape[2], y.shape[3]
        sh, sw = stride
        dh, dw = dil
        ph, pw = plo
        m = K // C
        ntw = (OW + TW - 1) // TW
        nth = (OH + TH - 1) // TH
        blk = nbcuda.blockIdx.x                  # (n, c, tile row, tile column)
        bw = blk % ntw
        bh = (blk // ntw) % nth
        c = (blk // (ntw * nth)) % C
        n = blk // (ntw * nth * C)
        tid = nbcuda.threadIdx.x
        ty, tx = tid // TW, tid % TW
        oh, ow = bh * TH + ty, bw * TW + tx
        ih0, iw0 = bh * TH * sh - ph, bw * TW * sw - pw   # top-left of the input tile
        RS = R * S
        NX = XH * XW
        smem = nbcuda.shared.array(0, dt)       # [input tile XH*XW | filters m*R*S]
        stage(smem, x, w, n, c, m, ih0, iw0, XW, NX)
        nbcuda.syncthreads()
        if ty < TH and oh < OH and ow < OW:
            for j in range(m):
                k = c * m + j
                acc = dt(0)
                for r in range(R):
                    row = (ty * sh + r * dh) * XW + tx * sw
                    for s in range(S):
                        acc += smem[row + s * dw] * smem[NX + j * RS + r * S + s]
                if has_bias:
                    acc += b[k]
                y[n, k, oh, ow] = acc
    return forward


@cuda.forward
def forward(x, w, b, p):
    (x, w, b), host = _cuda.device_arrays(x, w, b)
    y = _cuda.empty(p.out_shape, p.dtype)
    th, tw = tile(p, _cuda.TPB)
    xh, xw = _cuda.halo(th, tw, p.stride, p.dilation, p.kernel)
    R, S = p.kernel
    P, Q = p.out
    nblocks = p.N * p.C * -(-P // th) * -(-Q // tw)
    shared = (xh * xw + p.Kg * R * S) * p.dtype.itemsize
    has_bias = b is not None
    forward_kernel(p.dtype)[nblocks, _cuda.tile_threads(th, tw), 0, shared](
        x, w, b if has_bias else _cuda.flat(y), y, p.stride, p.dilation, p.pad_lo, has_bias,
        th, tw, xh, xw)
    return _cuda.result(y, host)


@cuda.backward
def backward(gy, x, w, b, p):
    (gy, x, w, b), host = _cuda.device_arrays(gy, x, w, b)
    gb = conv.grad_bias(gy, p.K) if b is not None else None
    grads = conv.grad_input(gy, w, p), conv.grad_weight(gy, x, p), gb
    return tuple(_cuda.result(g, host) for g in grads)
