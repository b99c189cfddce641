"""kernels.torch: autograd through our forward and backward; kernels.torch.nn as drop-in modules.

Modules whose op is not registered yet are skipped with the reason 'op not registered'."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import kernels
import kernels.torch as kt
import reference
from kernels.torch import nn as knn
from tests.cases import load

CASES = load()
torch.set_num_threads(1)


def needs(*ops):
    missing = [o for o in ops if o not in kernels.OPS]
    if missing:
        pytest.skip(f"op not registered: {', '.join(missing)}")


def fast_algos(op_name):
    op = kernels.OPS[op_name]
    return [a for a in op.algos() if not op.registered()[a].slow]


def close(a, b, rtol=1e-8):
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    assert a.shape == b.shape, f"shape {tuple(a.shape)} != {tuple(b.shape)}"
    scale = max(b.abs().max().item(), 1e-300) if b.numel() else 1.0
    err = (a - b).abs().max().item() / scale if a.numel() else 0.0
    assert err <= rtol, f"relative error {err:.3g} > {rtol:g}"


# ---- every op through the bridge, against the torch reference -----------------------------
def _bridge_params():
    for op_name in kernels.ops():
        if op_name in CASES:
            for algo in fast_algos(op_name):
                case = next((c for c in CASES[op_name]
                             if kernels.OPS[op_name].supports(algo, *c.shapes, **c.params)), None)
                if case is not None:
                    yield pytest.param(op_name, algo, case, id=f"{op_name}-{algo}-{case.id}")


@pytest.mark.parametrize("op_name,algo,case", list(_bridge_params()))
def test_op_through_bridge_matches_torch(op_name, algo, case):
    op = kernels.OPS[op_name]
    arrays = case.arrays(np.random.default_rng(3), np.float64, op)
    tensors = [None if a is None else torch.tensor(a).requires_grad_(
        s.differentiable and not s.index and a.dtype == np.float64) for a, s in zip(arrays, op.inputs)]
    out = getattr(kt, op_name)(*tensors, algo=algo, **case.params)
    ref = reference.forward(op_name, *[None if a is None else a.copy() for a in arrays], **case.params)
    main, ref_main = (out[0], ref[0]) if isinstance(ref, tuple) else (out, ref)
    close(main.detach(), ref_main, 1e-9)
    if isinstance(ref, tuple):
        for o, r in zip(out[1:], ref[1:]):  # indices: int64, not differentiable, exact
            assert not o.requires_grad and o.dtype == torch.int64
            assert torch.equal(o, torch.as_tensor(r))
    gy = np.random.default_rng(4).standard_normal(ref_main.shape)
    main.backward(torch.tensor(gy))
    ref_grads = reference.grad(op_name, gy, *[None if a is None else a.copy() for a in arrays],
                               **case.params)
    for t, r, s in zip(tensors, ref_grads, op.inputs):
        if r is None or t is None or not t.requires_grad:
            assert t is None or t.grad is None, f"{s.name} should get no gradient"
        else:
            close(t.grad, r, 1e-9)


@pytest.mark.parametrize("nd,algo", [(1, "im2col"), (2, "im2col"), (3, "im2col"), (2, "numba")])
def test_gradcheck_conv(nd, algo):
    """Finite differences against our backward, through the autograd Function."""
    g = torch.Generator().manual_seed(nd)
    x = torch.randn(1, 2, *(6, 5, 4)[nd - 1:nd] * nd, dtype=torch.float64, generator=g,
                    requires_grad=True)
    w = torch.randn(3, 2, *(2,) * nd, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, generator=g, requires_grad=True)
    fn = getattr(kt, f"conv{nd}d")
    assert torch.autograd.gradcheck(lambda x, w, b: fn(x, w, b, stride=2, padding=1, algo=algo),
                                    (x, w, b))


def test_gradcheck_grouped_conv2d():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 4, 4, 4, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(4, 2, 2, 2, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: kt.conv2d(x, w, groups=2, dilation=2, padding=2,
                                                           algo="im2col"), (x, w))


def test_float32_in_float32_out_no_copy_of_inputs():
    x = torch.randn(2, 3, 6, 6, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, requires_grad=True)
    y = kt.conv2d(x, w, algo="im2col")
    assert y.dtype == torch.float32 and y.requires_grad
    y.square().sum().backward()
    assert x.grad.dtype == torch.float32 and w.grad.dtype == torch.float32
    xt = x.detach().clone().requires_grad_()
    wt = w.detach().clone().requires_grad_()
    torch.nn.functional.conv2d(xt, wt).square().sum().backward()
    close(x.grad, xt.grad, 1e-4)
    close(w.grad, wt.grad, 1e-4)
    from kernels.torch._tensors import to_numpy
    assert np.shares_memory(to_numpy(x, "input", "conv2d"), x.detach().numpy())


def test_views_and_no_grad():
    x = torch.randn(2, 3, 8, 10, dtype=torch.float64)[:, :, ::2, 1:]  # non-contiguous view
    w = torch.randn(2, 3, 3, 3, dtype=torch.float64)
    with torch.no_grad():
        y = kt.conv2d(x, w, algo="numba")
    assert not y.requires_grad
    close(y, torch.nn.functional.conv2d(x, w), 1e-9)


def test_bad_inputs_raise_named_errors():
    w = torch.randn(2, 3, 3, 3)
    with pytest.raises(TypeError, match="input"):
        kt.conv2d(np.zeros((1, 3, 5, 5), np.float32), w)
    with pytest.raises(TypeError, match="input"):
        kt.conv2d(torch.zeros(1, 3, 5, 5, dtype=torch.float16), w.half())
    with pytest.raises(TypeError, match="weight"):
        kt.conv2d(torch.randn(1, 3, 5, 5, dtype=torch.float64), w)
    with pytest.raises(ValueError, match="stride"):
        kt.conv2d(torch.randn(1, 3, 5, 5), w, stride=0)
    with pytest.raises(ValueError, match="algo"):
        kt.conv2d(torch.randn(1, 3, 5, 5), w, algo="bogus")


def test_every_op_is_bridged():
    for name in kernels.ops():
        fn = getattr(kt, name)
        assert fn.__name__ == name and "algo" in str(fn.__signature__)
    with pytest.raises(AttributeError):
        kt.not_an_op  # noqa: B018


def test_nn_is_reachable_after_import_kernels_torch():
    """As torch.nn after ``import torch``: imported on first use, with no import cycle."""
    import subprocess
    import sys
    code = ("import sys, kernels.torch as kt; print('kernels.torch.nn' in sys.modules); "
            "print(kt.nn.Conv2d.__module__, 'kernels.torch.nn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "kernels.torch.nn", "True"]


def test_inplace_is_computed_out_of_place():
    """Writing into the input would change a tensor autograd saved, behind its back."""
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = kt.leaky_relu(x, -0.5, inplace=True, algo="numba")
    assert torch.equal(x.detach(), torch.tensor([-1.0, 2.0], dtype=torch.float64))
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([-0.5, 1.0], dtype=torch.float64))


def test_import_kernels_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, kernels; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- modules: same constructor and state dict as torch.nn, same numbers ---------------------
MODULES = [  # (class name, constructor args, constructor kwargs, input shape)
    ("Conv1d", (3, 4, 3), dict(padding=1), (2, 3, 9)),
    ("Conv2d", (3, 4, 3), dict(stride=2, padding=1, bias=False), (2, 3, 7, 7)),
    ("Conv2d", (4, 6, 3), dict(padding="same", groups=2, dilation=2), (1, 4, 6, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect"), (2, 3, 5, 6)),
    ("Conv3d", (2, 3, 2), dict(), (1, 2, 4, 4, 4)),
    ("ConvTranspose1d", (3, 4, 3), dict(stride=2, output_padding=1), (2, 3, 5)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 4)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 3, 3, 3)),
    ("MaxPool1d", (2,), dict(), (2, 3, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1), (2, 3, 7, 7)),
    ("MaxPool3d", (2,), dict(), (1, 2, 4, 4, 4)),
    ("AvgPool1d", (3,), dict(stride=2), (2, 3, 9)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
    ("AvgPool3d", (2,), dict(), (1, 2, 4, 4, 4)),
    ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 9)),
    ("LPPool2d", (2, 3), dict(stride=2, ceil_mode=True), (2, 3, 6, 6)),
    ("AdaptiveAvgPool2d", ((3, 2),), dict(), (2, 3, 7, 6)),
    ("AdaptiveMaxPool2d", (3,), dict(), (2, 3, 7, 7)),
    ("BatchNorm1d", (3,), dict(), (4, 3)),
    ("BatchNorm1d", (3,), dict(affine=False), (4, 3, 5)),
    ("BatchNorm2d", (3,), dict(momentum=None), (4, 3, 5, 5)),
    ("BatchNorm2d", (3,), dict(track_running_stats=False), (4, 3, 5, 5)),
    ("BatchNorm3d", (2,), dict(), (2, 2, 3, 3, 3)),
    ("GroupNorm", (2, 4), dict(), (2, 4, 3, 3)),
    ("LayerNorm", ((3, 3),), dict(), (2, 4, 3, 3)),
    ("InstanceNorm2d", (3,), dict(affine=True), (2, 3, 5, 5)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True), (2, 3, 5, 5)),
    ("InstanceNorm1d", (3,), dict(affine=True), (2, 3, 6)),
    ("InstanceNorm3d", (2,), dict(), (2, 2, 3, 3, 3)),
    ("LocalResponseNorm", (3,), dict(), (2, 5, 4, 4)),
    ("ReLU", (), dict(), (2, 3, 4, 4)),
    ("LeakyReLU", (0.2,), dict(), (2, 3, 4, 4)),
    ("Sigmoid", (), dict(), (2, 3, 4)),
    ("Tanh", (), dict(), (2, 3, 4)),
    ("PixelShuffle", (2,), dict(), (1, 8, 3, 3)),
    ("PixelUnshuffle", (2,), dict(), (1, 2, 6, 6)),
    ("Upsample", (), dict(scale_factor=2, mode="nearest"), (1, 2, 3, 3)),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
]


def _module_id(m):
    name, args, kw, shape = m
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}"


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES, ids=[_module_id(m) for m in MODULES])
def test_module_state_dict_matches_torch(name, args, kwargs, shape):
    ours, theirs = getattr(knn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert isinstance(ours, getattr(torch.nn, name))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    theirs.load_state_dict(ours.state_dict())  # and the other way
    ours.load_state_dict(theirs.state_dict())
    assert "algo='auto'" in repr(ours)


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES, ids=[_module_id(m) for m in MODULES])
def test_module_matches_torch(name, args, kwargs, shape):
    needs(knn.OP_OF[name])
    ours = getattr(knn, name)(*args, **kwargs).double()
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    theirs.load_state_dict(ours.state_dict())
    gen = torch.Generator().manual_seed(1)
    for mode in ("train", "eval"):  # eval: batch norm reads the running statistics
        ours.train(mode == "train"), theirs.train(mode == "train")
        x = torch.randn(shape, dtype=torch.float64, generator=gen)
        xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
        yo, yt = ours(xo), theirs(xt)
        close(yo.detach(), yt.detach())
        gy = torch.randn(yt.shape, dtype=torch.float64, generator=gen)
        yo.backward(gy), yt.backward(gy)
        close(xo.grad, xt.grad)
        for (_, po), pt in zip(ours.named_parameters(), theirs.parameters()):
            close(po.grad, pt.grad)
        for (n, bo), bt in zip(ours.named_buffers(), theirs.buffers()):
            assert torch.allclose(bo.double(), bt.double(), rtol=1e-10, atol=0), f"buffer {n}"


def test_max_pool_indices_are_int64_and_not_differentiable():
    needs("max_pool2d")
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    y, idx = knn.MaxPool2d(2, return_indices=True)(x)
    yt, idxt = torch.nn.functional.max_pool2d(x.detach(), 2, return_indices=True)
    assert idx.dtype == torch.int64 and not idx.requires_grad and torch.equal(idx, idxt)
    y.sum().backward()
    xt = x.detach().clone().requires_grad_()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    close(x.grad, xt.grad)


def test_max_unpool_module_inverts_max_pool():
    m = knn.MaxUnpool2d(2)
    assert isinstance(m, torch.nn.MaxUnpool2d) and list(m.state_dict()) == []
    needs("max_unpool2d")
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    y, idx = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    yo, yt = y.clone().requires_grad_(), y.clone().requires_grad_()
    out, expected = m(yo, idx), torch.nn.MaxUnpool2d(2)(yt, idx)
    close(out.detach(), expected.detach())
    gy = torch.randn(out.shape, dtype=torch.float64)
    out.backward(gy), expected.backward(gy)
    close(yo.grad, yt.grad)
    assert m(yo, idx, output_size=(7, 7)).shape == (2, 3, 7, 7)


def test_batch_norm_updates_the_buffers_in_place():
    needs("batch_norm")
    bn = knn.BatchNorm2d(3).double()
    mean, var = bn.running_mean, bn.running_var
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64) * 2 + 1
    bn(x)
    assert bn.running_mean is mean and bn.running_var is var, "the buffers are updated, not replaced"
    close(mean, 0.1 * x.mean(dim=(0, 2, 3)))
    close(var, 0.9 + 0.1 * x.var(dim=(0, 2, 3), unbiased=True))
    assert bn.num_batches_tracked.item() == 1


def test_dropout_mask_is_shared_by_backward():
    needs("dropout")
    torch.manual_seed(0)
    drop = knn.Dropout(0.5).double()
    x = torch.randn(4, 50, dtype=torch.float64, requires_grad=True)
    y = drop(x)
    kept = y.detach() != 0
    assert 0.2 < kept.double().mean().item() < 0.8
    close(y.detach()[kept], 2 * x.detach()[kept])
    y.backward(torch.ones_like(y))
    close(x.grad, 2 * kept.double())
    drop.eval()
    close(drop(x).detach(), x.detach())


def test_depthwise_separable_matches_its_torch_equivalent():
    needs("separable_conv2d")
    ours = knn.DepthwiseSeparableConv2d(3, 5, 3, stride=2, padding=1, depth_multiplier=2).double()
    theirs = ours.torch_equivalent()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, 7, 7, dtype=torch.float64)
    xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
    yo, yt = ours(xo), theirs(xt)
    close(yo.detach(), yt.detach())
    yo.sum().backward(), yt.sum().backward()
    close(xo.grad, xt.grad)
    for po, pt in zip(ours.parameters(), theirs.parameters()):
        close(po.grad, pt.grad)


def test_depthwise_separable_state_dict():
    m = knn.DepthwiseSeparableConv2d(4, 6, 3, depth_multiplier=2)
    sd = m.state_dict()
    assert list(sd) == ["depthwise.weight", "pointwise.weight", "pointwise.bias"]
    assert sd["depthwise.weight"].shape == (8, 1, 3, 3) and sd["pointwise.weight"].shape == (6, 8, 1, 1)
    assert list(m.torch_equivalent().state_dict()) == list(sd)


def test_deform_conv2d_module():
    m = knn.DeformConv2d(4, 6, 3, padding=1, groups=2)
    assert list(m.state_dict()) == ["weight", "bias"] and m.weight.shape == (6, 2, 3, 3)
    needs("deform_conv2d")
    m = m.double()
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64, requires_grad=True)
    offset = (0.5 * torch.randn(2, 18, 5, 5, dtype=torch.float64)).requires_grad_()
    mask = torch.rand(2, 9, 5, 5, dtype=torch.float64).requires_grad_()
    y = m(x, offset, mask)
    arrays = [t.detach().numpy() for t in (x, offset, m.weight, m.bias)]
    params = dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1))
    close(y.detach(), reference.forward("deform_conv2d", *arrays, mask=mask.detach().numpy(), **params))
    y.sum().backward()
    assert x.grad.shape == x.shape and offset.grad.shape == offset.shape and mask.grad.shape == mask.shape


# ---- the acceptance test: a network trains step for step like torch's ---------------------
def conv_only_net(nn_, algo, size):
    """What exists in every branch: plain, grouped and 1x1 convolutions (torch activations)."""
    kw = {} if nn_ is torch.nn else {"algo": algo}
    return torch.nn.Sequential(
        nn_.Conv2d(3, 4, 3, padding=1, **kw), torch.nn.Tanh(),
        nn_.Conv2d(4, 8, 3, stride=2, groups=4, **kw), torch.nn.Tanh(),
        nn_.Conv2d(8, 6, 1, **kw), torch.nn.Tanh(),
        torch.nn.Flatten(), torch.nn.Linear(6 * ((size - 3) // 2 + 1) ** 2, 3))


def full_net(nn_, algo, size):
    """Conv, batch norm, ReLU, max pool, depthwise-separable block, linear head."""
    def kw(op_name):  # the conv algorithm under test; other ops use it where they have it
        if nn_ is torch.nn:
            return {}
        return {"algo": algo if algo in kernels.OPS[op_name].algos() else "auto"}
    if nn_ is torch.nn:
        sep = torch.nn.Sequential(OrderedDict(
            depthwise=torch.nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False),
            pointwise=torch.nn.Conv2d(4, 8, 1)))
    else:
        sep = knn.DepthwiseSeparableConv2d(4, 8, 3, padding=1, **kw("separable_conv2d"))
    return torch.nn.Sequential(
        nn_.Conv2d(3, 4, 3, padding=1, bias=False, **kw("conv2d")),
        nn_.BatchNorm2d(4, **kw("batch_norm")), nn_.ReLU(**kw("relu")),
        nn_.MaxPool2d(2, **kw("max_pool2d")),
        sep, nn_.BatchNorm2d(8, **kw("batch_norm")), nn_.ReLU(**kw("relu")),
        torch.nn.Flatten(), torch.nn.Linear(8 * (size // 2) ** 2, 3))


FULL_OPS = ("conv2d", "batch_norm", "relu", "max_pool2d", "separable_conv2d")


def train(net, x, labels, steps=3):
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("variant", ["conv-only", "full"])
@pytest.mark.parametrize("algo", ["naive", "im2col", "numba"])
def test_network_trains_like_torch(algo, variant):
    if variant == "full":
        needs(*FULL_OPS)
    build = conv_only_net if variant == "conv-only" else full_net
    n, size = (2, 6) if algo == "naive" else (8, 8)  # plain loops: a tiny input
    torch.manual_seed(0)
    theirs = build(torch.nn, algo, size).double()
    ours = build(knn, algo, size).double()
    ours.load_state_dict(theirs.state_dict())
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3, size, size, dtype=torch.float64, generator=gen)
    labels = torch.randint(0, 3, (x.shape[0],), generator=gen)
    expected, got = train(theirs, x, labels), train(ours, x, labels)
    assert len(set(expected)) == 3, "the loss must change from step to step"
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=0)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.allclose(a.double(), b.double(), rtol=1e-8, atol=1e-12), name


# ---- the bridge's handling of state inputs and tuple outputs, on a test-only op -----------
@pytest.fixture
def stateful_op(monkeypatch):
    """``_bridge_probe(input, running=None, momentum=0.5) -> (2 * input, argmax over the last
    axis)``, updating ``running`` in place like batch norm's running mean; its backward
    records the ``running`` it receives."""
    from dataclasses import dataclass

    from kernels._registry import ALGORITHMS, OPS, Algorithm, Input, Op

    @dataclass(frozen=True)
    class Plan:
        out_shape: tuple
        dtype: np.dtype
        momentum: float

    class Probe(Op):
        inputs = (Input("input"), Input("running", optional=True, differentiable=False))
        defaults = {"momentum": 0.5}

        def plan(self, shapes, dtype, params):
            return Plan(shapes[0], dtype, params["momentum"])

    monkeypatch.setattr(kernels._registry, "OPS", dict(OPS))  # Op() registers in a copy...
    op = Probe("_bridge_probe")
    monkeypatch.setitem(OPS, "_bridge_probe", op)  # ...and the real table holds it for this test
    algo = Algorithm("numpy", ops=())
    monkeypatch.setitem(ALGORITHMS, "_bridge_probe", {"numpy": algo})
    seen = []

    @algo.forward
    def forward(x, running, p):
        if running is not None:
            running *= 1 - p.momentum
            running += p.momentum * x.mean(axis=0)
        return 2 * x, x.argmax(axis=-1)

    @algo.backward
    def backward(gy, x, running, p):
        seen.append(None if running is None else running.copy())
        return 2 * gy, None

    yield kt.bridge("_bridge_probe"), seen


def test_state_is_updated_in_place_and_backward_sees_the_old_state(stateful_op):
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    running = torch.ones(3, dtype=torch.float64)
    storage = running.data_ptr()
    probe, seen = stateful_op
    y, idx = probe(x, running, momentum=0.25, algo="numpy")
    close(running, 0.75 + 0.25 * x.detach().mean(0))
    assert running.data_ptr() == storage, "updated in the tensor's own memory"
    assert idx.dtype == torch.int64 and not idx.requires_grad
    assert torch.equal(idx, x.detach().argmax(-1))
    (3 * y).sum().backward()
    close(x.grad, torch.full_like(x, 6.0))
    (state_seen,) = seen
    np.testing.assert_array_equal(state_seen, np.ones(3))


def test_state_in_a_non_contiguous_tensor_is_written_back(stateful_op):
    x = torch.randn(4, 3, dtype=torch.float64)
    running = torch.ones(3, 2, dtype=torch.float64)[:, 0]  # a strided view
    probe, _ = stateful_op
    probe(x, running, algo="numpy")
    close(running, 0.5 + 0.5 * x.mean(0))


def test_outputs_own_their_memory():
    from kernels.torch._tensors import fresh as _fresh
    x = np.arange(6.0)
    ro = x[::-1]
    ro.flags.writeable = False
    for a, inputs in ((x, [x]), (x[::-1], []), (ro, [])):
        out = _fresh(a, inputs)
        assert out.flags.writeable and not np.shares_memory(out, x)
        torch.from_numpy(out)
    y = np.ones(3)
    assert _fresh(y, [x]) is y
