"""The cuda algorithm: torch's answers with several blocks per launch, device arrays in and
out, and device arrays refused by every other algorithm.

Runs under Numba's CUDA simulator (tests/conftest.py) unless CONVBENCH_REAL_GPU=1.
"""
import numpy as np
import pytest
import torch
from numba import cuda

import kernels
import reference
from kernels import _arrays, _cuda
from kernels.conv import cuda as conv_cuda
from kernels.tolerances import rel_err, tolerance
from tests.cases import Case
from tests.helpers import check_op

pytestmark = pytest.mark.skipif(not _cuda.available(), reason="no GPU and no simulator")


@pytest.fixture(autouse=True)
def few_threads(monkeypatch):
    """8 threads per block, and reductions split as finely as they go: every case below
    spans several blocks, output tiles and reduction chunks."""
    monkeypatch.setattr(_cuda, "TPB", 8)
    monkeypatch.setattr(_cuda, "REDUCE_THREADS", 1 << 20)


CASES = [
    ("conv2d", Case("strided-padded", ((1, 2, 7, 6), (3, 2, 3, 3), (3,)), dict(stride=2, padding=1))),
    ("conv2d", Case("grouped-dilated", ((1, 4, 7, 7), (4, 2, 3, 3), (4,)),
                    dict(groups=2, dilation=2, padding=1))),
    ("conv2d", Case("same-even-dilated", ((1, 2, 6, 7), (3, 2, 2, 3), None),
                    dict(padding="same", dilation=(2, 1)))),
    ("conv2d", Case("1x1", ((2, 3, 3, 4), (5, 3, 1, 1), (5,)))),
    ("conv2d", Case("1x1-stride2", ((1, 3, 5, 5), (2, 3, 1, 1), (2,)), dict(stride=2))),
    ("conv1d", Case("strided-dilated", ((2, 3, 11), (5, 3, 3), (5,)), dict(stride=2, padding=2, dilation=2))),
    ("conv3d", Case("strided-padded", ((1, 2, 4, 5, 4), (2, 2, 2, 3, 2), (2,)),
                    dict(stride=(1, 2, 1), padding=1))),
    ("pointwise_conv2d", Case("bias", ((1, 4, 3, 5), (6, 4, 1, 1), (6,)))),
    ("depthwise_conv2d", Case("multiplier2-stride2-padded", ((1, 2, 7, 6), (4, 1, 3, 3), (4,)),
                              dict(stride=2, padding=1))),
    ("conv_transpose2d", Case("stride2-outpad1-groups2", ((1, 4, 3, 4), (4, 2, 3, 3), (4,)),
                              dict(stride=2, padding=1, output_padding=1, groups=2))),
]


@pytest.mark.parametrize("op_name,case", CASES, ids=[f"{o}-{c.id}" for o, c in CASES])
def test_against_torch_float64(op_name, case):
    """Forward and every gradient, NaN-poisoned outputs, relative error < 1e-9."""
    assert tolerance("cuda", np.float64) <= 1e-9
    check_op(op_name, "cuda", case, np.float64)


def test_cases_span_several_blocks():
    p = kernels.conv2d._plan_from_shapes(((1, 2, 7, 6), (3, 2, 3, 3), (3,)), np.float64,
                                         dict(stride=2, padding=1))
    th, tw = conv_cuda.tile(p, _cuda.TPB)
    assert th * tw <= _cuda.TPB and (p.out[0] > th or p.out[1] > tw)
    J, _ = _cuda.chunks(p.N * p.out[0], int(np.prod(p.w_shape)))
    assert J == p.N * p.out[0] > 1   # grad_weight: one chunk per output row
    assert _cuda.chunks(p.N * p.out[0] * p.out[1], p.K)[0] > 1  # grad_bias


def test_supports_is_honest_about_shared_memory():
    big = ((1, 1, 220, 220), (1, 1, 3, 3))
    assert not kernels.conv2d.supports("cuda", *big, dilation=100, dtype=np.float64)
    assert kernels.conv2d.supports("cuda", *big, dilation=2, dtype=np.float64)
    x, w = np.zeros((1, 1, 220, 220)), np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match="shared memory"):
        kernels.conv2d(x, w, dilation=100, algo="cuda")
    assert not kernels.pointwise_conv2d.supports("cuda", (70000, 2, 1, 1), (3, 2, 1, 1))


def test_depthwise_tiles_span_several_blocks():
    """The depthwise forward's tiles (8 threads per block) and its refusal of filters that
    do not fit in shared memory."""
    from kernels.depthwise import cuda as dw_cuda
    p = kernels.depthwise_conv2d._plan_from_shapes(((1, 2, 7, 6), (4, 1, 3, 3), (4,)),
                                                   np.float64, dict(stride=2, padding=1))
    th, tw = dw_cuda.tile(p, _cuda.TPB)
    assert th * tw <= _cuda.TPB and (p.out[0] > th or p.out[1] > tw)
    big = ((1, 1, 8, 8), (1000, 1, 3, 3))  # m = 1000 filters of 3x3: 72 KB in float64
    assert not kernels.depthwise_conv2d.supports("cuda", *big, dtype=np.float64)
    assert kernels.depthwise_conv2d.supports("cuda", *big, dtype=np.float32)


def test_transposed_1x1_with_cut_output_is_not_a_gemm():
    """output_padding with dilation makes the transposed op's conv 1x1 but cut short of its
    input: it must take the direct path, not the GEMM (which assumes out == size)."""
    p = kernels.conv_transpose2d._plan_from_shapes(((1, 2, 3, 3), (2, 3, 1, 1), None),
                                                   np.float64, dict(dilation=2, output_padding=1))
    assert p.conv.out != p.conv.size and not conv_cuda.is_1x1(p.conv)


def test_cuda_is_listed_where_it_runs():
    for op in ("conv1d", "conv2d", "conv3d", "pointwise_conv2d", "depthwise_conv2d",
               "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
        assert "cuda" in kernels.OPS[op].algos()


def _arrays_f64(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def test_device_arrays_in_give_device_arrays_out():
    x, w, b, gy = _arrays_f64((2, 3, 6, 5), (4, 3, 3, 3), (4,), (2, 4, 3, 3))
    params = dict(stride=2, padding=1)
    dx, dw, db = (cuda.to_device(a) for a in (x, w, b))
    assert _cuda.as_device(dx) is dx  # taken as it is: no copy
    y = kernels.conv2d(dx, dw, db, algo="cuda", **params)
    assert _arrays.is_device(y) and not isinstance(y, np.ndarray)
    tol = tolerance("cuda", np.float64)
    assert rel_err(y.copy_to_host(), reference.forward("conv2d", x, w, b, **params)) < tol
    grads = kernels.conv2d.backward(cuda.to_device(gy), dx, dw, db, algo="cuda", **params)
    for g, r in zip(grads, reference.grad("conv2d", gy, x, w, b, **params)):
        assert _arrays.is_device(g) and not isinstance(g, np.ndarray)
        assert rel_err(g.copy_to_host(), r) < tol


@pytest.mark.parametrize("op_name,shapes,params", [
    ("depthwise_conv2d", ((1, 2, 5, 4), (4, 1, 3, 3), (4,), (1, 4, 3, 2)),
     dict(stride=2, padding=1)),
    ("conv_transpose2d", ((1, 2, 3, 2), (2, 3, 2, 2), (3,), (1, 3, 6, 4)), dict(stride=2)),
])
def test_device_arrays_depthwise_and_transposed(op_name, shapes, params):
    x, w, b, gy = _arrays_f64(*shapes)
    op = kernels.OPS[op_name]
    dev = [cuda.to_device(a) for a in (x, w, b)]
    y = op(*dev, algo="cuda", **params)
    assert _arrays.is_device(y) and y.shape == gy.shape
    assert rel_err(y.copy_to_host(), reference.forward(op_name, x, w, b, **params)) < 1e-9
    grads = op.backward(cuda.to_device(gy), *dev, algo="cuda", **params)
    for g, r in zip(grads, reference.grad(op_name, gy, x, w, b, **params)):
        assert _arrays.is_device(g) and rel_err(g.copy_to_host(), r) < 1e-9


def test_device_1x1_stays_on_device():
    x, w = _arrays_f64((1, 3, 2, 3), (4, 3, 1, 1))
    y = kernels.pointwise_conv2d(cuda.to_device(x), cuda.to_device(w), algo="cuda")
    assert _arrays.is_device(y)
    assert rel_err(y.copy_to_host(), reference.forward("pointwise_conv2d", x, w)) < 1e-9


@pytest.mark.parametrize("algo", ["numba", "im2col", "naive", "auto"])
@pytest.mark.parametrize("which", ["input", "weight", "bias"])
def test_other_algorithms_refuse_device_arrays(algo, which):
    arrays = dict(zip(("input", "weight", "bias"), _arrays_f64((1, 2, 5, 5), (3, 2, 3, 3), (3,))))
    arrays[which] = cuda.to_device(arrays[which])
    with pytest.raises(TypeError, match=which):
        kernels.conv2d(**arrays, algo=algo)


def test_device_grad_out_refused_by_other_algorithms():
    x, w, gy = _arrays_f64((1, 2, 5, 5), (3, 2, 3, 3), (1, 3, 3, 3))
    with pytest.raises(TypeError, match="grad_out"):
        kernels.conv2d.backward(cuda.to_device(gy), x, w, algo="numba")


def test_device_arrays_are_checked():
    x, w = _arrays_f64((1, 2, 5, 5), (3, 2, 3, 3))
    with pytest.raises(TypeError, match="weight"):  # dtype differs from the input's
        kernels.conv2d(cuda.to_device(x), cuda.to_device(w.astype(np.float32)), algo="cuda")
    with pytest.raises(TypeError, match="input"):
        kernels.conv2d(cuda.to_device(x.astype(np.int64)), cuda.to_device(w), algo="cuda")
    with pytest.raises(TypeError, match="input.*C-contiguous"):
        kernels.conv2d(cuda.to_device(np.asfortranarray(x)), cuda.to_device(w), algo="cuda")
    with pytest.raises(ValueError, match="weight"):
        kernels.conv2d(cuda.to_device(x), cuda.to_device(w[:, :1].copy()), algo="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a real GPU and torch CUDA")
def test_torch_cuda_tensors_in_and_out():
    x, w = _arrays_f64((2, 3, 8, 8), (4, 3, 3, 3))
    tx, tw = torch.tensor(x, device="cuda"), torch.tensor(w, device="cuda")
    y = kernels.conv2d(tx, tw, padding=1, algo="cuda")
    assert _arrays.is_device(y)
    out = torch.as_tensor(y, device="cuda").cpu().numpy()
    assert rel_err(out, reference.forward("conv2d", x, w, padding=1)) < 1e-9


def test_kernels_compile_for_a_real_gpu():
    """What the simulator cannot see: each kernel typed and compiled to PTX by Numba's CUDA
    compiler (needs a CUDA toolkit's NVVM, not a GPU; skipped without one)."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    run = subprocess.run([sys.executable, os.path.join(root, "tests", "cuda_ptx.py")],
                         env=env, capture_output=True, text=True, timeout=600)
    if run.returncode == 77:
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0, run.stdout + run.stderr
