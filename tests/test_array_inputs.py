"""The generic input checks of kernels._arrays beyond what tests/test_bad_inputs.py derives
for every op: which array-likes are read, which are refused and how."""
import numpy as np
import pytest
import torch

import kernels
from kernels._params import MAX_ELEMENTS

RNG = np.random.default_rng(0)
X, W = RNG.standard_normal((2, 3, 6, 6)), RNG.standard_normal((4, 3, 3, 3))


def test_a_cpu_tensor_without_grad_is_read_as_an_array():
    want = kernels.conv2d(X, W, algo="naive")
    got = kernels.conv2d(torch.from_numpy(X), torch.from_numpy(W), algo="naive")
    np.testing.assert_array_equal(got, want)


class Unreadable:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no")


@pytest.mark.parametrize("bad", [
    torch.randn(2, 3, 6, 6, dtype=torch.bfloat16),
    torch.randn(2, 3, 6, 6, device="meta"),
    Unreadable(),
], ids=["bfloat16-tensor", "meta-tensor", "failing-__array__"])
def test_what_numpy_cannot_read_is_a_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match=r"conv2d: weight .*cannot be read as a NumPy array"):
        kernels.conv2d(X, bad)


def test_a_tensor_that_requires_grad_points_to_detach_and_kernels_torch():
    with pytest.raises(TypeError, match=r"weight\.detach\(\)\.numpy\(\).*kernels\.torch"):
        kernels.conv2d(X, torch.from_numpy(W).requires_grad_())


def test_a_broadcast_view_is_refused_before_its_copy_but_a_small_one_is_copied():
    huge = np.broadcast_to(X[:1], (MAX_ELEMENTS // X[0].size + 1, *X.shape[1:]))
    with pytest.raises(ValueError, match="input has .* elements .*MAX_ELEMENTS"):
        kernels.conv2d(huge, W)
    small = np.broadcast_to(X[:1], X.shape)
    np.testing.assert_allclose(kernels.conv2d(small, W, algo="naive"),
                               kernels.conv2d(np.repeat(X[:1], 2, 0), W, algo="naive"))
