"""kernels.torch.nn.convert: which modules and calls become kernels, which stay and why, and
that the converted model is the same model (state, flags, dtype, numbers)."""
import copy
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import kernels
from kernels.torch import nn as knn
from tests.standin import standins

torch.set_num_threads(1)


class Block(nn.Module):
    """A residual block whose forward calls torch functions, as torchvision's do."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c)        # -> DepthwiseConv2d
        self.pw = nn.Conv2d(c, c, 1)                               # -> PointwiseConv2d
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn(self.dw(x)), inplace=True)
        y = torch.sigmoid(self.pw(y)).tanh()
        return x + y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(3, 4, 3, stride=2, padding=1, padding_mode="reflect"),
            norm=nn.BatchNorm2d(4), act=nn.ReLU(inplace=True)))
        self.blocks = nn.ModuleList([Block(4), Block(4)])
        self.grouped = nn.Conv2d(4, 8, 3, padding=1, groups=2)    # grouped, not depthwise
        self.parts = nn.ModuleDict({"drop": nn.Dropout(0.0), "id": nn.Identity()})
        self.head = nn.Conv2d(8, 5, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)                       # -> GlobalAvgPool2d

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = self.parts["id"](self.parts["drop"](self.grouped(x)))
        x = F.adaptive_avg_pool2d(x, (2, 2))
        return torch.flatten(self.pool(self.head(x)), 1)


def entries(model, kind="module"):
    return {e.path: e for e in model.kernels_report.entries if e.kind == kind}


def rel(a, b) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


def test_modules_are_replaced_by_exact_type_and_routed():
    torch.manual_seed(0)
    model = Net()
    ours = knn.convert(model)
    assert type(ours.stem.conv) is knn.Conv2d
    assert type(ours.blocks[0].dw) is knn.DepthwiseConv2d
    assert type(ours.blocks[1].pw) is knn.PointwiseConv2d
    assert type(ours.grouped) is knn.Conv2d and type(ours.head) is knn.PointwiseConv2d
    assert type(ours.pool) is knn.GlobalAvgPool2d
    assert type(ours.stem.norm) is knn.BatchNorm2d and type(ours.stem.act) is knn.ReLU
    assert type(ours.parts["drop"]) is knn.Dropout and type(ours.parts["id"]) is nn.Identity
    assert type(model.stem.conv) is nn.Conv2d, "inplace=False leaves the model alone"
    found = entries(ours)
    assert found["blocks.0.dw"].op == "depthwise_conv2d" and found["blocks.0.dw"].algo == "auto"
    assert "nothing to compute" in found["parts.id"].reason and not found["parts.id"].converted


def test_same_state_flags_and_numbers_in_float64():
    torch.manual_seed(0)
    model = Net().double()
    model.stem.norm.running_mean.normal_()  # non-trivial buffers
    ours = knn.convert(model, algo="numba")
    assert list(ours.state_dict()) == list(model.state_dict())
    for (k, a), b in zip(ours.state_dict().items(), model.state_dict().values()):
        assert a.dtype == b.dtype and torch.equal(a, b), k
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    for mode in (False, True):
        model.train(mode)
        ours.train(mode)
        assert all(m.training == mode for m in ours.modules())
        xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
        yo, yt = ours(xo), model(xt)
        assert rel(yo.detach(), yt.detach()) < 1e-10
        yo.square().sum().backward(), yt.square().sum().backward()
        assert rel(xo.grad, xt.grad) < 1e-10
        for (n, po), pt in zip(ours.named_parameters(), model.parameters()):
            assert rel(po.grad, pt.grad) < 1e-10, n
    converted = {(e.path, e.source) for e in ours.kernels_report.calls(True)}
    for src in ("F.relu", "torch.sigmoid", "Tensor.tanh"):
        assert ("blocks.1", src) in converted
    assert ("", "F.adaptive_avg_pool2d") in converted
    stayed = {e.source: e.reason for e in ours.kernels_report.calls(False)}
    assert "view" in stayed["torch.flatten"] and "arithmetic" in stayed["operator.add"]


def test_functional_calls_run_on_kernels(monkeypatch):
    model = Net().double().eval()
    ours = knn.convert(model, algo="numba")
    seen = []
    real = kernels.Op.__call__

    def spy(self, *args, **kwargs):
        seen.append(self.name)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(kernels.Op, "__call__", spy)
    ours(torch.randn(1, 3, 8, 8, dtype=torch.float64))
    assert {"adaptive_avg_pool2d", "relu", "sigmoid", "tanh", "depthwise_conv2d"} <= set(seen)


def test_inplace_keeps_the_parameter_objects():
    model = Net()
    params = list(model.parameters())
    ours = knn.convert(model, inplace=True)
    assert ours is model and type(model.stem.conv) is knn.Conv2d
    assert all(a is b for a, b in zip(model.parameters(), params))
    opt = torch.optim.SGD(params, lr=0.1)  # an optimiser made before convert still works
    before = model.head.weight.detach().clone()
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    assert not torch.equal(before, model.head.weight)


def test_shared_modules_stay_shared_and_hooks_carry_over():
    conv = nn.Conv2d(2, 2, 3, padding=1)
    calls = []
    conv.register_forward_hook(lambda m, i, o: calls.append(1))
    model = nn.Sequential(conv, nn.ReLU(), conv)
    ours = knn.convert(model)
    assert ours[0] is ours[2] and type(ours[0]) is knn.Conv2d
    ours(torch.randn(1, 2, 4, 4))
    assert len(calls) == 2


def test_a_leaf_model_is_converted_itself():
    ours = knn.convert(nn.Conv2d(3, 3, 3, groups=3))
    assert type(ours) is knn.DepthwiseConv2d
    assert ours.kernels_report.modules(True)[0].path == ""


def test_a_depthwise_conv_padding_other_than_zeros_stays_a_conv2d():
    """depthwise_conv2d pads with zeros; conv2d takes every padding mode (and groups)."""
    conv = nn.Conv2d(4, 4, 3, padding=1, groups=4, padding_mode="reflect")
    ours = knn.convert(conv)
    assert type(ours) is knn.Conv2d
    x = torch.randn(1, 4, 5, 6, dtype=torch.float64)
    torch.testing.assert_close(ours.double()(x), conv.double()(x), rtol=1e-9, atol=1e-12)


def test_float32_and_dtypes_kernels_does_not_compute():
    model = Net()
    assert next(knn.convert(model).parameters()).dtype == torch.float32
    half = knn.convert(Net().half())
    assert not half.kernels_report.modules(True)
    assert all("float16" in e.reason for e in half.kernels_report.modules(False) if e.source != "Identity")


def test_subclasses_are_not_twins():
    class MyNorm(nn.LayerNorm):
        def forward(self, x):
            return super().forward(x) * 2

    ours = knn.convert(nn.Sequential(MyNorm(4), nn.LayerNorm(4)))
    assert type(ours[0]) is MyNorm and type(ours[1]) is knn.LayerNorm
    assert "subclass of torch.nn.modules.normalization.LayerNorm" in entries(ours)["0"].reason


def test_torchvision_layer_norm2d_has_its_own_twin():
    from harness.networks.models import torchvision
    LayerNorm2d = torchvision().models.convnext.LayerNorm2d
    model = nn.Sequential(LayerNorm2d(4, eps=1e-6)).double()
    with torch.no_grad():
        model[0].weight.normal_()
    with standins("layer_norm2d"):
        ours = knn.convert(model)
        assert type(ours[0]) is knn.LayerNorm2d and ours[0].eps == 1e-6
        x = torch.randn(2, 4, 3, 3, dtype=torch.float64)
        assert rel(ours(x), model(x)) < 1e-12


def test_ops_not_registered_stay_in_torch_with_the_reason(monkeypatch):
    monkeypatch.delitem(kernels.OPS, "relu")
    ours = knn.convert(nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU()))
    assert type(ours[1]) is nn.ReLU
    assert entries(ours)["1"].reason == "kernels has no op relu (not registered)"


def test_new_twins_convert_once_their_ops_exist():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU6(), nn.Hardswish(), nn.Hardsigmoid(),
                          nn.SiLU(), nn.GELU("tanh"), nn.Flatten(), nn.Linear(8 * 4 * 4, 3)).double()
    with standins("relu6", "hardswish", "hardsigmoid", "silu", "gelu", "linear"):
        ours = knn.convert(model)
        assert [type(m).__name__ for m in ours] == ["Conv2d", "ReLU6", "Hardswish", "Hardsigmoid",
                                                    "SiLU", "GELU", "Flatten", "Linear"]
        assert all(type(m).__module__ == "kernels.torch.nn" for i, m in enumerate(ours) if i != 6)
        x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
        assert rel(ours(x), model(x)) < 1e-10


def test_algo_per_module_type_or_op():
    model = Net()
    ours = knn.convert(model, algo={nn.BatchNorm2d: "numpy", "ReLU": "naive",
                                    "depthwise_conv2d": "fft", "default": "im2col"})
    assert ours.stem.norm.algo == "numpy" and ours.stem.act.algo == "naive"
    assert ours.blocks[0].dw.algo == "fft" and ours.blocks[0].pw.algo == "im2col"
    assert ours.stem.conv.algo == "im2col"
    # an algorithm the op lacks: the module stays in torch, and the report says why
    dropped = entries(ours)["parts.drop"]
    assert not dropped.converted and "no algorithm 'im2col'" in dropped.reason
    x = torch.randn(1, 3, 8, 8)
    ours.eval(), model.eval()
    assert rel(ours(x), model(x)) < 1e-4


def test_one_algorithm_for_everything():
    ours = knn.convert(Net(), algo="winograd")
    assert type(ours.stem.conv) is knn.Conv2d and ours.stem.conv.algo == "winograd"
    assert type(ours.stem.norm) is nn.BatchNorm2d
    assert "no algorithm 'winograd'" in entries(ours)["stem.norm"].reason


def test_untraceable_forward_keeps_its_calls_in_torch():
    class Branchy(nn.Module):
        def forward(self, x):
            return F.relu(x) if x.sum() > 0 else F.gelu(x)

    ours = knn.convert(nn.Sequential(Branchy()))
    (entry,) = ours.kernels_report.calls()
    assert "torch.fx could not trace" in entry.reason and not entry.converted
    x = torch.randn(3)
    assert torch.equal(ours(x), ours[0](x))


def test_report_reads_well():
    ours = knn.convert(Net())
    text = str(ours.kernels_report)
    assert text.splitlines()[0].startswith("kernels.torch.nn.convert: ")
    for part in ("Converted modules:", "Modules left in torch:", "Functional calls now on kernels:",
                 "Functional calls left in torch:", "blocks.0.dw", "DepthwiseConv2d"):
        assert part in text
    assert repr(ours.kernels_report) == ours.kernels_report.summary()


def test_deepcopy_of_a_converted_model_runs_its_own_modules():
    ours = knn.convert(Net()).eval()
    twin = copy.deepcopy(ours)
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(twin(x), ours(x))
    assert twin.forward.__self__ is twin


@pytest.mark.parametrize("kwargs,error,name", [
    (dict(model="resnet"), TypeError, "model"),
    (dict(algo=3), TypeError, "algo"),
    (dict(algo={"Conv2d": 3}), TypeError, "algo"),
    (dict(algo={"Convolution": "numba"}), ValueError, "algo"),
    (dict(inplace="yes"), TypeError, "inplace"),
])
def test_bad_arguments_name_themselves(kwargs, error, name):
    kwargs = {"model": nn.ReLU(), **kwargs}
    with pytest.raises(error, match=name):
        knn.convert(**kwargs)
