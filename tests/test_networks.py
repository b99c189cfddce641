"""Every network of the networks suite, converted with ``auto`` and with ``numba``, computes
what torch computes.

Small variants of each network (harness/networks/models.py: the same module types and code
paths at a fraction of the size, batch 2, 16x16 to 32x32 inputs) keep CI time small.

- float64: eval outputs, and after one training step (forward, backward) the loss, every
  parameter gradient and the batch-norm buffers agree with torch within 1e-9 relative
  (a gradient smaller than a thousandth of the network's largest is measured against that
  thousandth: the bias of a convolution followed by batch norm has a gradient of zero, up
  to rounding noise, in torch and in kernels alike; so has the batch mean after it).
  Dropout and stochastic depth are off for the step (p = 0): their masks come from other
  generators in kernels.
- float32: eval outputs no further from torch's float64 than 3x torch's own float32 error.
"""
import numba
import pytest
import torch

from harness.networks.models import NETWORKS
from harness.networks.steps import eval_forward, rel_err, step_errors
from kernels.torch import nn as knn

BATCH = 2
STAYS = ("kernels has no op", "nothing to compute", "no kernels twin")  # legitimate reasons


@pytest.fixture(autouse=True, scope="module")
def one_thread_each():
    """One thread for torch and for Numba: on 2 busy cores, the spinning waits of two OpenMP
    runtimes (torch's and Numba's) slow each other down by tens of times."""
    saved = numba.get_num_threads(), torch.get_num_threads()
    numba.set_num_threads(1), torch.set_num_threads(1)
    yield
    numba.set_num_threads(saved[0]), torch.set_num_threads(saved[1])


def setup(name, dtype):
    net = NETWORKS[name]
    torch.manual_seed(0)
    model = net.small().to(dtype)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, *net.small_input, dtype=torch.float64, generator=gen)
    return model, x


@pytest.mark.parametrize("algo", ["auto", "numba"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_float64_matches_torch(name, algo):
    model, x = setup(name, torch.float64)
    ours = knn.convert(model, algo=algo)
    report = ours.kernels_report
    assert report.modules(True), "something was converted"
    for e in report.modules(False):
        assert any(r in e.reason for r in STAYS), f"{e.path}: {e.reason}"
    assert rel_err(eval_forward(ours, x), eval_forward(model, x)) <= 1e-9
    target = torch.randn(eval_forward(model, x).shape, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(2))
    errors = step_errors(ours, model, x, target)
    assert errors["loss"] <= 1e-9
    assert errors["grads"] and errors["grad"] <= 1e-9, \
        {k: v for k, v in errors["grads"].items() if v > 1e-9}
    assert errors["buffer"] <= 1e-9


@pytest.mark.parametrize("algo", ["auto", "numba"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_float32_no_worse_than_torch(name, algo):
    model, x = setup(name, torch.float32)
    ref = eval_forward(model.double(), x)
    model.float()
    ours = knn.convert(model, algo=algo)
    torch_err = rel_err(eval_forward(model, x.float()), ref)
    assert rel_err(eval_forward(ours, x.float()), ref) <= 3 * torch_err
