"""Normalisation ops: one plan for batch, instance, group and layer norm, plus local
response norm and weight norm.

Batch, instance, group and layer norm are one computation.  The input is viewed as
(A, B, G, M): statistics (mean, biased variance) are taken per (a, g) over the B*M
elements (b, m), and element (a, b, g, m) is normalised with them,

    y = (x - mean[a, g]) / sqrt(var[a, g] + eps) * weight[j] + bias[j],  j = (g*M + m) // L

(Ioffe & Szegedy 2015; Ba et al. 2016; Ulyanov et al. 2016; Wu & He 2018).  For an input
(N, C, *spatial) with S = prod(spatial):

    op             A      B   G          M            L (elements per affine weight)
    batch_norm     1      N   C          S            S
    instance_norm  N      1   C          S            S
    group_norm     N      1   num_groups C/groups*S   S
    layer_norm     rows   1   1          prod(normalized_shape)   1

so every algorithm writes one forward and one backward for all four ops.  In eval mode
(batch_norm with training=False, instance_norm with use_input_stats=False) the statistics
are the running ones instead of the batch's.

group_norm follows torch's group-norm kernel's order of operations instead (folded
y = x * (rstd * weight) + (-(rstd * weight) * mean + bias), and its backward through
per-channel sums of grad_y * x and grad_y): with an infinite weight the order decides
where the result is NaN.  Every algorithm implements it beside the shared pair; the
formulas and the per-op rule are in docs/norm.md ("group_norm: torch's order of
operations").
"""
from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import numpy as np

from kernels._params import check_bool, check_real, prod
from kernels._registry import REQUIRED, Input, Op, Staged, core


# ---------------------------------------------------------------------------------------
# batch / instance / group / layer norm
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormPlan:
    op: str
    in_shape: tuple
    A: int
    B: int
    G: int
    M: int
    L: int
    batch_stats: bool      # statistics from the input (else from running_mean/var)
    has_running: bool      # running_mean/var given (updated in place when batch_stats)
    has_weight: bool
    has_bias: bool
    affine_shape: tuple    # the affine parameters' logical shape: (C,) or normalized_shape
    momentum: float
    eps: float
    dtype: np.dtype
    w_shape: tuple | None = None   # weight's own shape (batch_norm takes any with C elements)
    b_shape: tuple | None = None

    @property
    def out_shape(self) -> tuple:
        return self.in_shape

    @property
    def n_affine(self) -> int:
        return prod(self.affine_shape)

    @property
    def shape4(self) -> tuple:
        return (self.A, self.B, self.G, self.M)

    def affine_index(self) -> np.ndarray:
        """j = (g*M + m) // L for every (g, m): which weight scales element (., ., g, m)."""
        return (np.arange(self.G * self.M) // self.L).reshape(self.G, self.M)


def _vector(op, name, shape, length, what="channels"):
    if shape is not None and tuple(shape) != (length,):
        raise ValueError(f"{op}: {name} must have shape ({length},) (one per {what}), "
                         f"got {tuple(shape)}")


def _nc_input(op, x, min_nd):
    """(N, C, S) of an input (N, C, *spatial) with at least min_nd dims, any number of
    spatial dims and zero sizes allowed (as torch)."""
    if x is None or len(x) < min_nd:
        got = "nothing" if x is None else f"shape {tuple(x)}"
        raise ValueError(f"{op}: input must be (N, C, *spatial) with at least {min_nd} "
                         f"dimensions, got {got}")
    return x[0], x[1], prod(x[2:])


def _momentum(op, momentum):
    """Any real number, as torch.nn.functional takes it (negative, above 1, NaN...);
    None, torch.nn's cumulative average, is a module feature."""
    if momentum is None:
        raise TypeError(f"{op}: momentum=None (cumulative average) is not supported, as in "
                        f"torch.nn.functional; pass a float")
    return check_real(op, "momentum", momentum)


def _running(op, rm, rv, C, required):
    if (rm is None) != (rv is None):
        raise ValueError(f"{op}: running_mean and running_var must be given together")
    if rm is None and required:
        raise ValueError(f"{op}: running_mean and running_var are required in evaluation mode")
    _vector(op, "running_mean", rm, C)
    _vector(op, "running_var", rv, C)
    return rm is not None


def _elements(op, name, shape, C):
    """batch_norm's weight and bias: any shape holding C elements, as torch checks them."""
    if shape is not None and prod(shape) != C:
        raise ValueError(f"{op}: {name} must hold one value per channel ({C}), got shape "
                         f"{tuple(shape)}")
    return None if shape is None else tuple(shape)


def batch_norm_plan(op, shapes, dtype, training, momentum, eps):
    x, rm, rv, w, b = shapes
    N, C, S = _nc_input(op, x, 2)
    training = check_bool(op, "training", training)
    has_running = _running(op, rm, rv, C, required=not training)
    w_shape, b_shape = _elements(op, "weight", w, C), _elements(op, "bias", b, C)
    if training and N * S == 1:
        raise ValueError(f"{op}: input {tuple(x)} has one value per channel; training needs more")
    if C == 0 and (w is not None or b is not None):
        raise ValueError(f"{op}: an input with no channels {tuple(x)} takes no weight or bias "
                         f"(torch refuses it)")
    momentum, eps = _momentum(op, momentum), check_real(op, "eps", eps)
    if training and eps <= 0:   # NaN passes, as in torch
        raise ValueError(f"{op}: eps must be positive in training, got {eps!r}")
    if eps < 0:
        raise ValueError(f"{op}: eps must be non-negative, got {eps!r}")
    return NormPlan(op, tuple(x), 1, N, C, S, S, training, has_running, w is not None,
                    b is not None, (C,), momentum, eps, dtype, w_shape, b_shape)


def instance_norm_plan(op, shapes, dtype, use_input_stats, momentum, eps):
    x, rm, rv, w, b = shapes
    N, C, S = _nc_input(op, x, 2)
    use_input_stats = check_bool(op, "use_input_stats", use_input_stats)
    has_running = _running(op, rm, rv, C, required=not use_input_stats)
    _vector(op, "weight", w, C)
    _vector(op, "bias", b, C)
    if use_input_stats and S == 1:
        raise ValueError(f"{op}: input {tuple(x)} has one spatial element; needs more")
    if N * C == 0 and (w is not None or b is not None):
        raise ValueError(f"{op}: an input with no instances or no channels {tuple(x)} takes "
                         f"no weight or bias (torch refuses it)")
    return NormPlan(op, tuple(x), N, 1, C, S, S, use_input_stats, has_running, w is not None,
                    b is not None, (C,), _momentum(op, momentum), check_real(op, "eps", eps), dtype,
                    None if w is None else (C,), None if b is None else (C,))


def group_norm_plan(op, shapes, dtype, num_groups, eps):
    x, w, b = shapes
    N, C, S = _nc_input(op, x, 2)
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral):
        raise TypeError(f"{op}: num_groups must be an int, got {num_groups!r}")
    if num_groups < 1:
        raise ValueError(f"{op}: num_groups must be positive, got {num_groups!r}")
    if C % num_groups:
        raise ValueError(f"{op}: num_groups ({num_groups}) must divide the channels ({C})")
    G = int(num_groups)
    _vector(op, "weight", w, C)
    _vector(op, "bias", b, C)
    if N * (C // G) * S == 1:
        raise ValueError(f"{op}: input {tuple(x)} has one value per group; needs more")
    return NormPlan(op, tuple(x), N, 1, G, C // G * S, S, True, False, w is not None,
                    b is not None, (C,), 0.0, check_real(op, "eps", eps), dtype,
                    None if w is None else (C,), None if b is None else (C,))


def normalized(op, normalized_shape) -> tuple:
    """normalized_shape as torch.nn.functional.layer_norm takes it: a non-empty tuple or
    list (torch.Size included) of non-negative ints; a bare int is refused, as torch does."""
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        raise TypeError(f"{op}: normalized_shape must be a tuple of ints, got the int "
                        f"{normalized_shape!r} (torch.nn.functional refuses it too: pass "
                        f"({normalized_shape},))")
    if not (isinstance(normalized_shape, (tuple, list)) and all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in normalized_shape)):
        raise TypeError(f"{op}: normalized_shape must be a tuple of ints, got {normalized_shape!r}")
    if not normalized_shape:
        raise ValueError(f"{op}: normalized_shape must hold at least one dimension, got ()")
    return tuple(int(d) for d in normalized_shape)


def layer_norm_plan(op, shapes, dtype, normalized_shape, eps):
    x, w, b = shapes
    ns = normalized(op, normalized_shape)
    if x is None or len(x) < len(ns) or tuple(x[len(x) - len(ns):]) != ns:
        raise ValueError(f"{op}: normalized_shape {ns} must match the trailing dimensions of "
                         f"the input {None if x is None else tuple(x)}")
    for name, s in (("weight", w), ("bias", b)):
        if s is not None and tuple(s) != ns:
            raise ValueError(f"{op}: {name} must have normalized_shape {ns}, got {tuple(s)}")
    rows = prod(x[:len(x) - len(ns)])
    return NormPlan(op, tuple(x), rows, 1, 1, prod(ns), 1, True, False, w is not None,
                    b is not None, ns, 0.0, check_real(op, "eps", eps), dtype,
                    None if w is None else ns, None if b is None else ns)


def norm_cost(p: NormPlan) -> dict:
    """params: weight + bias.  macs per element: 1 for the normalise step (x*scale + shift
    once scale and shift are folded per statistic), plus 2 for the statistics (sum and sum
    of squares) when they come from the batch."""
    n = prod(p.in_shape)
    params = p.n_affine * (p.has_weight + p.has_bias)
    macs = n * (3 if p.batch_stats else 1)
    stats = 2 * p.n_affine if p.has_running else 0
    elems = 2 * n + params + stats * (2 if p.batch_stats else 1)
    return {"params": params, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


def update_running(rm, rv, mean, var, p: NormPlan) -> None:
    """torch's update, in place: r = (1 - momentum) * r + momentum * batch statistic, the
    variance unbiased (times n/(n-1), n = B*M values per statistic).  instance_norm averages
    its per-instance statistics over the batch first, as torch does."""
    if not (p.has_running and p.batch_stats):
        return
    n = p.B * p.M
    m = p.momentum
    rm *= 1.0 - m
    rm += m * mean.mean(axis=0)
    rv *= 1.0 - m
    rv += m * (var * (n / (n - 1))).mean(axis=0)


def given_stats(rm, rv, p: NormPlan):
    """The running statistics as (A, G) arrays, for eval mode."""
    shape = (p.A, p.G)
    return (np.ascontiguousarray(np.broadcast_to(rm, shape)),
            np.ascontiguousarray(np.broadcast_to(rv, shape)))


def affine(w, b, p: NormPlan):
    """weight and bias as arrays (ones and zeros where absent)."""
    w = np.ones(p.n_affine, p.dtype) if w is None else w.reshape(-1)
    b = np.zeros(p.n_affine, p.dtype) if b is None else b.reshape(-1)
    return w, b


def split(arrays, p: NormPlan):
    """(input, running_mean, running_var, weight, bias) whatever the op's inputs."""
    if len(arrays) == 5:
        return arrays
    x, w, b = arrays
    return x, None, None, w, b


def quietly(fn):
    """fn run with NumPy's floating-point warnings off: NaN and inf where torch has them."""
    @functools.wraps(fn)
    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*args)
    return run


def declare_group_norms(algorithm, forward, backward):
    """Declare forward(x, running_mean, running_var, weight, bias, p) and
    backward(gy, x, ..., p) as the algorithm's for the four group norms, whose own inputs
    ``split`` maps onto those five; both run ``quietly``."""
    @algorithm.forward
    @quietly
    def run_forward(*args):
        *arrays, p = args
        return forward(*split(arrays, p), p)

    @algorithm.backward
    @quietly
    def run_backward(gy, *args):
        *arrays, p = args
        return backward(gy, *split(arrays, p), p)


def pack(gx, gw, gb, p: NormPlan):
    """The gradients in the op's input order, weight/bias in their shape (None if absent)."""
    gw = gw.reshape(p.w_shape) if p.has_weight else None
    gb = gb.reshape(p.b_shape) if p.has_bias else None
    if p.op in ("batch_norm", "instance_norm"):
        return gx, None, None, gw, gb
    return gx, gw, gb


class _RunningStatsOp(Op):
    """Batch and instance norm: running statistics updated in place by the batch's."""
    writes = ("running_mean", "running_var")

    def updates(self, plan):
        return plan.has_running and plan.batch_stats

    def cost_of(self, plan):
        return norm_cost(plan)

    def make_inputs(self, shapes, params, rng):
        return _with_positive_var(shapes, rng)


class BatchNormOp(_RunningStatsOp):
    inputs = (Input("input"), Input("running_mean", optional=True, differentiable=False),
              Input("running_var", optional=True, differentiable=False),
              Input("weight", optional=True), Input("bias", optional=True))
    # torch's running_mean and running_var have no default: they must be passed
    # (None is allowed in training mode)
    defaults = {"running_mean": REQUIRED, "running_var": REQUIRED,
                "training": False, "momentum": 0.1, "eps": 1e-5}

    def plan(self, shapes, dtype, params):
        return batch_norm_plan(self.name, shapes, dtype, **params)


class InstanceNormOp(_RunningStatsOp):
    inputs = BatchNormOp.inputs
    defaults = {"use_input_stats": True, "momentum": 0.1, "eps": 1e-5}

    def __call__(self, *args, algo: str = "auto", **kwargs):
        out = super().__call__(*args, algo=algo, **kwargs)
        (x, rm, rv, _, _), params = self._bind(args, kwargs)
        if x.shape[0] == 0 and rm is not None and params["use_input_stats"]:
            # torch averages the per-instance statistics over the batch: over no instance
            # that mean is NaN, and it replaces the running statistics
            for r in (rm, rv):
                if hasattr(r, "copy_to_device"):   # a Numba device array (algo="cuda")
                    r.copy_to_device(np.full(r.shape, np.nan, r.dtype))
                else:
                    r[...] = np.nan
        return out

    def plan(self, shapes, dtype, params):
        return instance_norm_plan(self.name, shapes, dtype, **params)


def _with_positive_var(shapes, rng):
    """Zero-mean normals, except running_var: a variance, so in [0.5, 1.5)."""
    arrays = [None if s is None else rng.standard_normal(s) for s in shapes]
    if shapes[2] is not None:
        arrays[2] = 0.5 + rng.random(shapes[2])
    return arrays


class GroupNormOp(Op):
    """torch's order puts a parameter between the input and the other arrays:
    ``group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)``."""
    inputs = (Input("input"), Input("weight", optional=True), Input("bias", optional=True))
    defaults = {"num_groups": REQUIRED, "eps": 1e-5}
    order = ("input", "num_groups", "weight", "bias", "eps")

    def plan(self, shapes, dtype, params):
        return group_norm_plan(self.name, shapes, dtype, **params)

    def empty_gradients(self, plan, arrays):
        """torch's weight gradient is NaN where the groups exist but hold no element
        (spatial size 0): it scales by their NaN statistics."""
        grads = super().empty_gradients(plan, arrays)
        if self.name == "group_norm" and grads[1] is not None and plan.A > 0 and plan.M == 0:
            grads[1][...] = np.nan
        return grads

    def cost_of(self, plan):
        return norm_cost(plan)


class LayerNormOp(GroupNormOp):
    defaults = {"normalized_shape": REQUIRED, "eps": 1e-5}
    order = ("input", "normalized_shape", "weight", "bias", "eps")

    def plan(self, shapes, dtype, params):
        return layer_norm_plan(self.name, shapes, dtype, **params)


# ---------------------------------------------------------------------------------------
# layer norm over the channels of NCHW (ConvNeXt's LayerNorm2d)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerNorm2dPlan:
    """Statistics per (n, s) over the C channels of x viewed as (N, C, S), S = H*W."""
    in_shape: tuple
    N: int
    C: int
    S: int
    has_weight: bool
    has_bias: bool
    eps: float
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return self.in_shape


def layer_norm2d_plan(op, shapes, dtype, eps):
    x, w, b = shapes
    if x is None or len(x) != 4:
        got = "nothing" if x is None else f"shape {tuple(x)}"
        raise ValueError(f"{op}: input must be (N, C, H, W) (4-D), got {got}")
    N, C, H, W = x
    _vector(op, "weight", w, C)
    _vector(op, "bias", b, C)
    return LayerNorm2dPlan(tuple(x), N, C, H * W, w is not None, b is not None,
                           check_real(op, "eps", eps), dtype)


def layer_norm2d_cost(p: LayerNorm2dPlan) -> dict:
    """As layer_norm: 3 macs per element (statistics and normalise), weight and bias."""
    n = prod(p.in_shape)
    params = p.C * (p.has_weight + p.has_bias)
    return {"params": params, "macs": 3 * n, "flops": 6 * n,
            "bytes": (2 * n + params) * p.dtype.itemsize}


class LayerNorm2dOp(Op):
    inputs = (Input("input"), Input("weight", optional=True), Input("bias", optional=True))
    defaults = {"eps": 1e-6}

    def plan(self, shapes, dtype, params):
        return layer_norm2d_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        return layer_norm2d_cost(plan)


# ---------------------------------------------------------------------------------------
# local response norm and weight norm
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LrnPlan:
    in_shape: tuple
    N: int
    C: int
    S: int
    size: int
    alpha: float
    beta: float
    k: float
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return self.in_shape

    @property
    def lo(self) -> int:
        """Channels before c in its window (torch pads size//2 before, (size-1)//2 after)."""
        return self.size // 2

    @property
    def hi(self) -> int:
        return (self.size - 1) // 2


def lrn_plan(op, shapes, dtype, size, alpha, beta, k):
    (x,) = shapes
    N, C, S = _nc_input(op, x, 3)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(f"{op}: size must be an int, got {size!r}")
    if size < 1:
        raise ValueError(f"{op}: size must be positive, got {size!r}")
    # torch pads the squared input to (N, C + size - 1, S): a window wider than that
    # workspace can hold is refused, as torch refuses it (the windows here are clipped)
    if (N * S * dtype.itemsize) * (C + size - 1) > 2 ** 63 - 1:
        raise ValueError(f"{op}: size {size} is too large: torch's padded workspace "
                         f"(N, C + size - 1, *spatial) would overflow")
    return LrnPlan(tuple(x), N, C, S, int(size), check_real(op, "alpha", alpha),
                   check_real(op, "beta", beta), check_real(op, "k", k), dtype)


def lrn_cost(p: LrnPlan) -> dict:
    """macs: per element, the window's sum of squares (size) and the scaling (2); the power
    is not counted.  No parameters."""
    n = prod(p.in_shape)
    macs = n * (p.size + 2)
    return {"params": 0, "macs": macs, "flops": 2 * macs, "bytes": 2 * n * p.dtype.itemsize}


@dataclass(frozen=True)
class WeightNormPlan:
    v_shape: tuple
    g_shape: tuple
    P: int      # v viewed as (P, D, Q); one norm per d over (P, Q) ...
    D: int
    Q: int
    dtype: np.dtype
    whole: bool = False  # ... or one norm over all of v, g holding D values along d

    @property
    def out_shape(self) -> tuple:
        return self.v_shape


def weight_norm_plan(op, shapes, dtype, dim):
    v, g = shapes
    if v is None or len(v) < 1:
        raise ValueError(f"{op}: v must have at least one dimension, got {v}")
    nd = len(v)
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, numbers.Integral)):
        raise TypeError(f"{op}: dim must be an int or None, got {dim!r}")
    if dim is None or dim == -1:  # torch._weight_norm: -1 is the whole tensor, like None
        return _whole_plan(op, tuple(v), tuple(g), dtype, dim)
    if not -nd <= dim < nd:
        raise ValueError(f"{op}: dim must be in [{-nd}, {nd}) or None (-1: the whole tensor), "
                         f"got {dim}")
    # torch's fused kernel serves dim 0 and nd - 1 as given (not other negative dims); the
    # others compute v * (g / norm_except_dim(v)), which views v as (v[dim], -1)
    fused = dim in (0, nd - 1)
    given, dim = dim, int(dim) % nd
    if not fused and v[dim] == 0:
        raise ValueError(f"{op}: v must not be empty along dim {given} (torch's norm_except_dim "
                         f"cannot view it), got shape {tuple(v)}")
    want = tuple(v[i] if i == dim else 1 for i in range(nd))
    plan = WeightNormPlan(tuple(v), want, prod(v[:dim]), v[dim], prod(v[dim + 1:]), dtype)
    if tuple(g) == want:
        return plan
    if (prod(g) == v[dim]) if fused else _broadcasts(g, want):
        return ReshapedG(plan, tuple(g))
    raise ValueError(f"{op}: g must have shape {want} (v's size along dim {dim}, 1 elsewhere), or "
                     + (f"hold those {v[dim]} values in any shape (torch's fused kernel reads them "
                        f"in order)" if fused else "a shape that broadcasts to it")
                     + f", got {tuple(g)}")


def _whole_plan(op, v, g, dtype, dim):
    """dim None or -1: torch computes v * (g / ||v||) with the whole tensor's norm and g
    broadcast over v (one value, or a value per position along some of v's dims).  The
    algorithms see v as (P, D, Q) with g's D values along d: v itself when the dims g
    varies along are adjacent, else a copy with those dims moved to the front."""
    if not _broadcasts(g, v):
        raise ValueError(f"{op}: g must broadcast to v's shape {v} when dim is {dim} (one value, "
                         f"or v's size or 1 along each dim), got {g}")
    full = (1,) * (len(v) - len(g)) + g
    kept = [i for i, n in enumerate(full) if n != 1]
    if not kept or kept == list(range(kept[0], kept[-1] + 1)):
        a, b = (kept[0], kept[-1] + 1) if kept else (0, 0)
        return WeightNormPlan(v, g, prod(v[:a]), prod(v[a:b]), prod(v[b:]), dtype, whole=True)
    perm = tuple(kept + [i for i in range(len(v)) if i not in kept])
    moved = tuple(v[i] for i in perm)
    D = prod(moved[:len(kept)])
    return MovedG(WeightNormPlan(moved, (D,), 1, D, prod(moved[len(kept):]), dtype, whole=True),
                  perm, g)


def _broadcasts(shape, to) -> bool:
    try:
        return np.broadcast_shapes(tuple(shape), to) == to
    except ValueError:
        return False


@dataclass(frozen=True)
class ReshapedG(Staged):
    """A g in another shape than the norms' (1.., D, 1..), as torch takes it: for dim 0 or
    the last, D values in any shape (its fused kernel reads them in order; fewer would be
    read out of bounds, so they are refused); for the other dims, any shape that broadcasts
    to the norms' (torch's v * (g / norm)), one value included, whose gradient is then the
    sum of the D values' gradients.  The algorithms see g as D values."""
    inner: WeightNormPlan
    g_shape: tuple

    @property
    def out_shape(self) -> tuple:
        return self.inner.out_shape

    def enter(self, arrays) -> list:
        v, g = arrays
        if g.size == self.inner.D:
            return [v, g.reshape(self.inner.g_shape)]
        return [v, np.ascontiguousarray(np.broadcast_to(g, self.inner.g_shape))]

    def leave(self, out):
        return out

    def enter_grad(self, grad_out):
        return grad_out

    def leave_grads(self, grads) -> tuple:
        gv, gg = grads
        if prod(self.g_shape) == self.inner.D:
            return gv, gg.reshape(self.g_shape)
        return gv, np.asarray(gg.sum(dtype=np.float64), gg.dtype).reshape(self.g_shape)


@dataclass(frozen=True)
class MovedG(Staged):
    """The whole-tensor norm with a g that varies along dims of v that are not adjacent
    (g (3, 1, 2) for v (3, 4, 2)): the algorithms see v with those dims moved to the front
    (a copy), as (1, D, Q), and g as (D,)."""
    inner: WeightNormPlan
    perm: tuple
    g_shape: tuple

    @property
    def out_shape(self) -> tuple:
        return tuple(self.inner.v_shape[self.perm.index(i)] for i in range(len(self.perm)))

    def _back(self, a):
        return np.ascontiguousarray(a.transpose(np.argsort(self.perm)))

    def enter(self, arrays) -> list:
        v, g = arrays
        return [np.ascontiguousarray(v.transpose(self.perm)), g.reshape(self.inner.g_shape)]

    def leave(self, out):
        return self._back(out)

    def enter_grad(self, grad_out):
        return np.ascontiguousarray(grad_out.transpose(self.perm))

    def leave_grads(self, grads) -> tuple:
        gv, gg = grads
        return self._back(gv), gg.reshape(self.g_shape)


def weight_norm_cost(p: WeightNormPlan) -> dict:
    """params: v and g (both trainable).  macs: sum of squares and the scaling, 2 per element."""
    n = prod(p.v_shape)
    params = n + prod(p.g_shape)
    return {"params": params, "macs": 2 * n, "flops": 4 * n,
            "bytes": (params + n) * p.dtype.itemsize}


class LrnOp(Op):
    inputs = (Input("input"),)
    defaults = {"size": REQUIRED, "alpha": 1e-4, "beta": 0.75, "k": 1.0}

    def plan(self, shapes, dtype, params):
        return lrn_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        return lrn_cost(plan)


class WeightNormOp(Op):
    inputs = (Input("v"), Input("g"))
    defaults = {"dim": 0}

    def plan(self, shapes, dtype, params):
        return weight_norm_plan(self.name, shapes, dtype, **params)

    def empty_gradients(self, plan, arrays):
        """torch's gradient of g is NaN when v is empty: <grad_w, v> / ||v|| = 0 / 0."""
        grads = super().empty_gradients(plan, arrays)
        grads[1][...] = np.nan
        return grads

    def cost_of(self, plan):
        return weight_norm_cost(core(plan))


# ---------------------------------------------------------------------------------------
# the ops
# ---------------------------------------------------------------------------------------
batch_norm = BatchNormOp("batch_norm", """batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05, algo="auto")

Batch normalisation (Ioffe & Szegedy 2015) of input (N, C, *spatial), any number of spatial
dims.  training=True: statistics of the batch (per channel over N and spatial), and when
given, running_mean and running_var (writeable NumPy arrays of shape (C,)) are updated IN
PLACE as torch does:
    running = (1 - momentum) * running + momentum * batch statistic   (variance unbiased)
momentum is any float (None, torch.nn's cumulative average, is a TypeError, as in
torch.nn.functional); eps must be positive in training and non-negative otherwise.
training=False: the running statistics normalise.  weight and bias may have any shape
holding C values, as in torch.  ``backward`` never touches the running statistics; their
gradients are None.""")

instance_norm = InstanceNormOp("instance_norm", """instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-05, algo="auto")

Instance normalisation (Ulyanov et al. 2016): statistics per (image, channel) over the
spatial dims of input (N, C, *spatial).  With use_input_stats and running statistics
given, they are updated in place with the batch average of the per-instance statistics
(as torch does: NaN when N = 0); use_input_stats=False normalises with the running
statistics.""")

group_norm = GroupNormOp("group_norm", """group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, algo="auto")

Group normalisation (Wu & He 2018): the C channels of input (N, C, *spatial) in num_groups
groups, statistics per (image, group); weight and bias per channel.""")

layer_norm = LayerNormOp("layer_norm", """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, algo="auto")

Layer normalisation (Ba et al. 2016): statistics over the trailing dims normalized_shape
(a tuple or list of ints; a bare int is refused, as torch.nn.functional refuses it),
weight and bias of shape normalized_shape (elementwise affine).""")

layer_norm2d = LayerNorm2dOp("layer_norm2d", """layer_norm2d(input, weight=None, bias=None, eps=1e-06, algo="auto")

Layer normalisation over the channels of input (N, C, H, W) at every (n, h, w), weight and
bias of shape (C,): torchvision's LayerNorm2d (ConvNeXt, Liu et al. 2022), which torch
computes as permute to NHWC, F.layer_norm over C, permute back.""")

local_response_norm = LrnOp("local_response_norm", """local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0, algo="auto")

Local response normalisation across channels, torch's formula:

    b[c] = a[c] / (k + alpha / size * sum_{c' = c - size//2}^{c + (size-1)//2} a[c']**2) ** beta

(channels outside 0..C-1 count as zeros, and the sum is divided by size even at the edges).
AlexNet's (Krizhevsky, Sutskever & Hinton 2012, section 3.3) does not divide alpha by the
window size n, and uses k=2, n=5, alpha=1e-4, beta=0.75: to get it here, pass size=5,
k=2, alpha=5e-4.""")

weight_norm = WeightNormOp("weight_norm", """weight_norm(v, g, dim=0, algo="auto")

Weight normalisation (Salimans & Kingma 2016), as torch._weight_norm: w = g * v / ||v||,
the 2-norm over every dim of v except ``dim``; g has v's size along dim and 1 elsewhere.
dim=None normalises over the whole tensor; as in torch, dim=-1 means the same thing (it is
not the last dim), and g holds one value or, as torch's v * (g / ||v||) takes it, values
that broadcast over v (v's size or 1 along each dim).""")

GROUP_NORMS = ("batch_norm", "instance_norm", "group_norm", "layer_norm")
NORM_OPS = GROUP_NORMS + ("layer_norm2d", "local_response_norm", "weight_norm")
