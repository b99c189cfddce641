"""Normalisation in vectorised NumPy: whole-array reductions and broadcasting.

Batch, instance, group and layer norm share one forward and one backward on the (A, B, G, M)
view of ``kernels.norm.plan``.  With xhat = (x - mean) * rstd and gxhat = grad_y * weight,
the input gradient when the statistics come from the batch is

    grad_x = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))

(means over each statistic's B*M elements; Ioffe & Szegedy 2015, section 3), and
rstd * gxhat when they are given (eval mode).  Every reduction accumulates in float64
(the statistics and the weight and bias gradients sum over up to N*H*W elements), and the
results are cast back to the input's dtype.  group_norm has its own pair in torch's
order of operations (``_gn_forward``, ``_gn_backward``; docs/norm.md).
"""
import numpy as np

from kernels._registry import Algorithm
from kernels.norm.plan import GROUP_NORMS, affine, declare_group_norms, given_stats, pack, quietly, update_running

numpy = Algorithm("numpy", ops=GROUP_NORMS, doc="vectorised NumPy reductions")
numpy_lrn = Algorithm("numpy", ops=("local_response_norm",), doc=numpy.doc)
numpy_wn = Algorithm("numpy", ops=("weight_norm",), doc=numpy.doc)
numpy_ln2d = Algorithm("numpy", ops=("layer_norm2d",), doc=numpy.doc)


def _stats(x4, rm, rv, p):
    if p.batch_stats:
        return x4.mean(axis=(1, 3), dtype=np.float64), x4.var(axis=(1, 3), dtype=np.float64)
    return given_stats(rm, rv, p)


def _per_stat(s):
    """An (A, G) statistic broadcast against the (A, B, G, M) view."""
    return s[:, None, :, None]


def _norm_forward(x, rm, rv, w, b, p):
    if p.op == "group_norm":
        return _gn_forward(x, w, b, p)
    x4 = x.reshape(p.shape4)
    mean, var = _stats(x4, rm, rv, p)
    rstd = 1.0 / np.sqrt(var + p.eps)
    w, b = affine(w, b, p)
    j = p.affine_index()
    y = (x4 - _per_stat(mean)) * _per_stat(rstd) * w[j] + b[j]
    update_running(rm, rv, mean, var, p)
    return y.reshape(p.in_shape).astype(p.dtype, copy=False)


def _norm_backward(gy, x, rm, rv, w, b, p):
    if p.op == "group_norm":
        return _gn_backward(gy, x, w, b, p)
    x4, gy4 = x.reshape(p.shape4), gy.reshape(p.shape4)
    mean, var = _stats(x4, rm, rv, p)
    rstd = _per_stat(1.0 / np.sqrt(var + p.eps))
    xhat = (x4 - _per_stat(mean)) * rstd
    w, _ = affine(w, b, p)
    gxhat = gy4 * w[p.affine_index()]
    if p.batch_stats:
        gx = rstd * (gxhat - gxhat.mean(axis=(1, 3), keepdims=True, dtype=np.float64)
                     - xhat * (gxhat * xhat).mean(axis=(1, 3), keepdims=True, dtype=np.float64))
    else:
        gx = rstd * gxhat
    # every weight j covers L consecutive elements of the flattened (G, M)
    gw = (gy4 * xhat).sum(axis=(0, 1), dtype=np.float64).reshape(p.n_affine, p.L).sum(axis=1)
    gb = gy4.sum(axis=(0, 1), dtype=np.float64).reshape(p.n_affine, p.L).sum(axis=1)
    return pack(gx.reshape(p.in_shape).astype(p.dtype, copy=False), gw.astype(p.dtype),
                gb.astype(p.dtype), p)


def _gn_view(x, p):
    """group_norm's input as (N, G, D, S): D channels of S elements per group."""
    return x.reshape(p.A, p.G, p.M // p.L, p.L)


def _gn_stats(x4, p):
    """Mean and rstd per (n, g), shaped (N, G, 1, 1) against the (N, G, D, S) view."""
    mean = x4.mean(axis=(2, 3), keepdims=True, dtype=np.float64)
    var = x4.var(axis=(2, 3), keepdims=True, dtype=np.float64)
    return mean, 1.0 / np.sqrt(var + p.eps)


def _gn_forward(x, w, b, p):
    """torch's group-norm order (see ``kernels.norm.plan``): scale = rstd * weight and
    shift = -scale * mean + bias per (n, channel), y = x * scale + shift."""
    x4 = _gn_view(x, p)
    mean, rstd = _gn_stats(x4, p)
    if w is None and b is None:
        y = (x4 - mean) * rstd
    else:
        w, b = affine(w, b, p)
        scale = rstd * w.reshape(p.G, -1, 1)
        y = x4 * scale + (-scale * mean + b.reshape(p.G, -1, 1))
    return y.reshape(p.in_shape).astype(p.dtype, copy=False)


def _gn_backward(gy, x, w, b, p):
    """torch's group-norm backward: per (n, channel) ds = sum(grad_y * x), db = sum(grad_y);
    per (n, g) the weighted sums ds_g, db_g over the group's channels and

        c2 = (db_g * mean - ds_g) * rstd**3 / n,   c3 = -c2 * mean - db_g * rstd / n,
        grad_x = rstd * weight * grad_y + c2 * x + c3,
        grad_weight = sum over N of (ds - db * mean) * rstd,   grad_bias = sum over N of db."""
    x4, gy4 = _gn_view(x, p), _gn_view(gy, p)
    mean, rstd = _gn_stats(x4, p)
    w, _ = affine(w, b, p)
    w3 = w.reshape(p.G, -1, 1)
    ds = (gy4.astype(np.float64) * x4).sum(axis=3, keepdims=True)  # exact products
    db = gy4.sum(axis=3, keepdims=True, dtype=np.float64)
    ds_g = (ds * w3).sum(axis=2, keepdims=True)
    db_g = (db * w3).sum(axis=2, keepdims=True)
    s = 1.0 / p.M
    c2 = (db_g * mean - ds_g) * rstd * rstd * rstd * s
    c3 = -c2 * mean - db_g * rstd * s
    gx = rstd * w3 * gy4 + c2 * x4 + c3
    gw = ((ds - db * mean) * rstd).sum(axis=0).reshape(-1)
    return pack(gx.reshape(p.in_shape).astype(p.dtype, copy=False), gw.astype(p.dtype),
                db.sum(axis=0).reshape(-1).astype(p.dtype), p)


declare_group_norms(numpy, _norm_forward, _norm_backward)


def _window_sum(a, before, after):
    """out[:, c] = sum of a[:, c'] over c' in [c - before, c + after] within 0..C-1: one
    shifted add per offset, at most 2C - 1 of them however wide the window."""
    C = a.shape[1]
    out = np.zeros_like(a)
    for d in range(-min(before, C - 1), min(after, C - 1) + 1):
        if d >= 0:
            out[:, :C - d] += a[:, d:]
        else:
            out[:, -d:] += a[:, :C + d]
    return out


def _lrn_denominator(x3, p):
    return p.k + (p.alpha / p.size) * _window_sum(x3 * x3, p.lo, p.hi)


@numpy_lrn.forward
@quietly
def _lrn_forward(x, p):
    x3 = x.reshape(p.N, p.C, p.S)
    return (x3 * _lrn_denominator(x3, p) ** -p.beta).reshape(p.in_shape)


@numpy_lrn.backward
@quietly
def _lrn_backward(gy, x, p):
    """d b[c] / d a[j] = D[j]**-beta [c == j] - 2 alpha beta / size * a[c] a[j] D[c]**(-beta-1)
    for every window c that holds j, i.e. c in [j - hi, j + lo]."""
    x3, gy3 = x.reshape(p.N, p.C, p.S), gy.reshape(p.N, p.C, p.S)
    D = _lrn_denominator(x3, p)
    gx = gy3 * D ** -p.beta
    if p.beta:
        u = gy3 * x3 * D ** (-p.beta - 1)
        gx = gx - (2 * p.alpha * p.beta / p.size) * x3 * _window_sum(u, p.hi, p.lo)
    else:   # torch's derivative of D**0 is a zero (even where D is not finite) times a[j]
        gx = gx - 0.0 * x3
    return (gx.reshape(p.in_shape),)


def _wn_norms(v3, p):
    """|v| per d (shape (D,)): over (P, Q), or over all of v for the whole-tensor norm."""
    sq = (v3 * v3).sum(axis=(0, 2), dtype=np.float64)
    return np.full(p.D, np.sqrt(sq.sum())) if p.whole else np.sqrt(sq)


@numpy_wn.forward
@quietly
def _wn_forward(v, g, p):
    v3 = v.reshape(p.P, p.D, p.Q)
    return (v3 * (g.reshape(p.D) / _wn_norms(v3, p))[None, :, None]).reshape(p.v_shape).astype(p.dtype)


@numpy_wn.backward
@quietly
def _wn_backward(gw, v, g, p):
    """w = v * t, t = g / |v| (Salimans & Kingma 2016, eq. 4), differentiated in torch's
    order of operations, which decides where an infinite g or a zero norm gives NaN:

        s = <grad_w, v> per d,   grad_g = s / |v|,
        grad_norm = -s g / |v|**2   (summed over d for the whole-tensor norm),
        grad_v = grad_w t + v grad_norm / |v|.

    (The same value as g / |v| * (grad_w - v s / |v|**2), but with g infinite that form is
    an infinity times a finite projection, where torch's two terms are infinities that
    cancel to NaN wherever their signs differ.)"""
    v3, gw3, gD = v.reshape(p.P, p.D, p.Q), gw.reshape(p.P, p.D, p.Q), g.reshape(p.D)
    norm = _wn_norms(v3, p)
    s = (gw3 * v3).sum(axis=(0, 2), dtype=np.float64)
    gn = -s * gD / (norm * norm)
    if p.whole:
        gn = np.full(p.D, gn.sum())
    gv = gw3 * (gD / norm)[None, :, None] + v3 * (gn / norm)[None, :, None]
    return gv.reshape(p.v_shape).astype(p.dtype), (s / norm).reshape(p.g_shape).astype(p.dtype)


def _ln2d_xhat(x3, p):
    """(x - mean) / sqrt(var + eps) over axis 1 (the channels) of x (N, C, S), and rstd."""
    mean = x3.mean(axis=1, keepdims=True, dtype=np.float64)
    rstd = 1.0 / np.sqrt(x3.var(axis=1, keepdims=True, dtype=np.float64) + p.eps)
    return (x3 - mean) * rstd, rstd


def _per_channel(v, p):
    return v.reshape(1, p.C, 1)


@numpy_ln2d.forward
@quietly
def _ln2d_forward(x, w, b, p):
    xhat, _ = _ln2d_xhat(x.reshape(p.N, p.C, p.S), p)
    y = xhat * _per_channel(w, p) if w is not None else xhat
    y = y + _per_channel(b, p) if b is not None else y
    return y.reshape(p.in_shape).astype(p.dtype, copy=False)


@numpy_ln2d.backward
@quietly
def _ln2d_backward(gy, x, w, b, p):
    gy3 = gy.reshape(p.N, p.C, p.S)
    xhat, rstd = _ln2d_xhat(x.reshape(p.N, p.C, p.S), p)
    gxhat = gy3 * _per_channel(w, p) if w is not None else gy3
    gx = rstd * (gxhat - gxhat.mean(axis=1, keepdims=True, dtype=np.float64)
                 - xhat * (gxhat * xhat).mean(axis=1, keepdims=True, dtype=np.float64))
    gw = (gy3 * xhat).sum(axis=(0, 2), dtype=np.float64).astype(p.dtype) if p.has_weight else None
    gb = gy3.sum(axis=(0, 2), dtype=np.float64).astype(p.dtype) if p.has_bias else None
    return gx.reshape(p.in_shape).astype(p.dtype, copy=False), gw, gb
