"""FFT and Winograd in float32 at 64 channels, within their declared tolerances."""
import numpy as np
import pytest

from harness.accuracy_fast import ALGOS, relative_error
from kernels.tolerances import tolerance


@pytest.mark.parametrize("algo", ALGOS)
def test_float32_error_at_64_channels(algo):
    err, limit = relative_error(algo, channels=64, size=16), tolerance(algo, np.float32)
    assert err < limit, f"{algo}: {err:.3e} >= {limit:g}"


def test_error_grows_slowly_with_channels():
    """From 4 to 256 channels the F(4x4) error grows, but stays within its limit."""
    small, large = relative_error("winograd_f4", 4, size=12), relative_error("winograd_f4", 256, size=12)
    assert small < large < tolerance("winograd_f4", np.float32)
