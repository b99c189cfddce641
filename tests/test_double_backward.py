"""Second derivatives through kernels.torch (``create_graph=True``) against torch, float64.

For every op but deform_conv2d, two registry cases (tests/cases: the op's first and last
that the algorithm computes cheaply): the first-order gradients taken with
``create_graph=True`` and the gradient of <grad(op)(inputs; gy), v> with respect to every
differentiable input and to gy, through kernels.torch and through the torch reference,
within the algorithm's declared float64 tolerance.  ``algo`` is numba (else the first
algorithm that is not a plain loop), plus naive on its cheap first case.  Independent of
torch's formulas, ``torch.autograd.gradgradcheck`` compares a few ops' second derivatives
with finite differences of their first.
"""
import numpy as np
import pytest
import torch

import kernels
import kernels.torch as kt
from kernels import SLOW_MACS
from kernels.tolerances import rel_err, tolerance
from kernels.torch import derivatives
from tests.cases import load
from tests.double_backward_check import ours, second_order, theirs

CASES = load()
NO_SECOND_DERIVATIVE = {"deform_conv2d"}  # as torchvision's
CHEAP_MACS = 200_000


def _algo(op):
    fast = [a for a in op.algos() if not op.registered()[a].slow]
    return "numba" if "numba" in fast else fast[0]


def _cheap(op, algo, case, limit):
    return op.supports(algo, *case.shapes, **case.params) and \
        op.cost(*case.shapes, **case.params)["macs"] <= limit


def _params():
    for name in kernels.ops():
        if name in NO_SECOND_DERIVATIVE or name not in CASES:
            continue
        op = kernels.OPS[name]
        algo = _algo(op)
        usable = [c for c in CASES[name] if _cheap(op, algo, c, CHEAP_MACS)]
        for case in {c.id: c for c in (usable[:1] + usable[-1:])}.values():
            yield pytest.param(name, algo, case, id=f"{name}-{algo}-{case.id}")
        naive = [c for c in CASES[name] if "naive" in op.algos() and _cheap(op, "naive", c, SLOW_MACS)]
        if naive:
            yield pytest.param(name, "naive", naive[0], id=f"{name}-naive-{naive[0].id}")


def _close(got, want, tol, what):
    if not np.isfinite(want).all() or np.abs(want).max(initial=0) > 0:
        err = rel_err(got, want)
    else:  # no dependence: ours must be zero as well
        err = float(np.abs(got).max(initial=0))
    assert err <= tol, f"{what}: relative error {err:.3g} > {tol:g}"


@pytest.mark.parametrize("op_name,algo,case", list(_params()))
def test_second_derivative_matches_torch(op_name, algo, case):
    op = kernels.OPS[op_name]
    rng = np.random.default_rng(11)
    arrays = case.arrays(rng, np.float64, op)
    gy = rng.standard_normal(op.output_shape(*case.shapes, **case.params))
    diff = [s.name for a, s in zip(arrays, op.inputs) if a is not None and s.differentiable and not s.index]
    vs = [rng.standard_normal(a.shape) for a, s in zip(arrays, op.inputs) if s.name in diff]
    first, second = second_order(ours(op_name, algo, case.params), arrays, op.inputs, gy, vs)
    first_ref, second_ref = second_order(theirs(op_name, case.params), arrays, op.inputs, gy, vs)
    tol = tolerance(algo, np.float64)
    for name, got, want in zip(diff, first, first_ref):
        _close(got, want, tol, f"d/d{name}")
    for name, got, want in zip([*diff, "grad_output"], second, second_ref):
        _close(got, want, tol, f"second derivative, d/d{name}")


def test_every_op_declares_its_second_derivative():
    """A new op needs an entry in kernels/torch/derivatives.py (or a reason it has none)."""
    missing = [name for name in kernels.ops() if name not in derivatives.RULES]
    assert not missing, f"no second-order rule for {missing}"
    for name in NO_SECOND_DERIVATIVE:
        assert isinstance(derivatives.RULES[name], str)


# ---- against finite differences ------------------------------------------------------------------
def _t(*shape, seed=0, positive=False):
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(*shape, dtype=torch.float64, generator=g)
    return (t.abs() + 0.5 if positive else t).requires_grad_()


GRADGRAD = [
    ("conv2d-im2col", lambda x, w, b: kt.conv2d(x, w, b, stride=2, padding=1, algo="im2col"),
     lambda: (_t(1, 2, 5, 5), _t(3, 2, 3, 3, seed=1), _t(3, seed=2))),
    ("conv_transpose2d", lambda x, w: kt.conv_transpose2d(x, w, stride=2, groups=2, algo="numba"),
     lambda: (_t(1, 4, 3, 3), _t(4, 1, 2, 2, seed=1))),
    ("separable_conv2d", lambda x, dw, pw: kt.separable_conv2d(x, dw, pw, padding=1, algo="numba"),
     lambda: (_t(1, 2, 4, 4), _t(2, 1, 3, 3, seed=1), _t(3, 2, 1, 1, seed=2))),
    ("max_pool2d", lambda x: kt.max_pool2d(x, 2, algo="numba"), lambda: (_t(1, 2, 4, 4),)),
    ("lp_pool2d", lambda x: kt.lp_pool2d(x, 3, 2, algo="numba"), lambda: (_t(1, 2, 4, 4, positive=True),)),
    ("batch_norm", lambda x, w, b: kt.batch_norm(x, None, None, w, b, training=True, algo="numba"),
     lambda: (_t(3, 2, 2, 2), _t(2, seed=1), _t(2, seed=2))),
    ("layer_norm", lambda x, w: kt.layer_norm(x, (2, 3), w, algo="numba"),
     lambda: (_t(2, 2, 3), _t(2, 3, seed=1))),
    ("weight_norm", lambda v, g: kt.weight_norm(v, g, 0, algo="numba"),
     lambda: (_t(3, 2, 2), _t(3, 1, 1, seed=1))),
    ("weight_norm-whole", lambda v, g: kt.weight_norm(v, g, -1, algo="numba"),   # g broadcast over v
     lambda: (_t(3, 4, 2), _t(3, 1, 2, seed=1))),
    ("sigmoid", lambda x: kt.sigmoid(x, algo="numba"), lambda: (_t(2, 3),)),
]


@pytest.mark.parametrize("name,fn,make", GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(name, fn, make):
    assert torch.autograd.gradgradcheck(fn, make())


def test_third_derivative_of_a_convolution():
    """The rules reuse the ops themselves, so every order is differentiable again."""
    x, w = _t(1, 2, 4, 4), _t(2, 2, 3, 3, seed=1)
    xt, wt = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()

    def third(conv, x, w):
        y = conv(x, w, padding=1)
        gx, = torch.autograd.grad((y ** 2).sum(), x, create_graph=True)  # depends on x and w
        gw, = torch.autograd.grad((gx ** 2).sum(), w, create_graph=True)
        return torch.autograd.grad((gw * w).sum(), x)[0]

    got = third(lambda *a, **k: kt.conv2d(*a, **k, algo="numba"), x, w)
    want = third(torch.nn.functional.conv2d, xt, wt)
    assert rel_err(got.numpy(), want.numpy()) < 1e-10


# ---- what is and is not recorded -------------------------------------------------------------------
def test_deform_conv2d_first_backward_works_second_raises():
    x = _t(1, 2, 4, 4)
    offset = (0.3 * torch.randn(1, 18, 4, 4, dtype=torch.float64)).requires_grad_()
    w = _t(3, 2, 3, 3, seed=1)
    y = kt.deform_conv2d(x, offset, w, padding=1, algo="numba")
    gx, gw = torch.autograd.grad((y ** 2).sum(), (x, w), create_graph=True)  # first order: fine
    plain = torch.autograd.grad((kt.deform_conv2d(x, offset, w, padding=1, algo="numba") ** 2).sum(),
                                (x, w))
    assert torch.allclose(gx, plain[0]) and torch.allclose(gw, plain[1])
    with pytest.raises(RuntimeError, match="deform_conv2d has no second derivative.*torchvision"):
        (gx ** 2).sum().backward()


def test_an_op_without_a_rule_says_so_on_the_second_derivative(monkeypatch):
    monkeypatch.delitem(derivatives.RULES, "relu")
    x = _t(2, 3)
    gx, = torch.autograd.grad(kt.relu(x, algo="numba").pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="relu has no second derivative: no second-order rule"):
        gx.sum().backward()


def _count_fused(monkeypatch, op_name):
    """Calls of the op's fused backward kernel from kernels.torch."""
    from kernels.torch import _tensors
    calls, original = [], _tensors.backward

    def counted(op, *args, **kwargs):
        calls.extend([op.name] if op.name == op_name else [])
        return original(op, *args, **kwargs)
    monkeypatch.setattr(_tensors, "backward", counted)
    return calls


def test_plain_backward_runs_the_fused_kernel_and_create_graph_the_rule(monkeypatch):
    calls = _count_fused(monkeypatch, "tanh")
    x = _t(2, 3)
    kt.tanh(x, algo="numba").sum().backward()
    assert len(calls) == 1
    g, = torch.autograd.grad(kt.tanh(x, algo="numba").sum(), x, create_graph=True)
    assert len(calls) == 1, "create_graph=True differentiates tanh's rule, not the fused kernel"
    assert g.requires_grad and torch.allclose(g, 1 - torch.tanh(x) ** 2)


def test_create_graph_of_a_convolution_reuses_its_backward_kernel(monkeypatch):
    calls = _count_fused(monkeypatch, "conv2d")
    x, w = _t(1, 2, 4, 4), _t(2, 2, 3, 3, seed=1)
    gx, = torch.autograd.grad(kt.conv2d(x, w, algo="numba").sum(), x, create_graph=True)
    assert len(calls) == 1 and gx.requires_grad  # the input gradient: our kernel, recorded
    gx.pow(2).sum().backward()                    # through conv2d again and its backward
    assert w.grad is not None and len(calls) >= 2


ACTIVATIONS = {  # rules declared for activations, checked on their own (ops or not)
    "relu6": (lambda x: torch.nn.functional.relu6(x), {}),
    # relu6(x + 3) / 6 is hardsigmoid; torch's own hardsigmoid backward multiplies by the
    # float32 constant 1/6 even in float64 (relative error 3e-8)
    "hardsigmoid": (lambda x: torch.nn.functional.relu6(x + 3) / 6, {}),
    "hardswish": (lambda x: torch.nn.functional.hardswish(x), {}),
    "silu": (lambda x: torch.nn.functional.silu(x), {}),
    "gelu": (lambda x: torch.nn.functional.gelu(x), {"approximate": "none"}),
    "gelu-tanh": (lambda x: torch.nn.functional.gelu(x, approximate="tanh"), {"approximate": "tanh"}),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_rules_match_torch(name):
    """The elementwise rules, called directly: first and second derivatives as torch's."""
    from kernels.torch._function import Call
    fn, params = ACTIVATIONS[name]
    rule = derivatives.RULES[name.split("-")[0]]
    g = torch.Generator().manual_seed(3)
    x = (4 * torch.randn(40, dtype=torch.float64, generator=g)).requires_grad_()
    gy = torch.randn(40, dtype=torch.float64, generator=g).requires_grad_()
    v = torch.randn(40, dtype=torch.float64, generator=g)
    ours, = rule(Call(kernels.OPS["relu"], "numba", params), gy, [x])[:1]
    theirs, = torch.autograd.grad(fn(x), x, gy, create_graph=True)
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    for got, want in zip(torch.autograd.grad((ours * v).sum(), (x, gy), allow_unused=True),
                         torch.autograd.grad((theirs * v).sum(), (x, gy), allow_unused=True)):
        got = torch.zeros_like(x) if got is None else got
        want = torch.zeros_like(x) if want is None else want
        assert torch.allclose(got, want, rtol=1e-10, atol=1e-12)
