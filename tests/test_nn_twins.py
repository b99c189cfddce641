"""kernels.torch.nn modules for what real CNNs use (Linear, ReLU6, Hardswish, Hardsigmoid,
SiLU, GELU, torchvision's LayerNorm2d) and the routed convolutions (DepthwiseConv2d,
PointwiseConv2d): torch's constructor and state dict, torch's numbers in float64, forward
and every gradient, for every fast algorithm of the op.

Ops not registered in this checkout run on a stand-in computed by torch (tests/standin.py,
algorithm ``standin``), which checks the modules' wiring until the real ops land.
"""
import pytest
import torch

import kernels
from harness.networks.models import torchvision
from kernels.torch import nn as knn
from tests.standin import AGREED, standins

torch.set_num_threads(1)

TWINS = [  # (kernels class, torch class, constructor args, kwargs, input shape)
    ("Linear", torch.nn.Linear, (5, 3), {}, (4, 5)),
    ("Linear", torch.nn.Linear, (5, 3), {"bias": False}, (2, 3, 5)),
    ("ReLU6", torch.nn.ReLU6, (), {}, (2, 3, 4, 4)),
    ("Hardswish", torch.nn.Hardswish, (), {}, (2, 3, 4, 4)),
    ("Hardsigmoid", torch.nn.Hardsigmoid, (), {}, (2, 3, 4, 4)),
    ("SiLU", torch.nn.SiLU, (), {}, (2, 3, 4, 4)),
    ("GELU", torch.nn.GELU, (), {}, (2, 3, 4, 4)),
    ("GELU", torch.nn.GELU, (), {"approximate": "tanh"}, (2, 3, 4, 4)),
    ("DepthwiseConv2d", torch.nn.Conv2d, (3, 6, 3), {"stride": 2, "padding": 1}, (2, 3, 7, 7)),
    ("DepthwiseConv2d", torch.nn.Conv2d, (4, 8, 3), {"padding": 2, "dilation": 2,
                                                      "bias": False}, (1, 4, 5, 6)),
    ("PointwiseConv2d", torch.nn.Conv2d, (4, 5), {}, (2, 4, 3, 5)),
    ("GlobalAvgPool2d", torch.nn.AdaptiveAvgPool2d, (1,), {}, (2, 3, 5, 4)),
    ("GlobalAvgPool2d", torch.nn.AdaptiveAvgPool2d, ((1, 1),), {}, (3, 5, 4)),
]
OPS = {name: knn.OP_OF[name] for name, *_ in TWINS}


def _id(t):
    name, _, _, kw, _ = t
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}"


def _theirs(name, torch_cls, args, kwargs):
    if name == "DepthwiseConv2d":
        return torch_cls(*args, groups=args[0], **kwargs)
    if name == "PointwiseConv2d":
        return torch_cls(*args, kernel_size=1, **kwargs)
    return torch_cls(*args, **kwargs)


def fast_algos(op_name):
    op = kernels.OPS[op_name]
    return [a for a in op.algos() if not op.registered()[a].slow] + ["auto"]


def rel(a, b) -> float:
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-300)).item()


def compare(ours, theirs, shape, tol=1e-9):
    """Forward, input gradient and every parameter gradient of ours against theirs (float64)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, dtype=torch.float64, generator=gen)
    xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
    yo, yt = ours(xo), theirs(xt)
    assert yo.shape == yt.shape and yo.dtype == torch.float64
    assert rel(yo.detach(), yt.detach()) <= tol
    gy = torch.randn(yt.shape, dtype=torch.float64, generator=gen)
    yo.backward(gy), yt.backward(gy)
    assert rel(xo.grad, xt.grad) <= tol
    for (n, po), pt in zip(ours.named_parameters(), theirs.parameters()):
        assert rel(po.grad, pt.grad) <= tol, n


@pytest.mark.parametrize("name,torch_cls,args,kwargs,shape", TWINS, ids=[_id(t) for t in TWINS])
def test_twin_has_torch_state_and_numbers(name, torch_cls, args, kwargs, shape):
    ours = getattr(knn, name)(*args, **kwargs)
    theirs = _theirs(name, torch_cls, args, kwargs)
    assert isinstance(ours, torch_cls) and "algo='auto'" in repr(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    ours, theirs = ours.double(), theirs.double()
    with standins(OPS[name]):
        for algo in fast_algos(OPS[name]):
            ours.algo = algo
            for p in (*ours.parameters(), *theirs.parameters()):
                p.grad = None
            compare(ours, theirs, shape)


def test_layer_norm2d_is_torchvisions():
    LayerNorm2d = torchvision().models.convnext.LayerNorm2d
    theirs = LayerNorm2d(6, eps=1e-6).double()
    with torch.no_grad():
        theirs.weight.normal_(), theirs.bias.normal_()
    ours = knn.LayerNorm2d(6, eps=1e-6).double()
    assert isinstance(ours, torch.nn.LayerNorm) and list(ours.state_dict()) == ["weight", "bias"]
    ours.load_state_dict(theirs.state_dict())
    with standins("layer_norm2d"):
        for algo in fast_algos("layer_norm2d"):
            ours.algo = algo
            ours.zero_grad(), theirs.zero_grad()
            compare(ours, theirs, (2, 6, 3, 5))
        with pytest.raises(ValueError, match="channels"):
            ours(torch.randn(2, 5, 3, 3, dtype=torch.float64))


def test_depthwise_module_refuses_a_channel_count_it_cannot_group():
    with pytest.raises(ValueError, match="out_channels"):
        knn.DepthwiseConv2d(4, 6, 3)


def test_stand_ins_have_the_agreed_signatures_and_leave_no_trace():
    before = set(kernels.OPS)
    with standins(*AGREED) as stood:
        for name in AGREED:
            params = list(kernels.OPS[name].__signature__.parameters)
            assert params[0] == "input", name
    assert set(kernels.OPS) == before and not (set(stood) & before)
