"""What every Numba CUDA kernel module (``kernels/<family>/cuda.py``) shares.

- ``available()``: a GPU is present or Numba's simulator is on (``NUMBA_ENABLE_CUDASIM=1``,
  which must be set before ``numba.cuda`` is first imported).
- ``TPB`` (threads per block) and ``REDUCE_THREADS`` (threads a two-pass reduction aims
  for) are module settings read at every launch; tests patch them down so that tiny
  inputs still span several blocks and chunks (as stumpy's tests do).
- ``per_dtype`` / ``per_dtype_and_tpb``: a kernel module builds each kernel in its own
  function of the Numba float type (typed accumulators ``acc = dt(0)``, shared arrays
  ``nbcuda.shared.array(..., dt)``), and of the threads per block where they size its
  shared or local arrays; the decorators cache the jitted kernel per dtype (and TPB), so
  a launch reads ``gemm_kernel(dtype)[grid, block](...)``.
- ``device_arrays`` / ``result``: host arrays are copied to the GPU and results copied
  back; device arrays (``__cuda_array_interface__``: Numba, torch CUDA, CuPy) pass through
  with no copy and the results stay on the device.
- ``empty`` / ``zeros``: device outputs, NaN-filled while the tests poison outputs.
- ``channel_sums`` / ``sum_rows``: deterministic two-pass reductions (no atomics), e.g.
  the bias gradient, or batch-norm statistics.
- ``gemm``: batched, split-K, shared-memory tiled GEMM on flat operands addressed by
  strides (the 1x1 convolution and its gradients, deform_conv2d's convolution).
- ``unravel5``: the 5-D index of a thread's flat position (one thread per element).
- ``halo`` / ``fit_tile`` / ``tile_threads`` / ``tile_loader``: a direct kernel whose
  block stages an input tile with its halo in shared memory (conv, depthwise).

numba's ``cuda`` module is imported as ``nbcuda`` throughout the kernel modules: ``cuda``
names each module's Algorithm.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import config, from_dtype
from numba import cuda as nbcuda

from kernels import _arrays

TPB = 256                 # threads per block
REDUCE_THREADS = 1 << 16  # threads the first pass of a reduction aims to keep busy
SHARED_BYTES = 48 * 1024  # shared memory a block may use without opting in
SIMULATED = bool(config.ENABLE_CUDASIM)


SIMULATOR_ELEMENTS = 4096  # the largest input the simulator is given (every thread is Python)


def simulator_limit(elements: int):
    """supports()'s reason to refuse an input too large for the simulator (None on a GPU)."""
    if SIMULATED and elements > SIMULATOR_ELEMENTS:
        return (f"{elements} input elements: the CUDA simulator runs every thread in Python, "
                f"so it is given at most {SIMULATOR_ELEMENTS}")
    return None


@functools.cache
def available() -> bool:
    return SIMULATED or nbcuda.is_available()


def blocks(n: int, tpb: int | None = None) -> int:
    """Blocks of ``tpb`` threads needed to cover ``n`` threads (at least one)."""
    tpb = tpb or TPB
    return max(1, -(-int(n) // tpb))


def tile_side() -> int:
    """Side of a square thread block of at most TPB threads (for 2-D tiled kernels)."""
    return max(1, math.isqrt(TPB))


def per_dtype(build):
    """``get(dtype)``: the kernel ``build(dt)`` makes for the Numba type ``dt`` of the float
    dtype (float32 or float64), built once per dtype."""
    cached = functools.cache(lambda name: build(from_dtype(np.dtype(name))))

    @functools.wraps(build)
    def get(dtype):
        return cached(np.dtype(dtype).name)
    return get


def per_dtype_and_tpb(build):
    """As ``per_dtype`` for ``build(dt, tpb)``, a kernel whose shared or local arrays are
    sized by the threads per block: built once per (dtype, TPB)."""
    cached = functools.cache(lambda name, tpb: build(from_dtype(np.dtype(name)), tpb))

    @functools.wraps(build)
    def get(dtype):
        return cached(np.dtype(dtype).name, TPB)
    return get


# ---- host <-> device --------------------------------------------------------------------

def as_device(a):
    """A device view of ``a`` (no copy for device arrays), or a copy of a host array."""
    if a is None:
        return None
    if getattr(a, "__cuda_ndarray__", False):  # a Numba device array (the simulator's too)
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return nbcuda.as_cuda_array(a)
    return nbcuda.to_device(np.ascontiguousarray(a))


def device_arrays(*arrays):
    """(device views of the arrays, whether the results go back to the host).

    Results stay on the device when any argument came as a device array."""
    host = not any(_arrays.is_device(a) for a in arrays if a is not None)
    return [as_device(a) for a in arrays], host


def result(a, host: bool):
    """The device array ``a``, copied to a NumPy array when the caller gave host arrays."""
    if a is None or not host:
        return a
    return a.copy_to_host()


def empty(shape, dtype):
    """An uninitialised device array; NaN-filled while the tests poison outputs."""
    a = nbcuda.device_array(tuple(int(d) for d in shape), np.dtype(dtype))
    if _arrays.poisoning():
        fill(a, np.nan)
    return a


def zeros(shape, dtype):
    a = nbcuda.device_array(tuple(int(d) for d in shape), np.dtype(dtype))
    fill(a, 0)
    return a


def flat(a):
    """The contiguous device array ``a`` as 1-D (a view)."""
    return a.reshape(int(np.prod(a.shape, dtype=np.int64)))


@nbcuda.jit
def _fill(a, value):
    i = nbcuda.grid(1)
    if i < a.shape[0]:
        a[i] = value


def fill(a, value):
    f = flat(a)
    if f.shape[0]:
        _fill[blocks(f.shape[0]), TPB](f, value)


# ---- two-pass reductions (deterministic: no atomics) -------------------------------------

@per_dtype
def channel_partial_kernel(dt):
    @nbcuda.jit
    def channel_partial(a, part, per):
        """part[j, c] = sum of a[n, c, l] over the j-th chunk of the (n, l) positions."""
        i = nbcuda.grid(1)
        J, C = part.shape
        if i >= J * C:
            return
        j, c = i // C, i % C
        N, L = a.shape[0], a.shape[2]
        acc = dt(0)
        q1 = (j + 1) * per
        for q in range(j * per, q1 if q1 < N * L else N * L):
            acc += a[q // L, c, q % L]
        part[j, c] = acc
    return channel_partial


@per_dtype
def rows_sum_kernel(dt):
    @nbcuda.jit
    def rows_sum(part, out):
        """out[m] = sum over j of part[j, m]."""
        m = nbcuda.grid(1)
        if m >= part.shape[1]:
            return
        acc = dt(0)
        for j in range(part.shape[0]):
            acc += part[j, m]
        out[m] = acc
    return rows_sum


def chunks(total: int, outputs: int) -> tuple[int, int]:
    """(number of chunks, items per chunk) splitting a reduction of ``total`` items per
    output so that about REDUCE_THREADS threads work in the first pass."""
    want = max(1, min(total, REDUCE_THREADS // max(outputs, 1)))
    per = -(-total // want)
    return -(-total // per), per


def sum_rows(part, out):
    """out (M,) = part (J, M) summed over its rows."""
    rows_sum_kernel(part.dtype)[blocks(part.shape[1]), TPB](part, out)
    return out


def channel_sums(a3, out=None):
    """Sum of the device array a3 (N, C, L) over N and L: a (C,) device array."""
    N, C, L = (int(d) for d in a3.shape)
    dtype = np.dtype(a3.dtype)
    J, per = chunks(N * L, C)
    part = nbcuda.device_array((J, C), dtype)
    channel_partial_kernel(dtype)[blocks(J * C), TPB](a3, part, per)
    return sum_rows(part, out if out is not None else empty((C,), dtype))


# ---- the tiled GEMM (1x1 convolutions and their gradients; deform_conv2d) ----------------

RB = 4              # register blocking: each thread computes RB x RB outputs
MAX_GRID_Z = 65535  # the GEMM runs one grid layer per batch entry (and split-K chunk)


@functools.cache
def _gemm_stage(dt, T_):
    @nbcuda.jit(device=True)
    def stage(A, B, As, Bs, bb, m0, q0, k0, k1, M, NC, sa, sb):
        """As, Bs = the BM x T_ tile of A at (m0, k0) and the T_ x BM tile of B at (k0, q0)
        of batch bb, zero beyond M, NC and the chunk's end k1; a thread per RB elements."""
        tx, ty = nbcuda.threadIdx.x, nbcuda.threadIdx.y
        for i in range(RB):
            m, k = m0 + ty + i * T_, k0 + tx
            As[ty + i * T_, tx] = A[bb * sa[0] + m * sa[1] + k * sa[2]] \
                if m < M and k < k1 else dt(0)
        for j in range(RB):
            q, k = q0 + tx + j * T_, k0 + ty
            Bs[ty, tx + j * T_] = B[bb * sb[0] + k * sb[1] + q * sb[2]] \
                if k < k1 and q < NC else dt(0)
    return stage


@per_dtype_and_tpb
def gemm_kernel(dt, tpb):
    T_ = max(1, math.isqrt(tpb))  # as tile_side() for this TPB
    BM = T_ * RB                  # the output tile (constants: shared-array shapes)
    stage = _gemm_stage(dt, T_)

    @nbcuda.jit
    def gemm(A, B, Cm, bias, has_bias, M, NC, KD, NKS, KPER, sa, sb, sc):
        """Cm[z, m, q] = sum over k in chunk ks of A[b, m, k] * B[b, k, q] (+ bias[m]) for
        grid z = b * NKS + ks: batch b, and chunk ks of KPER along k (split-K, so that a
        long reduction still fills the GPU; the caller sums the chunks).  Operands are
        flat, addressed by (batch, row, column) strides, so a transpose is a swap of
        strides.  A block of T_ x T_ threads computes a BM x BM tile, each thread RB x RB
        outputs held in registers (rows ty + i*T_, columns tx + j*T_), from BM x T_ and
        T_ x BM tiles of A and B staged in shared memory."""
        As = nbcuda.shared.array((BM, T_), dt)
        Bs = nbcuda.shared.array((T_, BM), dt)
        acc = nbcuda.local.array((RB, RB), dt)
        tx, ty = nbcuda.threadIdx.x, nbcuda.threadIdx.y
        m0, q0, z = nbcuda.blockIdx.y * BM, nbcuda.blockIdx.x * BM, nbcuda.blockIdx.z
        bb, ks = z // NKS, z % NKS
        k1 = (ks + 1) * KPER
        k1 = KD if k1 > KD else k1
        for i in range(RB):
            for j in range(RB):
                acc[i, j] = dt(0)
        for k0 in range(ks * KPER, k1, T_):
            stage(A, B, As, Bs, bb, m0, q0, k0, k1, M, NC, sa, sb)
            nbcuda.syncthreads()
            for kk in range(T_):
                for i in range(RB):
                    a = As[ty + i * T_, kk]
                    for j in range(RB):
                        acc[i, j] += a * Bs[kk, tx + j * T_]
            nbcuda.syncthreads()
        for i in range(RB):
            m = m0 + ty + i * T_
            for j in range(RB):
                q = q0 + tx + j * T_
                if m < M and q < NC:
                    v = acc[i, j]
                    if has_bias:
                        v += bias[m]
                    Cm[z * sc[0] + m * sc[1] + q * sc[2]] = v
    return gemm


def gemm(A, B, Cm, bias, M, NC, KD, NB, sa, sb, sc, NKS=1):
    """Cm[b] = A[b] @ B[b] (+ bias) for b < NB, or with NKS > 1 the NB*NKS partial
    products of split-K (Cm then holds NB*NKS matrices)."""
    t = tile_side()
    grid = (blocks(NC, t * RB), blocks(M, t * RB), NB * NKS)
    has_bias = bias is not None
    bias = bias if has_bias else flat(Cm)  # a placeholder of the same type
    gemm_kernel(Cm.dtype)[grid, (t, t)](flat(A), flat(B), flat(Cm), bias, has_bias,
                                        M, NC, KD, NKS, -(-KD // NKS), sa, sb, sc)


@nbcuda.jit(device=True)
def unravel5(i, shape):
    """The index (a, b, c, d, e) of flat position i in a C-ordered array of 5-D shape."""
    _, B, C, D, E = shape
    return (i // (E * D * C * B), (i // (E * D * C)) % B, (i // (E * D)) % C, (i // E) % D,
            i % E)


# ---- direct kernels staging an input tile with its halo (conv, depthwise) ----------------

def halo(th, tw, stride, dil, kernel):
    """(XH, XW): the input a TH x TW output tile reads, with its halo."""
    return ((th - 1) * stride[0] + (kernel[0] - 1) * dil[0] + 1,
            (tw - 1) * stride[1] + (kernel[1] - 1) * dil[1] + 1)


def fit_tile(out, stride, dil, kernel, filt, itemsize, tpb):
    """The largest (TH, TW) output tile, at most ``tpb`` pixels, whose input tile with its
    halo and ``filt`` filter elements fit in shared memory (None if one pixel's do not)."""
    oh, ow = out
    tw = min(ow, tpb)
    th = min(oh, max(1, tpb // tw))
    while True:
        xh, xw = halo(th, tw, stride, dil, kernel)
        if (xh * xw + filt) * itemsize <= SHARED_BYTES:
            return th, tw
        if th == tw == 1:
            return None
        if th >= tw:
            th = (th + 1) // 2
        else:
            tw = (tw + 1) // 2


def tile_threads(th, tw):
    """Threads of a block computing a TH x TW tile, a pixel each: whole warps, within TPB."""
    return min(TPB, -(-th * tw // 32) * 32)


@functools.cache
def tile_loader(dt):
    @nbcuda.jit(device=True)
    def load_tile(smem, plane, ih0, iw0, XW, NX):
        """smem[:NX] = the input tile of the 2-D plane from (ih0, iw0), NX = XH*XW elements
        (zero outside the plane), the block's threads copying every blockDim-th element."""
        H, W = plane.shape
        for e in range(nbcuda.threadIdx.x, NX, nbcuda.blockDim.x):
            ih, iw = ih0 + e // XW, iw0 + e % XW
            v = dt(0)
            if ih >= 0 and ih < H and iw >= 0 and iw < W:
                v = plane[ih, iw]
            smem[e] = v
    return load_tile

