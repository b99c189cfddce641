"""Normalisation as written on the blackboard: plain loops, one statistic at a time.

For batch, instance, group and layer norm, each statistic (a, g) of the (A, B, G, M) view
(``kernels.norm.plan``) is the mean and biased variance of its n = B*M values; then

    y = (x - mean) / sqrt(var + eps) * weight[j] + bias[j],   j = (g*M + m) // L

and the backward, with xhat the normalised input and gxhat = grad_y * weight[j],

    grad_x = (gxhat - sum(gxhat)/n - xhat * sum(gxhat * xhat)/n) / sqrt(var + eps)

(the two sums vanish when the statistics are the running ones: they do not depend on x).
group_norm uses torch's order of operations instead (``_gn_forward``, ``_gn_backward``;
docs/norm.md).
"""
import math
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.norm.plan import GROUP_NORMS, affine, declare_group_norms, pack, quietly, update_running

naive = Algorithm("naive", ops=GROUP_NORMS, slow=True, doc="plain loops; tiny shapes only")
naive_lrn = Algorithm("naive", ops=("local_response_norm",), slow=True, doc=naive.doc)
naive_wn = Algorithm("naive", ops=("weight_norm",), slow=True, doc=naive.doc)
naive_ln2d = Algorithm("naive", ops=("layer_norm2d",), slow=True, doc=naive.doc)


def _rstd(var, eps):
    """1 / sqrt(var + eps) in NumPy scalars: inf at 0 and NaN below, as torch, where Python's
    math would raise."""
    with np.errstate(all="ignore"):
        return np.float64(1.0) / np.sqrt(np.float64(var) + eps)


def _members(p):
    return list(product(range(p.B), range(p.M)))


def _statistics(x4, rm, rv, p):
    mean, var = np.empty((p.A, p.G)), np.empty((p.A, p.G))
    for a, g in product(range(p.A), range(p.G)):
        if p.batch_stats:
            values = [float(x4[a, b, g, m]) for b, m in _members(p)]
            mu = sum(values) / len(values)
            mean[a, g], var[a, g] = mu, sum((v - mu) ** 2 for v in values) / len(values)
        else:
            mean[a, g], var[a, g] = rm[g], rv[g]
    return mean, var


def _norm_forward(x, rm, rv, w, b, p):
    if p.op == "group_norm":
        return _gn_forward(x, w, b, p)
    x4 = x.reshape(p.shape4)
    mean, var = _statistics(x4, rm, rv, p)
    w, b = affine(w, b, p)
    y = empty(p.shape4, p.dtype)
    for a, g in product(range(p.A), range(p.G)):
        rstd = _rstd(var[a, g], p.eps)
        for bb, m in _members(p):
            j = (g * p.M + m) // p.L
            y[a, bb, g, m] = (x4[a, bb, g, m] - mean[a, g]) * rstd * w[j] + b[j]
    update_running(rm, rv, mean, var, p)
    return y.reshape(p.in_shape)


def _norm_backward(gy, x, rm, rv, w, b, p):
    if p.op == "group_norm":
        return _gn_backward(gy, x, w, b, p)
    x4, gy4 = x.reshape(p.shape4), gy.reshape(p.shape4)
    mean, var = _statistics(x4, rm, rv, p)
    w, _ = affine(w, b, p)
    gx = empty(p.shape4, p.dtype)
    gw, gb = np.zeros(p.n_affine), np.zeros(p.n_affine)
    n = p.B * p.M
    for a, g in product(range(p.A), range(p.G)):
        rstd = _rstd(var[a, g], p.eps)
        sum_g = sum_gx = 0.0
        for bb, m in _members(p):
            j = (g * p.M + m) // p.L
            xhat = (x4[a, bb, g, m] - mean[a, g]) * rstd
            gw[j] += gy4[a, bb, g, m] * xhat
            gb[j] += gy4[a, bb, g, m]
            sum_g += gy4[a, bb, g, m] * w[j]
            sum_gx += gy4[a, bb, g, m] * w[j] * xhat
        if not p.batch_stats:
            sum_g = sum_gx = 0.0
        for bb, m in _members(p):
            j = (g * p.M + m) // p.L
            xhat = (x4[a, bb, g, m] - mean[a, g]) * rstd
            gx[a, bb, g, m] = (gy4[a, bb, g, m] * w[j] - sum_g / n - xhat * sum_gx / n) * rstd
    return pack(gx.reshape(p.in_shape), gw.astype(p.dtype), gb.astype(p.dtype), p)


def _gn_loops(p):
    """(n, g, channel c, its S elements) for group_norm's (N, G, C/G, S) view."""
    D, S = p.M // p.L, p.L
    for n, g, d in product(range(p.A), range(p.G), range(D)):
        yield n, g, g * D + d, range(d * S, (d + 1) * S)


def _gn_forward(x, w, b, p):
    """torch's group-norm order (``kernels.norm.plan``): y = x * scale + shift with
    scale = rstd * weight[c] and shift = -scale * mean + bias[c]."""
    x3 = x.reshape(p.A, p.G, p.M)
    mean, var = _statistics(x.reshape(p.shape4), None, None, p)
    y = empty(x3.shape, p.dtype)
    for n, g, c, ms in _gn_loops(p):
        rstd = _rstd(var[n, g], p.eps)
        scale = rstd * (1.0 if w is None else w[c])
        shift = -scale * mean[n, g] + (0.0 if b is None else b[c])
        for m in ms:
            if w is None and b is None:
                y[n, g, m] = (x3[n, g, m] - mean[n, g]) * rstd
            else:
                y[n, g, m] = x3[n, g, m] * scale + shift
    return y.reshape(p.in_shape)


def _gn_backward(gy, x, w, b, p):
    """torch's group-norm backward (formulas in ``kernels.norm.numpy._gn_backward``)."""
    x3, gy3 = x.reshape(p.A, p.G, p.M), gy.reshape(p.A, p.G, p.M)
    mean, var = _statistics(x.reshape(p.shape4), None, None, p)
    w, _ = affine(w, b, p)
    ds, db = np.zeros((p.A, p.n_affine)), np.zeros((p.A, p.n_affine))
    for n, g, c, ms in _gn_loops(p):
        ds[n, c] = sum(float(gy3[n, g, m]) * float(x3[n, g, m]) for m in ms)
        db[n, c] = sum(float(gy3[n, g, m]) for m in ms)
    D, s = p.M // p.L, 1.0 / p.M
    c2, c3 = np.empty((p.A, p.G)), np.empty((p.A, p.G))
    gw, gb = np.zeros(p.n_affine), db.sum(axis=0)
    for n, g in product(range(p.A), range(p.G)):
        rstd, mu = _rstd(var[n, g], p.eps), mean[n, g]
        cs = range(g * D, (g + 1) * D)
        ds_g, db_g = sum(ds[n, c] * w[c] for c in cs), sum(db[n, c] * w[c] for c in cs)
        c2[n, g] = (db_g * mu - ds_g) * rstd * rstd * rstd * s
        c3[n, g] = -c2[n, g] * mu - db_g * rstd * s
        for c in cs:
            gw[c] += (ds[n, c] - db[n, c] * mu) * rstd
    gx = empty(x3.shape, p.dtype)
    for n, g, c, ms in _gn_loops(p):
        rstd = _rstd(var[n, g], p.eps)
        for m in ms:
            gx[n, g, m] = rstd * w[c] * gy3[n, g, m] + c2[n, g] * x3[n, g, m] + c3[n, g]
    return pack(gx.reshape(p.in_shape), gw.astype(p.dtype), gb.astype(p.dtype), p)


declare_group_norms(naive, _norm_forward, _norm_backward)


def _window(c, p):
    """The channels of c's window, clipped to 0..C-1 (torch pads with zeros)."""
    return range(max(c - p.lo, 0), min(c + p.hi, p.C - 1) + 1)


def _lrn_denominator(x3, p):
    """k + alpha/size * (sum of squares over the window), as NumPy scalars: a negative or
    zero denominator raised to -beta gives NaN or inf as in torch (Python floats raise)."""
    D = np.empty(x3.shape)
    for n, c, s in product(range(p.N), range(p.C), range(p.S)):
        D[n, c, s] = p.k + p.alpha / p.size * sum(x3[n, c2, s] ** 2 for c2 in _window(c, p))
    return D


@naive_lrn.forward
@quietly
def _lrn_forward(x, p):
    x3 = x.reshape(p.N, p.C, p.S)
    D = _lrn_denominator(x3, p)
    y = empty(x3.shape, p.dtype)
    for n, c, s in product(range(p.N), range(p.C), range(p.S)):
        y[n, c, s] = x3[n, c, s] * D[n, c, s] ** -p.beta
    return y.reshape(p.in_shape)


@naive_lrn.backward
@quietly
def _lrn_backward(gy, x, p):
    x3, gy3 = x.reshape(p.N, p.C, p.S), gy.reshape(p.N, p.C, p.S)
    D = _lrn_denominator(x3, p)
    gx = empty(x3.shape, p.dtype)
    for n, j, s in product(range(p.N), range(p.C), range(p.S)):
        acc = gy3[n, j, s] * D[n, j, s] ** -p.beta
        if not p.beta:  # torch's derivative of D**0 is a zero (even where D is not finite) times a[j]
            acc -= 0.0 * x3[n, j, s]
        for c in range(p.C if p.beta else 0):  # every output c whose window holds j
            if j in _window(c, p):
                acc -= (2 * p.alpha * p.beta / p.size * gy3[n, c, s] * x3[n, c, s] * x3[n, j, s]
                        * D[n, c, s] ** (-p.beta - 1))
        gx[n, j, s] = acc
    return (gx.reshape(p.in_shape),)


def _norms(v3, p):
    """|v| per d: over (P, Q), or over all of v for the whole-tensor norm.  NumPy scalars:
    a zero norm divides to NaN (0/0) as in torch."""
    sq = [sum(v3[a, d, q] ** 2 for a in range(p.P) for q in range(p.Q)) for d in range(p.D)]
    if p.whole:
        sq = [sum(sq)] * p.D
    return [np.float64(math.sqrt(s)) for s in sq]


@naive_wn.forward
@quietly
def _wn_forward(v, g, p):
    v3, gD = v.reshape(p.P, p.D, p.Q), g.reshape(p.D)
    norms = _norms(v3, p)
    w = empty(v3.shape, p.dtype)
    for a, d, q in product(range(p.P), range(p.D), range(p.Q)):
        w[a, d, q] = v3[a, d, q] * (gD[d] / norms[d])
    return w.reshape(p.v_shape)


@naive_wn.backward
@quietly
def _wn_backward(gw, v, g, p):
    """torch's order of operations (see ``kernels.norm.numpy._wn_backward``)."""
    v3, gw3, gD = v.reshape(p.P, p.D, p.Q), gw.reshape(p.P, p.D, p.Q), g.reshape(p.D)
    norms = _norms(v3, p)
    dots = [sum(gw3[a, d, q] * v3[a, d, q] for a in range(p.P) for q in range(p.Q)) for d in range(p.D)]
    gn = [-dots[d] * gD[d] / (norms[d] * norms[d]) for d in range(p.D)]
    if p.whole:
        gn = [sum(gn)] * p.D
    gv, gg = empty(v3.shape, p.dtype), empty(p.D, p.dtype)
    for d in range(p.D):
        gg[d] = dots[d] / norms[d]
        for a, q in product(range(p.P), range(p.Q)):
            gv[a, d, q] = gw3[a, d, q] * (gD[d] / norms[d]) + v3[a, d, q] * (gn[d] / norms[d])
    return gv.reshape(p.v_shape), gg.reshape(p.g_shape)


def _ln2d_stats(x3, n, s, p):
    """Mean and 1/sqrt(var + eps) of x3[n, :, s], the C channels at one position."""
    values = [float(x3[n, c, s]) for c in range(p.C)]
    mu = sum(values) / p.C
    return mu, _rstd(sum((v - mu) ** 2 for v in values) / p.C, p.eps)


@naive_ln2d.forward
@quietly
def _ln2d_forward(x, w, b, p):
    x3, y = x.reshape(p.N, p.C, p.S), empty((p.N, p.C, p.S), p.dtype)
    for n, s in product(range(p.N), range(p.S)):
        mu, rstd = _ln2d_stats(x3, n, s, p)
        for c in range(p.C):
            v = (x3[n, c, s] - mu) * rstd
            y[n, c, s] = v * (1.0 if w is None else w[c]) + (0.0 if b is None else b[c])
    return y.reshape(p.in_shape)


@naive_ln2d.backward
@quietly
def _ln2d_backward(gy, x, w, b, p):
    """Layer norm's backward over the C values at each position (see the module doc)."""
    x3, gy3 = x.reshape(p.N, p.C, p.S), gy.reshape(p.N, p.C, p.S)
    gx = empty((p.N, p.C, p.S), p.dtype)
    gw, gb = np.zeros(p.C), np.zeros(p.C)
    for n, s in product(range(p.N), range(p.S)):
        mu, rstd = _ln2d_stats(x3, n, s, p)
        xhat = [(x3[n, c, s] - mu) * rstd for c in range(p.C)]
        gxhat = [gy3[n, c, s] * (1.0 if w is None else w[c]) for c in range(p.C)]
        sum_g, sum_gx = sum(gxhat), sum(g * h for g, h in zip(gxhat, xhat))
        for c in range(p.C):
            gx[n, c, s] = (gxhat[c] - sum_g / p.C - xhat[c] * sum_gx / p.C) * rstd
            gw[c] += gy3[n, c, s] * xhat[c]
            gb[c] += gy3[n, c, s]
    return (gx.reshape(p.in_shape), gw.astype(p.dtype) if p.has_weight else None,
            gb.astype(p.dtype) if p.has_bias else None)
