"""Comparison with torch's answer: NaN and infinities where torch has them, the rest within
the algorithm's tolerance; the exceptions, algorithms that cannot place non-finite values
as torch does by their nature (whole-plane transforms, differently grouped sums)."""
import numpy as np

from kernels.tolerances import rel_err, tolerance

F64 = np.float64
# Errors are relative to max |torch's output|, but not to less than FLOOR: where torch's
# whole output is below it, it is the rounding residue of a cancellation (a group of one
# value normalised: 1e-18 where the exact answer is 0), not a scale to measure against.
# Inputs are standard normals, so 1e-6 is far below any value an op computes from them.
FLOOR = 1e-6


def floor(params) -> float:
    """FLOOR times the most an op's arithmetic can magnify the rounding residue of a
    cancellation.  A normalisation divides x - mean by sqrt(var + eps): in a group of one
    value (var = 0, x - mean = 0 in exact arithmetic) the residue of one ulp of x, which
    one formula leaves and another does not (torch's output is x * a + b with
    b = beta - a * mean, here x - mean exactly), is magnified up to 1/sqrt(eps), 316 at
    torch's default eps: a gradient whose exact value is 0 is then 1e-14 on one side and 0
    on the other, which over FLOOR alone reads as a 1e-8 relative error.  Everywhere else
    (eps absent, or not positive) the floor is FLOOR."""
    eps = params.get("eps")
    if isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 < eps < 1:
        return FLOOR / np.sqrt(eps)
    return FLOOR

# Where an input holds NaN or an infinity, two kinds of algorithm cannot give torch's
# non-finite values by their nature (their docs and tolerance reasons say so, which
# test_spaces checks), and are held to what they do give instead:
# - SPREADS: algorithms that transform whole planes (FFT) or tiles (Winograd): a NaN or
#   infinity reaches every element the transform touches, including outputs a strided
#   convolution never reads it for.  Their output is non-finite wherever torch's is, and
#   every element they give finite equals torch's within the tolerance.
# - GROUPINGS: algorithms that group a sum differently from torch (the two-pass spatially
#   separable convolution sums each column pass first): where infinities of both signs meet,
#   a NaN may come out as an infinity or the reverse.  Their output is non-finite exactly
#   where torch's is, and equal to it elsewhere.
SPREADS = {"fft": "an FFT spreads a non-finite value over the whole transformed plane",
           **{w: "a Winograd tile transform spreads a non-finite value over the tile"
              for w in ("winograd", "winograd_f2", "winograd_f4", "winograd_f6")}}
GROUPINGS = {("spatially_separable_conv2d", "numpy"): "sums grouped by column pass",
             ("spatially_separable_conv2d", "numba"): "sums grouped by column pass"}


def rule(op_name: str, algo: str, arrays) -> str | None:
    """How ``algo``'s answer is compared with torch's for these inputs: None (exactly, NaN
    and infinities included), "spread" or "grouping" (see above)."""
    finite = all(a is None or not np.issubdtype(np.asarray(a).dtype, np.floating) or np.isfinite(a).all()
                 for a in arrays)
    if finite:
        return None
    if algo in SPREADS:
        return "spread"
    if (op_name, algo) in GROUPINGS:
        return "grouping"
    return None


def compare(what, out, ref, algo, how=None, dtype=F64, floor=FLOOR):
    """``out`` is torch's ``ref`` as ``algo`` must give it: NaN and infinities exactly where
    torch has them, the rest within the algorithm's tolerance over a scale of at least
    ``floor`` (see ``floor()``); or by ``how`` (``rule``)."""
    if isinstance(ref, tuple):
        assert isinstance(out, tuple) and len(out) == len(ref), f"{what}: expected {len(ref)} outputs"
        for o, r in zip(out, ref):
            compare(what, o, r, algo, how, dtype, floor)
        return
    assert isinstance(out, np.ndarray), f"{what}: returned {type(out).__name__}, not an array"
    assert out.shape == ref.shape, f"{what}: shape {out.shape}, torch gives {ref.shape}"
    if not np.issubdtype(ref.dtype, np.floating):
        assert np.array_equal(out, ref), f"{what}: integer output differs from torch:\n{out}\n{ref}"
        return
    assert out.dtype == dtype, f"{what}: dtype {out.dtype}, expected {np.dtype(dtype)}"
    tol = tolerance(algo, dtype)
    if how is not None:
        return _nonfinite(what, out, ref, tol, how, floor)
    err = relative(out, ref, floor)
    assert err < tol, f"{what}: relative error {err:.3g} >= {tol:g}{_where(out, ref)}"


def relative(out, ref, floor=FLOOR) -> float:
    """``rel_err`` (NaN and infinities exactly where torch has them), over a scale of at
    least ``floor``."""
    err = rel_err(out, ref)
    finite = np.isfinite(ref)
    if not np.isfinite(err) or not finite.any():
        return err
    scale = float(np.abs(ref[finite]).max())
    if scale >= floor:
        return err
    return (err * scale if scale > 0 else err) / floor   # rel_err is absolute where scale is 0


def _where(out, ref):
    bad = ~(np.isclose(out, ref, rtol=1e-7, atol=1e-9, equal_nan=True) | (out == ref))
    idx = np.argwhere(bad)[:3]
    return "".join(f"\n  at {tuple(int(i) for i in ix)}: got {out[tuple(ix)]!r}, torch {ref[tuple(ix)]!r}"
                   for ix in idx)


def _nonfinite(what, out, ref, tol, how, floor=FLOOR):
    """The SPREADS and GROUPINGS rules: non-finite wherever torch's is (exactly where, for a
    grouping), and the finite elements torch's within the tolerance."""
    mine, torch_ = ~np.isfinite(out), ~np.isfinite(ref)
    assert mine[torch_].all(), f"{what}: finite where torch has NaN/Inf{_where(out, ref)}"
    if how == "grouping":
        assert not mine[~torch_].any(), f"{what}: NaN/Inf where torch is finite{_where(out, ref)}"
    both = ~mine & ~torch_
    scale = max(float(np.abs(ref[~torch_]).max()) if (~torch_).any() else 0.0, floor)
    diff = float(np.abs(out[both] - ref[both]).max()) if both.any() else 0.0
    assert diff < tol * scale, f"{what}: finite elements differ from torch's by {diff:.3g} (scale {scale:.3g})"
