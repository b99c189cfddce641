"""kernels._vecmath: the float32 exp, tanh and erf against float64, and their special values."""
import math

import numpy as np
import pytest
from numba import njit
from scipy.special import erf

from kernels._vecmath import verf, vexp, vtanh

SPECIAL = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72, 88.73, -87.3, -103.0, -104.0,
                      -150.0, 1e-30, -1e-30, 1e-42, 3.9, 4.0, 4.1, 0.625, -0.625, 9.0, 11.0])


@njit
def _apply(x, out, k):
    for i in range(x.size):
        out[i] = vexp(x[i]) if k == 0 else (vtanh(x[i]) if k == 1 else verf(x[i]))


def _inputs():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.standard_normal(50_000) * s for s in (1, 5, 30)]
                       + [np.linspace(-100, 100, 50_001)])
    return np.concatenate([x.astype(np.float32), SPECIAL])


@pytest.mark.parametrize("k, ref, bound", [
    (0, np.exp, ("ulp", 1.0)), (1, np.tanh, ("ulp", 0.6)), (2, erf, ("abs", 3.2e-8))],
    ids=["exp", "tanh", "erf"])
def test_float32_accuracy_and_special_values(k, ref, bound):
    x = _inputs()
    out = np.full_like(x, np.nan)
    _apply(x, out, k)
    with np.errstate(over="ignore"):
        r = ref(x.astype(np.float64))
        r32 = r.astype(np.float32)   # where float32 overflows, +-inf is the right answer
    special = ~np.isfinite(r32)
    assert np.array_equal(np.isnan(out), np.isnan(r32))
    assert np.array_equal(out[special & ~np.isnan(r32)], r32[special & ~np.isnan(r32)])
    fin = ~special
    err = np.abs(out[fin] - r[fin])
    if bound[0] == "ulp":   # in units of the float32 spacing at the true value
        err = err / np.spacing(np.abs(r32[fin])).astype(np.float64)
    assert err.max() <= bound[1], err.max()
    zero, minus_zero = out[x.size - SPECIAL.size:][:2]
    assert k == 0 or (np.signbit(minus_zero) and not np.signbit(zero))   # tanh, erf keep -0.0


def test_float64_is_libm_accurate():
    x = np.concatenate([np.random.default_rng(8).standard_normal(1000) * 5, [np.inf, -np.inf, np.nan]])
    for k, ref in enumerate((np.exp, np.tanh, np.vectorize(math.erf))):
        out = np.empty_like(x)
        _apply(x, out, k)
        np.testing.assert_allclose(out, ref(x), rtol=4e-16, atol=0)  # libm vs NumPy: last bit
