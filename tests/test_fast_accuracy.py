"""The issue's float32 accuracy limits for FFT and Winograd at 64 channels."""
import pytest

from harness.accuracy_fast import REQUIRED, relative_error


@pytest.mark.parametrize("algo", sorted(REQUIRED))
def test_float32_error_at_64_channels(algo):
    err = relative_error(algo, channels=64, size=16)
    assert err < REQUIRED[algo], f"{algo}: {err:.3e} >= {REQUIRED[algo]:g}"


def test_error_grows_slowly_with_channels():
    """From 4 to 256 channels the F(4x4) error grows, but stays within its limit."""
    small, large = relative_error("winograd_f4", 4, size=12), relative_error("winograd_f4", 256, size=12)
    assert small < large < REQUIRED["winograd_f4"]
