"""Second derivatives: every op's backward written from differentiable pieces.

With ``create_graph=True`` (double backward, gradient penalties, Hessian-vector products)
the backward of ``kernels.torch.<op>`` follows the op's rule below, so that autograd
records it; without, the op's fused backward kernel runs (``_function.gradients``).  The
pieces are our own ops again, through ``kernels.torch`` (so their derivatives are again
our kernels), and torch's elementwise ops and reductions.  A rule is one entry of
``RULES``; the kinds:

- ``Multilinear(*inputs, bias=...)``: ops linear in each of ``inputs`` separately, plus a
  broadcast bias: convolutions (linear in the input and in the weight), pooling by
  averages, interpolation, pixel shuffles, dropout (fixed mask).  The gradient
  of a linear map is linear, and the gradient of that is the op again: for
  f = M(a_1, ..., a_m) + B(b), the backward g_j = J_j^T gy has
  d<g_j, v>/d gy = M(a_j := v) (the op with a_j replaced by v, no bias) and
  d<g_j, v>/d a_k = the op's gradient for a_k at the point a_j := v (k != j).
  The input gradient of a convolution is so a transposed convolution with the same
  weight, and its weight gradient a correlation of input and output gradient, computed by
  the op's own backward kernel.
- ``Composed(fn)``: ops that are a short composition of other ops of ours and torch's
  elementwise ops (max pooling: a gather at the argmax indices; Lp pooling and local
  response norm: average pooling of powers; coord conv: conv2d of the input with its
  coordinate channels); the gradient is autograd's through the composition.
- ``Elementwise(fn)``: activations, grad_input = grad_output * fn(call, input).
- formulas: the textbook gradients of the normalisations (mean and variance over the
  reduced axes) in torch's elementwise ops and reductions, and of unpooling (a gather).
- a string: why there is no second derivative (``deform_conv2d``, as in torchvision);
  the first backward works, asking for the second raises with that reason.

Composed pieces run with the call's algorithm where that op has it, else ``"auto"``.
"""
from __future__ import annotations

import math

import torch

import kernels
from kernels.torch import _function, _tensors

RULES = _function.RULES


def run(name: str, algo: str, *args, **kwargs):
    """``kernels.torch.<name>(*args, **kwargs)`` with the caller's algorithm where ``name``
    has it (else auto): a differentiable piece of a rule."""
    op = kernels.OPS[name]
    tensors, params = op._bind(args, kwargs)
    return _function.apply(name, tensors, params, algo if algo in op.registered() else "auto")


def _slots(op, tensors) -> list[int]:
    """Positions of the inputs that receive a gradient."""
    return [i for i, (s, t) in enumerate(zip(op.inputs, tensors)) if _tensors.gets_gradient(s, t)]


def _empty_guard(rule):
    """An empty output has zero gradients (as ``Op.backward``), whatever the rule."""
    def guarded(call, grad_out, tensors):
        if grad_out.numel() == 0:
            slots = _slots(call.op, tensors)
            return [torch.zeros_like(t) if i in slots else None for i, t in enumerate(tensors)]
        return rule(call, grad_out, tensors)
    guarded.rule = rule
    return guarded


def _add(a, b):
    return b if a is None else a + b


# ---- ops linear in each input ---------------------------------------------------------------
class Multilinear:
    """f = M(a_1, ..., a_m) + B(bias), M linear in each a_j (the others fixed)."""

    def __init__(self, *linear: str, bias: str | None = None):
        self.linear, self.bias = linear, bias

    def __call__(self, call, grad_out, tensors):
        slots = _slots(call.op, tensors)
        other = {call.op.inputs[i].name for i in slots} - {*self.linear, self.bias}
        if other:
            raise TypeError(f"{call.op.name}: the multilinear rule does not cover {sorted(other)}")
        grads = LinearVJP.apply(self, call, grad_out, *tensors)
        grads = (grads,) if isinstance(grads, torch.Tensor) else grads
        out = [None] * len(tensors)
        for i, g in zip(slots, grads):
            out[i] = g
        return out


class LinearVJP(torch.autograd.Function):
    """apply(rule, call, grad_out, *tensors): the fused backward of a multilinear op (one
    output per input that gets a gradient), differentiable in grad_out and every input."""

    @staticmethod
    def forward(ctx, rule, call, grad_out, *tensors):
        grads = _function.fused(call, grad_out, tensors)
        ctx.rule, ctx.call = rule, call
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(grad_out, *tensors)
        return tuple(grads[i] for i in _slots(call.op, tensors))

    @staticmethod
    def backward(ctx, *cotangents):
        rule, call = ctx.rule, ctx.call
        op = call.op
        grad_out, *tensors = ctx.saved_tensors
        needs = ctx.needs_input_grad[3:]
        slots = _slots(op, tensors)
        linear = [i for i in slots if op.inputs[i].name in rule.linear]
        bias = next((i for i in slots if op.inputs[i].name == rule.bias), None)
        d_grad_out, d_inputs = None, [None] * len(tensors)
        for i, v in zip(slots, cotangents):
            if v is None:
                continue
            swapped = list(tensors)
            if i == bias:      # B(v) = f(0, ..., bias := v)
                first = linear[0]
                swapped[first] = torch.zeros_like(tensors[first])
                swapped[i] = v
            else:
                swapped[i] = v
                if bias is not None:
                    swapped[bias] = None
                if any(needs[k] for k in linear if k != i):
                    cross = LinearVJP.apply(rule, call, grad_out, *swapped)
                    cross = (cross,) if isinstance(cross, torch.Tensor) else cross
                    for k, g in zip(_slots(op, swapped), cross):
                        if k != i and needs[k]:
                            d_inputs[k] = _add(d_inputs[k], g)
            if ctx.needs_input_grad[2]:
                d_grad_out = _add(d_grad_out, _output(call, swapped))
        return (None, None, d_grad_out, *d_inputs)


def _output(call, tensors):
    out = _function.apply(call.op.name, tensors, call.resolved(), call.algo)
    return out[0] if isinstance(out, tuple) else out


# ---- ops composed of others -------------------------------------------------------------------
class Composed:
    """The op equals ``fn(call, *tensors)``, built of differentiable pieces; its gradients
    are autograd's through them."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, call, grad_out, tensors):
        wrt = [i for i in _slots(call.op, tensors) if tensors[i].requires_grad]
        out = [None] * len(tensors)
        if not wrt:
            return out
        y = self.fn(call, *tensors)
        grads = torch.autograd.grad(y, [tensors[i] for i in wrt], grad_out, create_graph=True,
                                    allow_unused=True)
        for i, g in zip(wrt, grads):
            out[i] = torch.zeros_like(tensors[i]) if g is None else g
        return out


def gather_max(nd: int):
    """Max pooling as a gather at the argmax indices (torch's flat indices over the last
    ``nd`` dimensions): its gradient is a scatter-add, whose gradient is the gather."""
    def fn(call, x):
        _, idx = run(call.op.name, call.algo, x.detach(), **{**call.resolved(), "return_indices": True})
        return x.flatten(-nd).gather(-1, idx.flatten(-nd)).view(idx.shape)
    return fn


def lp_pool(nd: int):
    """torch's definition: (sign(a) * relu(|a|) * prod(kernel)) ** (1/p), a = avg_pool(x**p)."""
    def fn(call, x):
        p = call.resolved()
        norm_type, k, stride, ceil = p["norm_type"], p["kernel_size"], p["stride"], p["ceil_mode"]
        if norm_type in (math.inf, -math.inf):
            sign = 1 if norm_type > 0 else -1
            return sign * run(f"max_pool{nd}d", call.algo, sign * x.abs(), k, stride, 0, 1, ceil)
        a = run(f"avg_pool{nd}d", call.algo, x.pow(norm_type), k, stride, 0, ceil)
        count = math.prod((k,) * nd if isinstance(k, int) else k)
        return (torch.sign(a) * torch.relu(torch.abs(a))).mul(count).pow(1.0 / norm_type)
    return fn


def local_response_norm(call, x):
    """torch's definition: x / (k + alpha * mean of x**2 over ``size`` channels) ** beta."""
    p = call.resolved()
    size = p["size"]
    div = x * x
    pad = (size // 2, (size - 1) // 2)
    if x.dim() == 3:
        div = torch.nn.functional.pad(div.unsqueeze(1), (0, 0, *pad))
        div = run("avg_pool2d", call.algo, div, (size, 1), stride=1).squeeze(1)
    else:
        shape = x.shape
        div = div.reshape(shape[0], 1, shape[1], shape[2], -1)
        div = torch.nn.functional.pad(div, (0, 0, 0, 0, *pad))
        div = run("avg_pool3d", call.algo, div, (size, 1, 1), stride=1).squeeze(1).reshape(shape)
    return x / div.mul(p["alpha"]).add(p["k"]).pow(p["beta"])


def max_unpool(nd: int):
    """The gradient of unpooling is a gather at the indices (flat over the last ``nd``
    dimensions), as torch defines it (with overlapping windows an index may repeat: the
    forward keeps one value, the gather reads it twice), and the gradient of the gather is
    a scatter-add."""
    def rule(call, grad_out, tensors):
        x, indices = tensors
        return [grad_out.flatten(-nd).gather(-1, indices.flatten(-nd)).view(x.shape), None]
    return rule


def spatial_pyramid_pool2d(call, x):
    """He et al. 2014: one adaptive pool per level, flattened, concatenated."""
    p = call.resolved()
    pool = "adaptive_max_pool2d" if p["mode"] == "max" else "adaptive_avg_pool2d"
    return torch.cat([run(pool, call.algo, x, level).flatten(1) for level in p["levels"]], dim=1)


def coord_conv2d(call, x, w, b):
    """conv2d of the input with its coordinate channels appended (Liu et al. 2018)."""
    p = call.resolved()
    N, _, H, W = x.shape
    row = torch.linspace(-1, 1, H, dtype=x.dtype)[:, None].expand(H, W)
    col = torch.linspace(-1, 1, W, dtype=x.dtype)[None, :].expand(H, W)
    chans = [row, col] + ([torch.sqrt(row ** 2 + col ** 2)] if p["with_r"] else [])
    x = torch.cat([x, torch.stack(chans).expand(N, len(chans), H, W)], dim=1)
    return run("conv2d", call.algo, x, w, b, stride=p["stride"], padding=p["padding"],
               dilation=p["dilation"], groups=p["groups"])


# ---- activations ---------------------------------------------------------------------------------
class Elementwise:
    """grad_input = grad_output * fn(call, input): the derivative as torch elementwise ops
    (and our own op where the derivative reads the output, as sigmoid's).  The product
    comes last so that d/d(grad_output) is the derivative itself: a ``torch.where`` over
    products with grad_output would differentiate its unselected branch too (0 * inf)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, call, grad_out, tensors):
        return [grad_out * self.fn(call, tensors[0]), *[None] * (len(tensors) - 1)]


def _sigmoid(call, x):
    return run("sigmoid", call.algo, x) if "sigmoid" in kernels.OPS else torch.sigmoid(x)


def _derivative_of_sigmoid(call, x):
    y = _sigmoid(call, x)
    return y * (1 - y)


def _piecewise(cond, a, b, x):
    """``torch.where(cond, a, b)`` for scalars a and b, in x's dtype."""
    return torch.where(cond, torch.tensor(a, dtype=x.dtype), torch.tensor(b, dtype=x.dtype))


def _gelu(call, x):
    if call.resolved().get("approximate", "none") == "tanh":
        beta, kappa = math.sqrt(2 / math.pi), 0.044715
        t = torch.tanh(beta * (x + kappa * x ** 3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * beta * (1 + 3 * kappa * x * x)
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    return cdf + x * torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _hardswish(call, x):
    return torch.where(x <= -3, 0.0, torch.where(x >= 3, 1.0, x / 3 + 0.5)).to(x.dtype)


def _silu(call, x):
    s = _sigmoid(call, x)
    return s * (1 + x * (1 - s))


# ---- normalisations -----------------------------------------------------------------------------
def _normalize(x, dims, eps):
    """(x - mean) / sqrt(var + eps) over ``dims`` (biased variance) and 1/sqrt(var + eps)."""
    mean = x.mean(dims, keepdim=True)
    rstd = torch.rsqrt(x.var(dims, correction=0, keepdim=True) + eps)
    return (x - mean) * rstd, rstd


def _normalized_grad(g, xhat, rstd, dims):
    """The gradient through x -> xhat = (x - mean) * rstd of the upstream gradient ``g``."""
    return rstd * (g - g.mean(dims, keepdim=True) - xhat * (g * xhat).mean(dims, keepdim=True))


def _channel(t, ndim):
    """A per-channel vector (C,) shaped to broadcast over (N, C, *spatial)."""
    return t.reshape(1, -1, *([1] * (ndim - 2)))


def _affine_grads(grad_out, xhat, weight, bias, dims):
    """Gradients of weight and bias of y = xhat * weight + bias, summed over ``dims``."""
    gw = None if weight is None else (grad_out * xhat).sum(dims).reshape(weight.shape)
    gb = None if bias is None else grad_out.sum(dims).reshape(bias.shape)
    return gw, gb


def _norm_grads(x, grad_out, weight, bias, dims, eps, running=None):
    """Gradients of y = xhat * weight + bias (weight and bias per channel, axis 1), with
    xhat normalised over ``dims`` by the batch's own statistics, or by ``running`` =
    (mean, var) per channel, constants (batch norm in eval mode)."""
    g = grad_out if weight is None else grad_out * _channel(weight, x.dim())
    if running is None:
        xhat, rstd = _normalize(x, dims, eps)
        gx = _normalized_grad(g, xhat, rstd, dims)
    else:
        mean, var = running
        rstd = torch.rsqrt(_channel(var, x.dim()) + eps)
        xhat = (x - _channel(mean, x.dim())) * rstd
        gx = g * rstd
    return (gx, *_affine_grads(grad_out, xhat, weight, bias, [d for d in range(x.dim()) if d != 1]))


def batch_norm(call, grad_out, tensors):
    x, rm, rv, w, b = tensors
    p = call.resolved()
    dims = [d for d in range(x.dim()) if d != 1]
    gx, gw, gb = _norm_grads(x, grad_out, w, b, dims, p["eps"], None if p["training"] else (rm, rv))
    return [gx, None, None, gw, gb]


def instance_norm(call, grad_out, tensors):
    x, rm, rv, w, b = tensors
    p = call.resolved()
    gx, gw, gb = _norm_grads(x, grad_out, w, b, list(range(2, x.dim())), p["eps"],
                             None if p["use_input_stats"] else (rm, rv))
    return [gx, None, None, gw, gb]


def group_norm(call, grad_out, tensors):
    x, w, b = tensors
    p = call.resolved()
    N, G = x.shape[0], p["num_groups"]
    xhat, rstd = _normalize(x.reshape(N, G, -1), [2], p["eps"])
    g = grad_out if w is None else grad_out * _channel(w, x.dim())
    gx = _normalized_grad(g.reshape(N, G, -1), xhat, rstd, [2]).reshape(x.shape)
    gw, gb = _affine_grads(grad_out, xhat.reshape(x.shape), w, b, [d for d in range(x.dim()) if d != 1])
    return [gx, gw, gb]


def layer_norm(call, grad_out, tensors):
    x, w, b = tensors
    p = call.resolved()
    shape = p["normalized_shape"]
    k = 1 if isinstance(shape, int) else len(shape)
    dims = list(range(x.dim() - k, x.dim()))
    xhat, rstd = _normalize(x, dims, p["eps"])
    gx = _normalized_grad(grad_out if w is None else grad_out * w, xhat, rstd, dims)
    gw, gb = _affine_grads(grad_out, xhat, w, b, list(range(x.dim() - k)))
    return [gx, gw, gb]


def layer_norm2d(call, grad_out, tensors):
    """Layer norm over the channels (axis 1) at each position; weight and bias per channel."""
    x, w, b = tensors
    xhat, rstd = _normalize(x, [1], call.resolved()["eps"])
    g = grad_out if w is None else grad_out * _channel(w, x.dim())
    gx = _normalized_grad(g, xhat, rstd, [1])
    gw, gb = _affine_grads(grad_out, xhat, w, b, [d for d in range(x.dim()) if d != 1])
    return [gx, gw, gb]


def weight_norm(call, grad_out, tensors):
    """w = v * (g / ||v||) (norm over every dimension but ``dim``; all of them for None/-1,
    where g broadcasts over v), differentiated in torch's order of operations as the
    kernels are (``kernels.norm.numpy._wn_backward``)."""
    v, g = tensors
    dim = call.resolved()["dim"]
    if dim is None or dim == -1:
        norm = torch.linalg.vector_norm(v)
        dot = (grad_out * v).sum_to_size(g.shape) if g.dim() else (grad_out * v).sum()
        gn = (-dot * g / (norm * norm)).sum()
        scale = g
    else:
        dims = [d for d in range(v.dim()) if d != dim % v.dim()]
        norm = torch.linalg.vector_norm(v, dim=dims, keepdim=True)
        dot = (grad_out * v).sum(dims, keepdim=True)
        # D values in any shape, or one value that broadcasts over the D norms
        scale = g.reshape(norm.shape) if g.numel() == norm.numel() else g
        gn = -dot * scale / (norm * norm)
    gv = grad_out * (scale / norm) + v * (gn / norm)
    gg = dot / norm
    gg = gg.reshape(g.shape) if gg.numel() == g.numel() else gg.sum_to_size(g.shape)
    return [gv, gg]


# ---- the table --------------------------------------------------------------------------------------
_CONV = Multilinear("input", "weight", bias="bias")
_LINEAR = Multilinear("input")
# torch's masks, NaN included: relu passes the gradient where x is NaN (its backward tests
# the output <= 0), relu6, hardsigmoid and leaky_relu's positive side do not, and
# hardswish's derivative is NaN there
_relu = Elementwise(lambda call, x: _piecewise(x <= 0, 0.0, 1.0, x))

_TABLE = {
    **{name: _CONV for name in (
        "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
        "depthwise_conv2d", "pointwise_conv2d", "unshared_conv2d", "linear")},
    "separable_conv2d": Multilinear("input", "weight_depthwise", "weight_pointwise", bias="bias"),
    "spatially_separable_conv2d": Multilinear("input", "col", "row", bias="bias"),
    "coord_conv2d": Composed(coord_conv2d),
    "deform_conv2d": "torchvision's deform_conv2d has no second derivative either",
    **{name: _LINEAR for name in (
        "avg_pool1d", "avg_pool2d", "avg_pool3d", "sum_pool2d", "adaptive_avg_pool1d",
        "adaptive_avg_pool2d", "adaptive_avg_pool3d", "global_avg_pool2d", "interpolate",
        "pixel_shuffle", "pixel_unshuffle", "dropout", "dropout2d", "fold",
        "unfold")},
    **{f"max_pool{nd}d": Composed(gather_max(nd)) for nd in (1, 2, 3)},
    **{f"adaptive_max_pool{nd}d": Composed(gather_max(nd)) for nd in (1, 2, 3)},
    **{f"lp_pool{nd}d": Composed(lp_pool(nd)) for nd in (1, 2, 3)},
    **{f"max_unpool{nd}d": max_unpool(nd) for nd in (1, 2, 3)},
    "spatial_pyramid_pool2d": Composed(spatial_pyramid_pool2d),
    "local_response_norm": Composed(local_response_norm),
    "batch_norm": batch_norm,
    "instance_norm": instance_norm,
    "group_norm": group_norm,
    "layer_norm": layer_norm,
    "layer_norm2d": layer_norm2d,
    "weight_norm": weight_norm,
    "relu": _relu,
    "leaky_relu": Elementwise(lambda call, x: _piecewise(x > 0, 1.0, call.resolved()["negative_slope"], x)),
    "sigmoid": Elementwise(_derivative_of_sigmoid),
    "tanh": Elementwise(lambda call, x: 1 - run("tanh", call.algo, x) ** 2),
    "relu6": Elementwise(lambda call, x: _piecewise((x > 0) & (x < 6), 1.0, 0.0, x)),
    "hardsigmoid": Elementwise(lambda call, x: _piecewise((x > -3) & (x < 3), 1 / 6, 0.0, x)),
    "hardswish": Elementwise(_hardswish),
    "silu": Elementwise(_silu),
    "gelu": Elementwise(_gelu),
}


# weight_norm's rule computes torch's values on an empty v itself (g's gradient 0/0: NaN,
# and so its derivatives; the guard's constant gradients would have none)
_OWN_EMPTY = {"weight_norm"}
RULES.update({name: rule if isinstance(rule, str) or name in _OWN_EMPTY else _empty_guard(rule)
              for name, rule in _TABLE.items()})
