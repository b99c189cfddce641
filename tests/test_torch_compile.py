"""kernels.torch under torch's tracers: torch.compile (one graph, no recompiles, the eager
numbers), torch.export, fx.symbolic_trace, FakeTensors and torch.library.opcheck of the
custom operators.  The compiled model runs its eager twin first: Numba's OpenMP threading
layer resets torch's intra-op thread count on its first parallel kernel, and Dynamo guards
on that count (a change means one recompile)."""
import pytest
import torch

import kernels.torch as kt
from kernels.torch import _tensors
from kernels.torch import nn as knn
from tests.cases import load

CASES = load()


class Net(torch.nn.Module):
    """kernels.torch.nn modules (convolution, batch norm with running statistics, ReLU,
    depthwise-separable block) and kernels.torch functions (max pooling with indices,
    dropout drawing its seed, global average pooling)."""

    def __init__(self):
        super().__init__()
        self.conv = knn.Conv2d(3, 4, 3, padding=1, bias=False, algo="numba")
        self.bn = knn.BatchNorm2d(4, algo="numba")
        self.relu = knn.ReLU(algo="numba")
        self.sep = knn.DepthwiseSeparableConv2d(4, 6, 3, padding=1, algo="numba")

    def forward(self, x):
        y = self.relu(self.bn(self.conv(x)))
        y, _ = kt.max_pool2d(y, 2, return_indices=True, algo="numba")
        y = kt.dropout(self.sep(y), 0.25, training=self.training)
        return kt.global_avg_pool2d(y, algo="numba").flatten(1)


def _twins():
    torch.manual_seed(0)
    net = Net().double()
    twin = Net().double()
    twin.load_state_dict(net.state_dict())
    return net, twin


def _run(call, net, x, seed):
    torch.manual_seed(seed)  # the same dropout seed is drawn from torch's generator
    xg = x.clone().requires_grad_()
    out = call(xg)
    out.square().sum().backward()
    return out.detach(), xg.grad, {n: p.grad.clone() for n, p in net.named_parameters()}


def _same(a, b):
    assert torch.equal(a, b), f"max difference {(a - b).abs().max().item():.3g}"


def test_compiled_model_is_one_graph_with_the_eager_numbers():
    from torch._dynamo.testing import CompileCounterWithBackend
    torch._dynamo.reset()
    net, twin = _twins()
    counter = CompileCounterWithBackend("aot_eager")
    compiled = torch.compile(net, backend=counter, fullgraph=True)  # fullgraph: a break raises
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    for step in range(3):
        want = _run(twin, twin, x, step)
        got = _run(compiled, net, x, step)
        _same(got[0], want[0])
        _same(got[1], want[1])
        for name in want[2]:
            _same(got[2][name], want[2][name])
        for b, t in zip(net.buffers(), twin.buffers()):
            _same(b, t)  # running statistics updated in place, as eagerly
        net.zero_grad(), twin.zero_grad()
    assert counter.frame_count == 1, "compiled once, for all three calls"
    ops = [n.target for n in _graph_calls(compiled, x)]
    assert torch.ops.convbench.forward_state.default in ops and torch.ops.convbench.forward.default in ops


def _graph_calls(compiled, x):
    """The call_function nodes of the graph that Dynamo captures for ``compiled``."""
    graphs = []

    def backend(gm, inputs):
        graphs.append(gm)
        return gm
    torch._dynamo.reset()
    torch.compile(compiled._orig_mod, backend=backend, fullgraph=True)(x)
    return [n for gm in graphs for n in gm.graph.nodes if n.op == "call_function"]


def test_inductor_compiles_the_model_to_the_eager_numbers():
    """The default backend (the slow compile: one model, eval mode, no gradients)."""
    torch._dynamo.reset()
    net, twin = _twins()
    net.eval(), twin.eval()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        want = twin(x)
        got = torch.compile(net, fullgraph=True)(x)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=0)


def test_a_new_batch_size_compiles_again_and_computes():
    torch._dynamo.reset()
    fn = torch.compile(lambda x, w: kt.conv2d(x, w, padding=1, algo="numba").relu(),
                       backend="aot_eager", fullgraph=True)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    for n in (1, 2, 3):
        x = torch.randn(n, 3, 5, 5, dtype=torch.float64)
        torch.testing.assert_close(fn(x, w), torch.nn.functional.conv2d(x, w, padding=1).relu(),
                                   rtol=1e-12, atol=1e-14)


def test_symbolic_trace_records_the_functions():
    class Small(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4, 3, 3, 3, dtype=torch.float64))

        def forward(self, x):
            y = kt.relu(kt.conv2d(x, self.w, stride=2, padding=1, algo="numba"), algo="numba")
            y, idx = kt.max_pool2d(y, 2, return_indices=True, algo="numba")
            return kt.interpolate(y, scale_factor=2, mode="nearest"), idx

    small = Small()
    gm = torch.fx.symbolic_trace(small)
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert {kt.conv2d, kt.relu, kt.max_pool2d, kt.interpolate} <= set(targets)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    for got, want in zip(gm(x), small(x)):
        _same(got, want)
    assert "kernels_torch_conv2d" in gm.code  # regenerated code calls our function


def test_export_runs_the_custom_operators():
    net, twin = _twins()
    net.eval(), twin.eval()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    ep = torch.export.export(net, (x,))
    ops = {n.target for n in ep.graph.nodes if n.op == "call_function"}
    assert torch.ops.convbench.forward.default in ops
    _same(ep.module()(x), twin(x))


def test_fake_tensors_get_the_plans_shapes():
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        x = torch.empty(2, 3, 9, 9)
        w = torch.empty(5, 3, 3, 3)
        y = kt.conv2d(x, w, stride=2, padding="valid", algo="numba")
        p, idx = kt.max_pool2d(x, 3, stride=2, return_indices=True)
        with pytest.raises(ValueError, match="stride"):
            kt.conv2d(x, w, stride=0)
        with pytest.raises(ValueError, match="bogus"):
            kt.conv2d(x, w, algo="bogus")
        with pytest.raises(TypeError, match="algo"):
            kt.conv2d(x, w, algo=3)
    assert y.shape == (2, 5, 4, 4) and y.dtype == torch.float32
    assert p.shape == idx.shape == (2, 3, 4, 4) and idx.dtype == torch.int64


def _opcheck_cases():
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    conv = _tensors.encode({"stride": 1, "padding": 1, "dilation": 1, "groups": 1}, "tt-")
    bn = _tensors.encode({"training": True, "momentum": 0.1, "eps": 1e-5}, "tss--")
    drop = _tensors.encode({"p": 0.5, "training": True, "inplace": False, "seed": None}, "t")
    state = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)]
    gy = torch.randn(2, 4, 6, 6, dtype=torch.float64)
    return [
        ("forward-conv2d", torch.ops.convbench.forward.default, ("conv2d", "numba", conv, [x, w], None)),
        ("forward_state-batch_norm", torch.ops.convbench.forward_state.default,
         ("batch_norm", "numba", bn, [x], state, None)),
        ("forward-dropout-seed", torch.ops.convbench.forward.default,
         ("dropout", "numba", drop, [x], torch.tensor(3))),
        ("backward-conv2d", torch.ops.convbench.backward.default,
         ("conv2d", "numba", conv, gy, [x.detach(), w.detach()], None)),
    ]


@pytest.mark.parametrize("name,op,args", _opcheck_cases(), ids=[c[0] for c in _opcheck_cases()])
def test_opcheck(name, op, args):
    """torch's own checks of a custom operator: schema, fake implementation, autograd
    registration, AOT dispatch with dynamic shapes."""
    torch.library.opcheck(op, args)


def test_parameters_survive_their_string():
    params = {"a": 1, "b": (2, (3, 4)), "c": [1.5, -0.0], "d": "same", "e": None, "f": True,
              "g": float("inf"), "h": -float("inf"), "i": torch.Size([2, 3])}
    got, layout = _tensors.decode(_tensors.encode(params, "t-s"))
    assert layout == "t-s" and got == {**params, "i": (2, 3)}
    assert [type(v) for v in got.values()] == [int, tuple, list, str, type(None), bool, float,
                                               float, tuple]
    nan, _ = _tensors.decode(_tensors.encode({"x": float("nan")}, ""))
    assert nan["x"] != nan["x"]
    with pytest.raises(TypeError, match="x must be an int"):
        _tensors.encode({"x": object()}, "")


def test_exported_module_has_second_derivatives():
    """The custom operators' autograd follows the same rules as eager calls."""
    class Small(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(3, 2, 3, 3, dtype=torch.float64))

        def forward(self, x):
            return kt.tanh(kt.conv2d(x, self.w, padding=1, algo="numba"), algo="numba")

    small = Small()
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    exported = torch.export.export(small, (x,)).module()

    def penalty_gradient(f):
        g, = torch.autograd.grad(f(x).square().sum(), x, create_graph=True)
        return torch.autograd.grad(g.square().sum(), x)[0]
    torch.testing.assert_close(penalty_gradient(exported), penalty_gradient(small), rtol=1e-12, atol=0)
