"""Normalisation in parallel Numba loops.

Batch, instance, group and layer norm run one forward and one backward kernel on the
(A, B, G, M) view of ``kernels.norm.plan``: one parallel task per statistic (a, g), which
reads its B contiguous rows of M elements.  For batch norm of (N, C, H, W) that is one task
per channel over N contiguous H*W planes.  The forward is two passes over the data:

1. statistics: sum and sum of squares of x - x[first], in float64 (shifting by one of
   the values keeps the one-pass variance exact enough: Chan, Golub & LeVeque 1983);
2. normalise: y = x * scale + shift, scale and shift folded per affine weight, so the
   inner loop is one FMA over a contiguous row (vectorised by LLVM).  Outputs larger
   than the caches are written with non-temporal stores (``stream_affine``): no line of
   y is read into the cache before being overwritten, so this memory-bound pass moves
   two bytes for every three it would (1.5x faster on a 25 MB batch-norm output).

The backward is two passes as well: the sums of grad_y and grad_y * xhat per weight (the
weight and bias gradients, kept per task and summed on the host so no two tasks write
the same element), then grad_x.  See ``kernels.norm.numpy`` for the formulas.  group_norm's
forward takes the folded pass whatever L (torch's order); its backward is its own kernel,
``_gn_backward``, in torch's order (docs/norm.md).

layer_norm2d normalises over the channels at each position of NCHW directly: a task per
(image, run of 256 positions) sweeps the C channel rows of its run (contiguous), twice for
the statistics (mean, then squared deviations, in float64) and once to write; the weight
and bias gradients are per-task float64 partial sums, added on the host.

Every kernel uses NumPy's error model: eps = 0 on a constant group divides by zero into
inf and NaN, as torch does, instead of raising.
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH, address, stream_affine
from kernels._registry import Algorithm
from kernels.norm.plan import GROUP_NORMS, affine, declare_group_norms, pack, update_running

numba = Algorithm("numba", ops=GROUP_NORMS, doc="parallel Numba loops, one task per statistic")
numba_lrn = Algorithm("numba", ops=("local_response_norm",), doc=numba.doc)
numba_wn = Algorithm("numba", ops=("weight_norm",), doc=numba.doc)
numba_ln2d = Algorithm("numba", ops=("layer_norm2d",),
                       doc="parallel Numba loops on NCHW, one task per run of positions")

STREAM_BYTES = 8 * 2 ** 20  # outputs at least this large bypass the cache
LN2D_RUN = 256  # layer_norm2d: positions per task (a run of each channel plane)


@njit(inline="always", fastmath=FASTMATH)
def _affine_stream(yf, xf, o, n, scale, shift):
    """yf[o:o + n] = xf[o:o + n] * scale + shift: scalar up to a 32-byte boundary of y,
    then 32-byte non-temporal vector stores, then the scalar tail."""
    V = 32 // yf.itemsize
    m = 0
    while m < n and address(yf, o + m) % 32 != 0:
        yf[o + m] = xf[o + m] * scale + shift
        m += 1
    if V == 8:
        while m + 8 <= n:
            stream_affine(yf, o + m, xf, o + m, scale, shift, 8)
            m += 8
    else:
        while m + 4 <= n:
            stream_affine(yf, o + m, xf, o + m, scale, shift, 4)
            m += 4
    while m < n:
        yf[o + m] = xf[o + m] * scale + shift
        m += 1


@njit(inline="always")
def _run(g, M, L, j):
    """The m range [m0, m1) of group g whose elements use affine weight j."""
    return max(j * L - g * M, 0), min((j + 1) * L - g * M, M)


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def _moments(x4, a, g):
    """Mean and biased variance of x4[a, :, g, :]."""
    B, M = x4.shape[1], x4.shape[3]
    n = B * M
    k = x4[a, 0, g, 0]
    s = 0.0
    ss = 0.0
    for bb in range(B):
        row = x4[a, bb, g]
        for m in range(M):
            d = row[m] - k
            s += d
            ss += d * d
    return k + s / n, max((ss - s * s / n) / n, 0.0)


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _norm_forward(x4, w, b, L, eps, mean, var, batch_stats, fold, y4, stream):
    A, B, G, M = x4.shape
    xf, yf = x4.ravel(), y4.ravel()  # x4 and y4 are views of contiguous arrays
    for t in prange(A * G):
        a, g = t // G, t % G
        if batch_stats:
            mean[a, g], var[a, g] = _moments(x4, a, g)
        rstd = 1.0 / np.sqrt(var[a, g] + eps)
        mu = mean[a, g]
        if L == 1 and not fold:  # layer norm: a weight per element
            mu_t, rstd_t = y4.dtype.type(mu), y4.dtype.type(rstd)
            for bb in range(B):
                xr, yr = x4[a, bb, g], y4[a, bb, g]
                for m in range(M):
                    yr[m] = (xr[m] - mu_t) * rstd_t * w[g * M + m] + b[g * M + m]
        else:
            for j in range(g * M // L, ((g + 1) * M - 1) // L + 1):
                # folded in float64, then cast: the inner loop runs at the data's SIMD width
                scale = y4.dtype.type(rstd * w[j])
                shift = y4.dtype.type(-(rstd * w[j]) * mu + b[j])
                m0, m1 = _run(g, M, L, j)
                for bb in range(B):
                    if stream:
                        _affine_stream(yf, xf, ((a * B + bb) * G + g) * M + m0, m1 - m0,
                                       scale, shift)
                        continue
                    # slices from 0: Numba drops the negative-index check, LLVM vectorises
                    xr, yr = x4[a, bb, g, m0:m1], y4[a, bb, g, m0:m1]
                    for m in range(m1 - m0):
                        yr[m] = xr[m] * scale + shift


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _norm_backward(gy4, x4, w, L, eps, mean, var, batch_stats, gx4, gw, gb):
    """gw, gb: (A, n_affine) zeros; task (a, g) owns gw[a, j] for the j of group g."""
    A, B, G, M = x4.shape
    n = B * M
    for t in prange(A * G):
        a, g = t // G, t % G
        if batch_stats:
            mean[a, g], var[a, g] = _moments(x4, a, g)
        mu = mean[a, g]
        rstd = 1.0 / np.sqrt(var[a, g] + eps)
        j0, j1 = g * M // L, ((g + 1) * M - 1) // L + 1
        rstd_t = x4.dtype.type(rstd)
        s1 = 0.0  # sum of gxhat = grad_y * w
        s2 = 0.0  # sum of gxhat * xhat
        if L == 1:  # layer norm: a weight per element
            mu_t = x4.dtype.type(mu)
            for bb in range(B):
                xr, gr = x4[a, bb, g], gy4[a, bb, g]
                for m in range(M):
                    xh = (xr[m] - mu_t) * rstd_t
                    gw[a, j0 + m] += gr[m] * xh
                    gb[a, j0 + m] += gr[m]
                    s1 += w[j0 + m] * gr[m]
                    s2 += w[j0 + m] * gr[m] * xh
        else:
            for j in range(j0, j1):
                m0, m1 = _run(g, M, L, j)
                sg = 0.0
                sgx = 0.0
                for bb in range(B):  # slices from 0, as in the forward: vectorised
                    xr, gr = x4[a, bb, g, m0:m1], gy4[a, bb, g, m0:m1]
                    for m in range(m1 - m0):
                        sg += gr[m]
                        sgx += gr[m] * (xr[m] - mu)
                sgx *= rstd
                gw[a, j] = sgx
                gb[a, j] = sg
                s1 += w[j] * sg
                s2 += w[j] * sgx
        c1 = s1 / n if batch_stats else 0.0
        c2 = s2 / n if batch_stats else 0.0
        # grad_x = rstd*w*gy - rstd*c1 - rstd**2*c2*(x - mu), as ca*gy + cb*x + cc
        cb = gx4.dtype.type(-rstd * rstd * c2)
        cc = gx4.dtype.type(rstd * rstd * c2 * mu - rstd * c1)
        if L == 1:
            for bb in range(B):
                xr, gr, gxr = x4[a, bb, g], gy4[a, bb, g], gx4[a, bb, g]
                for m in range(M):
                    gxr[m] = w[j0 + m] * rstd_t * gr[m] + cb * xr[m] + cc
        else:
            for j in range(j0, j1):
                m0, m1 = _run(g, M, L, j)
                ca = gx4.dtype.type(w[j] * rstd)
                for bb in range(B):
                    xr, gr, gxr = x4[a, bb, g, m0:m1], gy4[a, bb, g, m0:m1], gx4[a, bb, g, m0:m1]
                    for m in range(m1 - m0):
                        gxr[m] = ca * gr[m] + cb * xr[m] + cc


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _lrn(x, size, lo, alpha, beta, k, gy, grad, out, u):
    """Local response norm of x (N, C, S): forward into out when not grad, else the input
    gradient of gy into out (u: an (N, C, S) workspace).  Window of c: [c - lo, c - lo + size)."""
    N, C, S = x.shape
    coef = alpha / size
    for t in prange(N * C):
        n, c = t // C, t % C
        den = out[n, c]
        den[:] = 0.0
        for c2 in range(max(c - lo, 0), min(c - lo + size, C)):
            xr = x[n, c2]
            for s in range(S):
                den[s] += xr[s] * xr[s]
        xr = x[n, c]
        if grad:
            # keep D**-beta in out, and u = gy x D**(-beta-1) for the second loop
            gr, ur = gy[n, c], u[n, c]
            for s in range(S):
                d = k + coef * den[s]
                p = d ** -beta
                den[s] = p
                ur[s] = gr[s] * xr[s] * p / d
        else:
            for s in range(S):
                den[s] = xr[s] * (k + coef * den[s]) ** -beta
    if grad:
        # grad_x[j] = gy[j] D[j]**-beta - 2 alpha beta / size x[j] sum_{c: j in window(c)} u[c]
        hi = size - 1 - lo
        for t in prange(N * C):
            n, j = t // C, t % C
            acc = np.zeros(S, np.float64)
            for c in range(max(j - hi, 0), min(j + lo, C - 1) + 1):
                ur = u[n, c]
                for s in range(S):
                    acc[s] += ur[s]
            gr, xr, o = gy[n, j], x[n, j], out[n, j]
            for s in range(S):
                # beta 0: torch's derivative of D**0 is a zero (even where D is not finite) times x[j]
                o[s] = gr[s] * o[s] - xr[s] * (2.0 * coef * beta * acc[s] if beta != 0.0 else 0.0)


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _weight_norm(v, g, gw, grad, whole, out, gg):
    """v (P, D, Q), g (D,): w = v * (g / |v|) into out, the norm per d, or over all of v
    when ``whole``; with grad, the gradients of gw into out (for v) and gg (for g), in
    torch's order of operations (``kernels.norm.numpy._wn_backward``)."""
    P, D, Q = v.shape
    sq, dots, norms, f = np.empty(D), np.empty(D), np.empty(D), np.empty(D)
    for d in prange(D):
        s2 = 0.0
        dot = 0.0
        for p in range(P):
            for q in range(Q):
                s2 += v[p, d, q] * v[p, d, q]
                if grad:
                    dot += gw[p, d, q] * v[p, d, q]
        sq[d], dots[d] = s2, dot
    if whole:
        total = 0.0
        for d in range(D):
            total += sq[d]
        norm = np.sqrt(total)
        gn = 0.0
        for d in range(D):
            norms[d] = norm
            gn += -dots[d] * g[d] / (norm * norm)
        for d in range(D):
            f[d] = gn / norm
    else:
        for d in range(D):
            norms[d] = np.sqrt(sq[d])
            f[d] = -dots[d] * g[d] / (norms[d] * norms[d]) / norms[d]
    for d in prange(D):
        t = g[d] / norms[d]
        if grad:
            gg[d] = dots[d] / norms[d]
            for p in range(P):
                for q in range(Q):
                    out[p, d, q] = gw[p, d, q] * t + v[p, d, q] * f[d]
        else:
            for p in range(P):
                for q in range(Q):
                    out[p, d, q] = v[p, d, q] * t


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def _ln2d_moments(x3, n, s0, s1, mean, rstd, eps):
    """mean[i] and 1/sqrt(var[i] + eps) over the channels of position s0 + i: two passes in
    float64 (the mean, then the squared deviations from it), each a sweep of C contiguous
    rows of s1 - s0 positions."""
    C, m = x3.shape[1], s1 - s0
    for i in range(m):
        mean[i] = 0.0
        rstd[i] = 0.0
    for c in range(C):
        row = x3[n, c, s0:s1]
        for i in range(m):
            mean[i] += row[i]
    for i in range(m):
        mean[i] /= C
    for c in range(C):
        row = x3[n, c, s0:s1]
        for i in range(m):
            d = row[i] - mean[i]
            rstd[i] += d * d
    for i in range(m):
        rstd[i] = 1.0 / np.sqrt(rstd[i] / C + eps)


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _ln2d_forward(x3, w, b, has_w, has_b, eps, y3):
    """Layer norm over axis 1 of x3 (N, C, S), directly on the NCHW layout: a task per
    (n, run of LN2D_RUN positions) reads C contiguous rows, so no transpose is needed."""
    N, C, S = x3.shape
    runs = (S + LN2D_RUN - 1) // LN2D_RUN
    for t in prange(N * runs):
        n, s0 = t // runs, (t % runs) * LN2D_RUN
        s1 = min(s0 + LN2D_RUN, S)
        mean, rstd = np.empty(LN2D_RUN), np.empty(LN2D_RUN)
        _ln2d_moments(x3, n, s0, s1, mean, rstd, eps)
        for c in range(C):
            wc = w[c] if has_w else 1.0
            bc = b[c] if has_b else 0.0
            xr, yr = x3[n, c, s0:s1], y3[n, c, s0:s1]
            for i in range(s1 - s0):
                yr[i] = (xr[i] - mean[i]) * rstd[i] * wc + bc


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _ln2d_backward(gy3, x3, w, has_w, eps, gx3, gw, gb):
    """gx3, and per task t the partial sums gw[t, c] = sum gy * xhat and gb[t, c] = sum gy
    over its positions (float64, summed over tasks on the host: no two tasks write one
    element)."""
    N, C, S = x3.shape
    runs = (S + LN2D_RUN - 1) // LN2D_RUN
    for t in prange(N * runs):
        n, s0 = t // runs, (t % runs) * LN2D_RUN
        s1 = min(s0 + LN2D_RUN, S)
        m = s1 - s0
        mean, rstd = np.empty(LN2D_RUN), np.empty(LN2D_RUN)
        _ln2d_moments(x3, n, s0, s1, mean, rstd, eps)
        s_g, s_gx = np.zeros(LN2D_RUN), np.zeros(LN2D_RUN)  # sums of gxhat, gxhat * xhat
        for c in range(C):
            wc = w[c] if has_w else 1.0
            xr, gr = x3[n, c, s0:s1], gy3[n, c, s0:s1]
            acc_w = 0.0
            acc_b = 0.0
            for i in range(m):
                xh = (xr[i] - mean[i]) * rstd[i]
                acc_w += gr[i] * xh
                acc_b += gr[i]
                s_g[i] += gr[i] * wc
                s_gx[i] += gr[i] * wc * xh
            gw[t, c] = acc_w
            gb[t, c] = acc_b
        for c in range(C):
            wc = w[c] if has_w else 1.0
            xr, gr, gxr = x3[n, c, s0:s1], gy3[n, c, s0:s1], gx3[n, c, s0:s1]
            for i in range(m):
                xh = (xr[i] - mean[i]) * rstd[i]
                gxr[i] = rstd[i] * (gr[i] * wc - s_g[i] / C - xh * s_gx[i] / C)


def _stats(rm, rv, p):
    if p.batch_stats:
        return np.empty((p.A, p.G)), np.empty((p.A, p.G))
    shape = (p.A, p.G)
    return (np.broadcast_to(rm, shape).astype(np.float64),
            np.broadcast_to(rv, shape).astype(np.float64))


def _norm_fwd(x, rm, rv, w, b, p):
    mean, var = _stats(rm, rv, p)
    w, b = affine(w, b, p)
    y = empty(p.in_shape, p.dtype)
    _norm_forward(x.reshape(p.shape4), w, b, p.L, p.eps, mean, var, p.batch_stats,
                  p.op != "layer_norm", y.reshape(p.shape4), y.nbytes >= STREAM_BYTES)
    update_running(rm, rv, mean, var, p)
    return y


def _norm_bwd(gy, x, rm, rv, w, b, p):
    if p.op == "group_norm":
        return _gn_bwd(gy, x, w, b, p)
    mean, var = _stats(rm, rv, p)  # the kernel recomputes batch statistics; running ones stay
    w, _ = affine(w, b, p)
    gx = empty(p.in_shape, p.dtype)
    gw, gb = np.zeros((p.A, p.n_affine)), np.zeros((p.A, p.n_affine))
    _norm_backward(gy.reshape(p.shape4), x.reshape(p.shape4), w, p.L, p.eps, mean, var,
                   p.batch_stats, gx.reshape(p.shape4), gw, gb)
    return pack(gx, gw.sum(axis=0).astype(p.dtype), gb.sum(axis=0).astype(p.dtype), p)


@njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def _gn_backward(gy4, x4, w, eps, gx4, ds, db):
    """group_norm's backward in torch's order (``kernels.norm.numpy._gn_backward``) on the
    (N, G, D, S) view; ds, db: (N, C) per-channel sums, kept for the weight gradients."""
    N, G, D, S = x4.shape
    s = 1.0 / (D * S)
    for t in prange(N * G):
        n, g = t // G, t % G
        mu, var = _moments(x4.reshape(N, 1, G, D * S), n, g)
        rstd = 1.0 / np.sqrt(var + eps)
        ds_g = 0.0
        db_g = 0.0
        for d in range(D):
            sx = 0.0
            sg = 0.0
            xr, gr = x4[n, g, d], gy4[n, g, d]
            for m in range(S):
                sx += np.float64(gr[m]) * xr[m]
                sg += gr[m]
            ds[n, g * D + d], db[n, g * D + d] = sx, sg
            ds_g += sx * w[g * D + d]
            db_g += sg * w[g * D + d]
        # in float64: c2 * x + c3 cancels to the size of the result
        c2 = (db_g * mu - ds_g) * rstd * rstd * rstd * s
        c3 = -c2 * mu - db_g * rstd * s
        for d in range(D):
            c1 = rstd * w[g * D + d]
            xr, gr, gxr = x4[n, g, d], gy4[n, g, d], gx4[n, g, d]
            for m in range(S):
                gxr[m] = c1 * gr[m] + c2 * xr[m] + c3
        for d in range(D):  # ds becomes the weight gradient's term (ds - db * mean) * rstd
            ds[n, g * D + d] = (ds[n, g * D + d] - db[n, g * D + d] * mu) * rstd


def _gn_bwd(gy, x, w, b, p):
    w, _ = affine(w, b, p)
    shape = (p.A, p.G, p.M // p.L, p.L)
    gx = empty(p.in_shape, p.dtype)
    ds, db = np.empty((p.A, p.n_affine)), np.empty((p.A, p.n_affine))
    _gn_backward(gy.reshape(shape), x.reshape(shape), w, p.eps, gx.reshape(shape), ds, db)
    return pack(gx, ds.sum(axis=0).astype(p.dtype), db.sum(axis=0).astype(p.dtype), p)


declare_group_norms(numba, _norm_fwd, _norm_bwd)


def _lrn_run(x, gy, p):
    shape = (p.N, p.C, p.S)
    out = empty(p.in_shape, p.dtype)
    grad = gy is not None
    u = np.empty(shape if grad else (1, 1, 1), p.dtype)
    gy3 = gy.reshape(shape) if grad else x.reshape(shape)
    _lrn(x.reshape(shape), p.size, p.lo, p.alpha, p.beta, p.k, gy3, grad, out.reshape(shape), u)
    return out


def _wn_run(v, g, gw, p):
    shape = (p.P, p.D, p.Q)
    grad = gw is not None
    out = empty(p.v_shape, p.dtype)
    gg = empty(p.g_shape, p.dtype)
    _weight_norm(v.reshape(shape), g.reshape(p.D), gw.reshape(shape) if grad else v.reshape(shape),
                 grad, p.whole, out.reshape(shape), gg.reshape(p.D))
    return (out, gg) if grad else out


def _ln2d_shapes(p):
    return (p.N, p.C, p.S), p.N * -(-p.S // LN2D_RUN)


@numba_ln2d.forward
def ln2d_forward(x, w, b, p):
    shape3, _ = _ln2d_shapes(p)
    y = empty(p.in_shape, p.dtype)
    none = np.empty(1, p.dtype)
    _ln2d_forward(x.reshape(shape3), none if w is None else w, none if b is None else b,
                  w is not None, b is not None, p.eps, y.reshape(shape3))
    return y


@numba_ln2d.backward
def ln2d_backward(gy, x, w, b, p):
    shape3, tasks = _ln2d_shapes(p)
    gx = empty(p.in_shape, p.dtype)
    gw, gb = np.zeros((tasks, p.C)), np.zeros((tasks, p.C))
    _ln2d_backward(gy.reshape(shape3), x.reshape(shape3), np.empty(1, p.dtype) if w is None else w,
                   w is not None, p.eps, gx.reshape(shape3), gw, gb)
    return (gx, gw.sum(axis=0).astype(p.dtype) if p.has_weight else None,
            gb.sum(axis=0).astype(p.dtype) if p.has_bias else None)


@numba_lrn.forward
def lrn_forward(x, p):
    return _lrn_run(x, None, p)


@numba_lrn.backward
def lrn_backward(gy, x, p):
    return (_lrn_run(x, gy, p),)


@numba_wn.forward
def wn_forward(v, g, p):
    return _wn_run(v, g, None, p)


@numba_wn.backward
def wn_backward(gy, v, g, p):
    return _wn_run(v, g, gy, p)
