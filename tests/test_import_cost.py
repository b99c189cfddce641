"""What ``import kernels`` costs: the heavy modules it must leave for first use, and the
local stand-ins that make that possible."""
import os
import subprocess
import sys

from kernels.conv._pocketfft import next_fast_len

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAZY = ("torch", "scipy.fft", "scipy.special")  # imported by the first op that needs them


def test_import_kernels_leaves_heavy_modules_for_first_use():
    code = f"import sys, kernels; print([m for m in {LAZY!r} if m in sys.modules])"
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=300, check=True)
    assert out.stdout.strip() == "[]"


def test_next_fast_len_is_scipys():
    import scipy.fft as sfft
    assert [next_fast_len(n) for n in range(1, 3000)] == \
        [sfft.next_fast_len(n, real=True) for n in range(1, 3000)]
