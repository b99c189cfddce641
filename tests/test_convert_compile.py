"""A converted model runs under torch.compile and gives the eager outputs.

Needs the kernels.torch ops registered as torch custom ops (the bridge's work): with plain
autograd Functions, torch.compile hands them FakeTensors and fails."""
import torch

from kernels.torch import nn as knn
from tests.test_convert import Net


def test_converted_model_compiles_to_the_eager_outputs():
    torch.manual_seed(0)
    ours = knn.convert(Net().double().eval(), algo="numba")
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        eager = ours(x)
        compiled = torch.compile(ours)(x)
    assert torch.allclose(compiled, eager, rtol=1e-12, atol=0)
    xo = x.clone().requires_grad_()
    torch.compile(ours)(xo).square().sum().backward()
    xe = x.clone().requires_grad_()
    ours(xe).square().sum().backward()
    assert torch.allclose(xo.grad, xe.grad, rtol=1e-12, atol=0)
