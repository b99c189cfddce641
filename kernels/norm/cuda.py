"""Batch, instance, group and layer norm in Numba CUDA kernels, forward and backward.

One maths for all four, on the (A, B, G, M) view of ``kernels.norm.plan``: a block of
threads per statistic (a, g) reads its B*M elements (b, m) with a block-stride loop.

- statistics: two passes over the elements, the sum (then the mean) and the sum of
  squared deviations from that mean (the biased variance), each a shared-memory tree
  reduction across the block (exact enough in float32 too: no one-pass cancellation);
- normalise: y = (x - mean) * rstd * weight[j] + bias[j], j = (g*M + m) // L, by the same
  block; in eval mode the running statistics replace the batch's;
- running statistics (training with running_mean/var): updated in place on the device,
  r = (1 - momentum) * r + momentum * batch statistic (the variance unbiased, and for
  instance norm averaged over the batch first, as ``plan.update_running``); host arrays
  given by the caller receive the updated values.
- backward: per block the two sums of gxhat = grad_y * weight and gxhat * xhat (tree
  reductions), then grad_x = rstd * (gxhat - sum(gxhat)/n - xhat * sum(gxhat*xhat)/n)
  (the sums drop out with running statistics).  The weight and bias gradients: each
  block writes its partial sums per affine weight j into an (A, n_affine) array, summed
  over A by ``_cuda.sum_rows`` (deterministic, no atomics).
- group_norm follows torch's order of operations (docs/norm.md): the forward folds
  x * scale + shift when it has a weight or a bias, and ``group_backward_kernel`` reduces
  sum(grad_y * x) and sum(grad_y) per channel, then grad_x = c1 * grad_y + c2 * x + c3.
"""
import functools
import math

import numpy as np
from numba import cuda as nbcuda

from kernels import _arrays, _cuda
from kernels._registry import Algorithm
from kernels.norm.plan import GROUP_NORMS, declare_group_norms

cuda = Algorithm("cuda", ops=GROUP_NORMS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: a block per statistic, shared-memory tree reductions")


SIMULATOR_THREADS = 4  # under the simulator: still a two-level tree, fewer Python threads


def _threads(tpb: int) -> int:
    """Threads of a reduction block: the largest power of two within TPB (the tree halves)."""
    nt = 1 << (tpb.bit_length() - 1)
    return min(nt, SIMULATOR_THREADS) if _cuda.SIMULATED else nt


def block_threads() -> int:
    return _threads(_cuda.TPB)


@cuda.supports
def supports(p):
    return _cuda.simulator_limit(int(np.prod(p.in_shape)))


@functools.cache
def _block_sum2(NT):
    @nbcuda.jit(device=True)
    def block_sum2(sh, u, v):
        """(sum of u, sum of v) over the block's threads: a tree reduction in shared memory."""
        tid = nbcuda.threadIdx.x
        nbcuda.syncthreads()  # earlier readers of sh are done
        sh[0, tid] = u
        sh[1, tid] = v
        nbcuda.syncthreads()
        s = NT // 2
        while s > 0:
            if tid < s:
                sh[0, tid] += sh[0, tid + s]
                sh[1, tid] += sh[1, tid + s]
            nbcuda.syncthreads()
            s //= 2
        return sh[0, 0], sh[1, 0]
    return block_sum2


@functools.cache
def _moments(dt, NT):
    block_sum2 = _block_sum2(NT)

    @nbcuda.jit(device=True)
    def moments(x4, a, g, sh):
        """Mean and biased variance of x4[a, :, g, :], two passes."""
        B, M = x4.shape[1], x4.shape[3]
        n = B * M
        tid = nbcuda.threadIdx.x
        s = dt(0)
        for e in range(tid, n, NT):
            s += x4[a, e // M, g, e % M]
        tot, _ = block_sum2(sh, s, dt(0))
        mu = tot / dt(n)
        q = dt(0)
        for e in range(tid, n, NT):
            d = x4[a, e // M, g, e % M] - mu
            q += d * d
        ss, _ = block_sum2(sh, q, dt(0))
        return mu, ss / dt(n)
    return moments


@nbcuda.jit(device=True)
def _rsqrt(v):
    """1 / sqrt(v): inf at 0 and NaN below 0 or at NaN, as IEEE arithmetic on the device
    gives them, written out so that the simulator's Python math does not raise instead."""
    if v > 0:
        return 1.0 / math.sqrt(v)
    return math.inf if v == 0 else math.nan


@_cuda.per_dtype_and_tpb
def forward_kernel(dt, tpb):
    NT = _threads(tpb)  # as block_threads() for this TPB
    moments = _moments(dt, NT)

    @nbcuda.jit
    def forward(x4, w, b, rm, rv, L, eps, batch_stats, has_w, has_b, fold, mean, var, y4):
        A, B, G, M = x4.shape
        a, g = nbcuda.blockIdx.x // G, nbcuda.blockIdx.x % G
        tid = nbcuda.threadIdx.x
        sh = nbcuda.shared.array((2, NT), dt)
        if batch_stats:
            mu, v = moments(x4, a, g, sh)
            if tid == 0:
                mean[a, g] = mu
                var[a, g] = v
        else:
            mu, v = rm[g], rv[g]
        rstd = dt(_rsqrt(v + eps))
        for e in range(tid, B * M, NT):
            bb, m = e // M, e % M
            j = (g * M + m) // L
            if fold and (has_w or has_b):  # torch's group-norm order: x * scale + shift
                scale = rstd * w[j] if has_w else rstd
                shift = -scale * mu + b[j] if has_b else -scale * mu
                y4[a, bb, g, m] = x4[a, bb, g, m] * scale + shift
                continue
            t = (x4[a, bb, g, m] - mu) * rstd
            if has_w:
                t *= w[j]
            if has_b:
                t += b[j]
            y4[a, bb, g, m] = t
    return forward


@_cuda.per_dtype
def update_running_kernel(dt):
    @nbcuda.jit
    def update_running(rm, rv, mean, var, momentum, n):
        """r = (1 - momentum) r + momentum * (batch statistic averaged over A), in place."""
        g = nbcuda.grid(1)
        A, G = mean.shape
        if g >= G:
            return
        sm = dt(0)
        sv = dt(0)
        for a in range(A):
            sm += mean[a, g]
            sv += var[a, g]
        rm[g] = dt(1.0 - momentum) * rm[g] + dt(momentum) * sm / dt(A)
        rv[g] = dt(1.0 - momentum) * rv[g] + dt(momentum) * sv / dt(A) * dt(n / (n - 1.0))
    return update_running


@functools.cache
def _affine_partials(dt, NT):
    block_sum2 = _block_sum2(NT)

    @nbcuda.jit(device=True)
    def affine_partials(gy4, x4, a, g, mu, rstd, L, sh, pw, pb):
        """pw[a, j], pb[a, j] = the weight and bias gradients of block (a, g) for each
        affine weight j its elements use: sums of grad_y * xhat and of grad_y."""
        B, M = x4.shape[1], x4.shape[3]
        tid = nbcuda.threadIdx.x
        if L == 1:  # a weight per element (layer norm): a thread per weight, no reduction
            for m in range(tid, M, NT):
                sw = dt(0)
                sb = dt(0)
                for bb in range(B):
                    gv = gy4[a, bb, g, m]
                    sw += gv * (x4[a, bb, g, m] - mu) * rstd
                    sb += gv
                pw[a, g * M + m] = sw
                pb[a, g * M + m] = sb
            return
        for j in range(g * M // L, ((g + 1) * M - 1) // L + 1):  # the same for the block
            m0 = j * L - g * M
            m0 = m0 if m0 > 0 else 0
            m1 = (j + 1) * L - g * M
            m1 = m1 if m1 < M else M
            cnt = m1 - m0
            sw = dt(0)
            sb = dt(0)
            for e in range(tid, B * cnt, NT):
                bb, m = e // cnt, m0 + e % cnt
                gv = gy4[a, bb, g, m]
                sw += gv * (x4[a, bb, g, m] - mu) * rstd
                sb += gv
            sw, sb = block_sum2(sh, sw, sb)
            if tid == 0:
                pw[a, j] = sw
                pb[a, j] = sb
    return affine_partials


@_cuda.per_dtype_and_tpb
def backward_kernel(dt, tpb):
    NT = _threads(tpb)  # as block_threads() for this TPB
    block_sum2 = _block_sum2(NT)
    moments = _moments(dt, NT)
    affine_partials = _affine_partials(dt, NT)

    @nbcuda.jit
    def backward(gy4, x4, w, rm, rv, L, eps, batch_stats, has_w, gx4, pw, pb):
        A, B, G, M = x4.shape
        a, g = nbcuda.blockIdx.x // G, nbcuda.blockIdx.x % G
        tid = nbcuda.threadIdx.x
        n = B * M
        sh = nbcuda.shared.array((2, NT), dt)
        if batch_stats:
            mu, v = moments(x4, a, g, sh)
        else:
            mu, v = rm[g], rv[g]
        rstd = dt(_rsqrt(v + eps))
        s1 = dt(0)
        s2 = dt(0)
        for e in range(tid, n, NT):
            bb, m = e // M, e % M
            gxh = gy4[a, bb, g, m] * (w[(g * M + m) // L] if has_w else dt(1))
            s1 += gxh
            s2 += gxh * (x4[a, bb, g, m] - mu) * rstd
        s1, s2 = block_sum2(sh, s1, s2)
        c1 = s1 / dt(n) if batch_stats else dt(0)
        c2 = s2 / dt(n) if batch_stats else dt(0)
        for e in range(tid, n, NT):
            bb, m = e // M, e % M
            gxh = gy4[a, bb, g, m] * (w[(g * M + m) // L] if has_w else dt(1))
            xh = (x4[a, bb, g, m] - mu) * rstd
            gx4[a, bb, g, m] = rstd * (gxh - c1 - xh * c2)
        affine_partials(gy4, x4, a, g, mu, rstd, L, sh, pw, pb)
    return backward


@_cuda.per_dtype_and_tpb
def group_backward_kernel(dt, tpb):
    NT = _threads(tpb)  # as block_threads() for this TPB
    block_sum2 = _block_sum2(NT)
    moments = _moments(dt, NT)

    @nbcuda.jit
    def group_backward(gy4, x4, w, S, eps, has_w, gx4, pw, pb):
        """group_norm in torch's order (``kernels.norm.numpy._gn_backward``): block (a, g)
        reduces ds = sum(grad_y * x) and db = sum(grad_y) per channel of its group."""
        A, B, G, M = x4.shape  # B == 1, M = D * S
        a, g = nbcuda.blockIdx.x // G, nbcuda.blockIdx.x % G
        tid = nbcuda.threadIdx.x
        D = M // S
        sh = nbcuda.shared.array((2, NT), dt)
        mu, v = moments(x4, a, g, sh)
        rstd = dt(_rsqrt(v + eps))
        ds_g = dt(0)
        db_g = dt(0)
        for d in range(D):
            sx = dt(0)
            sg = dt(0)
            for m in range(d * S + tid, (d + 1) * S, NT):
                sx += gy4[a, 0, g, m] * x4[a, 0, g, m]
                sg += gy4[a, 0, g, m]
            sx, sg = block_sum2(sh, sx, sg)
            wc = w[g * D + d] if has_w else dt(1)
            ds_g += sx * wc
            db_g += sg * wc
            if tid == 0:
                pw[a, g * D + d] = (sx - sg * mu) * rstd
                pb[a, g * D + d] = sg
        s = dt(1) / dt(M)
        c2 = (db_g * mu - ds_g) * rstd * rstd * rstd * s
        c3 = -c2 * mu - db_g * rstd * s
        for e in range(tid, M, NT):
            c1 = rstd * w[g * D + e // S] if has_w else rstd
            gx4[a, 0, g, e] = c1 * gy4[a, 0, g, e] + c2 * x4[a, 0, g, e] + c3
    return group_backward


def _or(a, stand_in):
    """The flat device array a, or a stand-in of the same type the kernel never reads."""
    return stand_in if a is None else _cuda.flat(a)


def _forward(x, rm, rv, w, b, p):
    (dx, drm, drv, dw, db), host = _cuda.device_arrays(x, rm, rv, w, b)
    y = _cuda.empty(p.in_shape, p.dtype)
    mean = nbcuda.device_array((p.A, p.G), p.dtype)
    var = nbcuda.device_array((p.A, p.G), p.dtype)
    y1 = _cuda.flat(y)
    forward_kernel(p.dtype)[p.A * p.G, block_threads()](
        dx.reshape(p.shape4), _or(dw, y1), _or(db, y1), _or(drm, y1), _or(drv, y1), p.L, p.eps,
        p.batch_stats, p.has_weight, p.has_bias, p.op == "group_norm", mean, var,
        y.reshape(p.shape4))
    if p.has_running and p.batch_stats:
        update_running_kernel(p.dtype)[_cuda.blocks(p.G), _cuda.TPB](
            drm, drv, mean, var, p.momentum, p.B * p.M)
        for orig, d in ((rm, drm), (rv, drv)):
            if not _arrays.is_device(orig):  # the caller's host array, updated in place
                orig[...] = d.copy_to_host()
    return _cuda.result(y, host)


def _backward(gy, x, rm, rv, w, b, p):
    (dgy, dx, drm, drv, dw), host = _cuda.device_arrays(gy, x, rm, rv, w)
    gx = _cuda.empty(p.in_shape, p.dtype)
    pw = nbcuda.device_array((p.A, p.n_affine), p.dtype)
    pb = nbcuda.device_array((p.A, p.n_affine), p.dtype)
    gx1 = _cuda.flat(gx)
    if p.op == "group_norm":
        group_backward_kernel(p.dtype)[p.A * p.G, block_threads()](
            dgy.reshape(p.shape4), dx.reshape(p.shape4), _or(dw, gx1), p.L, p.eps,
            p.has_weight, gx.reshape(p.shape4), pw, pb)
    else:
        backward_kernel(p.dtype)[p.A * p.G, block_threads()](
            dgy.reshape(p.shape4), dx.reshape(p.shape4), _or(dw, gx1), _or(drm, gx1),
            _or(drv, gx1), p.L, p.eps, p.batch_stats, p.has_weight, gx.reshape(p.shape4), pw, pb)
    gw = _cuda.sum_rows(pw, _cuda.empty((p.n_affine,), p.dtype)) if p.has_weight else None
    gb = _cuda.sum_rows(pb, _cuda.empty((p.n_affine,), p.dtype)) if p.has_bias else None
    gw = None if gw is None else _cuda.result(gw.reshape(p.w_shape), host)
    gb = None if gb is None else _cuda.result(gb.reshape(p.b_shape), host)
    gx = _cuda.result(gx, host)
    if p.op in ("batch_norm", "instance_norm"):
        return gx, None, None, gw, gb
    return gx, gw, gb


declare_group_norms(cuda, _forward, _backward)
