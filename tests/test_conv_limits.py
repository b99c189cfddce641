"""Sizes at the edge of what the convolutions can compute (issue 15): each call that crashed,
hung or raised a raw NumPy/Python error now computes torch's result or is refused with a
ValueError naming the argument, before any kernel runs.  The calls that crashed or hung
run in a subprocess, so that a regression fails the test rather than the test run."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels._params import MAX_ELEMENTS, MAX_EXTENT

ONES = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float32)
HUGE = dict(padding=(2 ** 31 - 2, 2 ** 31 - 8), dilation=(2 ** 32 - 4, 2 ** 32 - 16))


def run_isolated(code: str, timeout: float = 240) -> str:
    """Run ``code`` (after ``import numpy as np, kernels``) in a fresh interpreter; return
    its stdout, failing on a crash, a hang or an exception."""
    program = "import numpy as np\nimport kernels\n" + textwrap.dedent(code)
    try:
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung (no result in {timeout} s):\n{code}")
    assert done.returncode == 0, f"exit status {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def torch_conv(x, w, **params):
    return F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), **params).numpy()


@pytest.mark.parametrize("call", [
    "kernels.depthwise_conv2d(x, w, padding=P, dilation=D, algo='numba')",
    "kernels.separable_conv2d(x, w, np.ones((1, 1, 1, 1), np.float32), padding=P, dilation=D, algo='numba')",
], ids=["depthwise", "separable"])
def test_padding_that_once_segfaulted_is_refused(call):
    """A padded input of 2**32 x (2**32 - 12) wrapped a buffer size in int64 and sent tap
    offsets negative; now the plan refuses it, naming the padding."""
    out = run_isolated(f"""
        x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float32)
        P, D = {HUGE['padding']}, {HUGE['dilation']}
        try:
            {call}
        except ValueError as e:
            print("refused:", e)
        """)
    assert "refused:" in out and "padding" in out and str(MAX_EXTENT) in out


@pytest.mark.parametrize("stride", [10 ** 6, 2 ** 62])
def test_a_stride_past_the_input_is_computed(stride):
    """stride=10**6 raised SystemError in the parallel region and 2**62 hung; torch computes
    both (the kernel is placed once), and so do the ops now."""
    out = run_isolated(f"""
        x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float32)
        for algo in kernels.depthwise_conv2d.algos():
            if not kernels.depthwise_conv2d.supports(algo, x.shape, w.shape, stride={stride}):
                continue
            y = kernels.depthwise_conv2d(x, w, stride={stride}, algo=algo)
            print(algo, y.shape, float(y.ravel()[0]))
        """)
    expected = torch_conv(*ONES, stride=stride)
    lines = out.split("\n")
    assert any(line.startswith("numba ") for line in lines)
    for line in filter(None, lines):
        assert line.split(" ", 1)[1] == f"{expected.shape} {float(expected.ravel()[0])}", line


def test_fft_on_a_padding_of_1e9_is_refused_not_hung():
    x = np.ones((1, 1, 1, 1))
    with pytest.raises(ValueError, match=r"\bpadding\b.*MAX_ELEMENTS"):
        kernels.conv2d(x, x, padding=10 ** 9, algo="fft")
    assert not kernels.conv2d.supports("fft", x.shape, x.shape, padding=10 ** 9)


@pytest.mark.parametrize("param", ["stride", "dilation"])
def test_transposed_fft_and_auto_with_a_stride_or_dilation_of_1e6(param, tmp_path):
    """An output of 2 000 003 positions: the FFT enumerated every tile length up to it, and
    the Numba kernel looped over every one of the 10**6 stride phases."""
    run_isolated(f"""
        rng = np.random.default_rng(0)
        x, w = rng.standard_normal((1, 1, 3)), rng.standard_normal((1, 1, 3))
        for a in ("fft", "numba", "auto"):
            np.save("{tmp_path}/" + a + ".npy", kernels.conv_transpose1d(x, w, {param}=10 ** 6, algo=a))
        """, timeout=300)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 1, 3)), rng.standard_normal((1, 1, 3))
    ref = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), **{param: 10 ** 6}).numpy()
    for algo in ("fft", "numba", "auto"):
        np.testing.assert_allclose(np.load(tmp_path / f"{algo}.npy"), ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("algo", ["naive", "im2col", "numba", "fft"])
def test_huge_integers(algo):
    """padding=2**62 gave 'Maximum allowed dimension exceeded' and stride=2**62 an
    OverflowError or a NumPy pad_width TypeError: the first is refused by name, the second
    computed as torch does."""
    x, w = ONES
    with pytest.raises(ValueError, match=r"\bpadding\b"):
        kernels.conv2d(x, w, padding=2 ** 62, algo=algo)
    with pytest.raises(ValueError, match=r"\bstride\b"):
        kernels.conv2d(x, w, stride=2 ** 63, algo=algo)
    np.testing.assert_allclose(kernels.conv2d(x, w, stride=2 ** 62, algo=algo),
                               torch_conv(x, w, stride=2 ** 62), rtol=1e-6)
    gx, gw, _ = kernels.conv2d.backward(np.ones((1, 1, 1, 1), np.float32), x, w, stride=2 ** 62, algo=algo)
    np.testing.assert_array_equal(gx[0, 0], np.pad(np.ones((2, 2)), ((0, 2), (0, 2))))
    np.testing.assert_array_equal(gw, np.ones((1, 1, 2, 2)))


def test_workspace_beyond_the_limit_is_unsupported_not_attempted():
    """im2col builds its patch matrix in chunks down to one output row: a 20000 x 20000
    output with a 31 x 31 kernel (a whole matrix of 961 * 4 * 10**8 elements) is taken in
    chunks, but one output row of 2 * 10**7 positions is a chunk of 961 times that, beyond
    MAX_ELEMENTS, so im2col declares that case unsupported (auto skips it)."""
    square = (1, 1, 20000, 20000), (1, 1, 31, 31)
    assert kernels.conv2d.output_shape(*square, padding=15) == (1, 1, 20000, 20000)
    assert kernels.conv2d.supports("im2col", *square, padding=15)
    wide = (1, 1, 31, 20_000_000), (1, 1, 31, 31)
    assert kernels.conv2d.output_shape(*wide) == (1, 1, 1, 20_000_000 - 30)
    assert not kernels.conv2d.supports("im2col", *wide)
    reason = kernels.conv2d.why_not("im2col", kernels.conv2d.plan_for(wide + (None,), np.float32, {}))
    assert "patch matrix" in reason and str(MAX_ELEMENTS) in reason
    assert kernels.conv2d.supports("numba", *wide)
