"""Comparison with torch's answer: NaN and infinities where torch has them, the rest within
the algorithm's tolerance; the one exception, algorithms that transform whole planes."""
import numpy as np

from kernels.tolerances import rel_err, tolerance

F64 = np.float64
# Errors are relative to max |torch's output|, but not to less than FLOOR: where torch's
# whole output is below it, it is the rounding residue of a cancellation (a group of one
# value normalised: 1e-18 where the exact answer is 0), not a scale to measure against.
# Inputs are standard normals, so 1e-6 is far below any value an op computes from them.
FLOOR = 1e-6

# Algorithms that compute whole transforms of a plane (FFT) or tile (Winograd): a NaN or
# infinity in it reaches every element of the plane it lies in.  Outside those planes they
# match torch exactly; inside, every element is either non-finite or torch's value, and
# non-finite wherever torch's is.
SPREADS = {"fft": "an FFT spreads a non-finite value over the whole transformed plane",
           **{w: "a Winograd tile transform spreads a non-finite value over the tile"
              for w in ("winograd", "winograd_f2", "winograd_f4", "winograd_f6")}}


def spatial_dims(op_name: str) -> int:
    return 1 if "1d" in op_name else 3 if "3d" in op_name else 2


def compare(what, out, ref, algo, nd, dtype=F64):
    if isinstance(ref, tuple):
        assert isinstance(out, tuple) and len(out) == len(ref), f"{what}: expected {len(ref)} outputs"
        for o, r in zip(out, ref):
            compare(what, o, r, algo, nd, dtype)
        return
    assert isinstance(out, np.ndarray), f"{what}: returned {type(out).__name__}, not an array"
    assert out.shape == ref.shape, f"{what}: shape {out.shape}, torch gives {ref.shape}"
    if not np.issubdtype(ref.dtype, np.floating):
        assert np.array_equal(out, ref), f"{what}: integer output differs from torch:\n{out}\n{ref}"
        return
    assert out.dtype == dtype, f"{what}: dtype {out.dtype}, expected {np.dtype(dtype)}"
    tol = tolerance(algo, dtype)
    if algo in SPREADS and not np.isfinite(ref).all():
        return spread(what, out, ref, tol, nd)
    err = relative(out, ref)
    assert err < tol, f"{what}: relative error {err:.3g} >= {tol:g}{_where(out, ref)}"


def relative(out, ref) -> float:
    """``rel_err`` (NaN and infinities exactly where torch has them), over a scale of at
    least FLOOR."""
    err = rel_err(out, ref)
    finite = np.isfinite(ref)
    if not np.isfinite(err) or not finite.any():
        return err
    scale = float(np.abs(ref[finite]).max())
    if scale >= FLOOR:
        return err
    return (err * scale if scale > 0 else err) / FLOOR   # rel_err is absolute where scale is 0


def _where(out, ref):
    bad = ~(np.isclose(out, ref, rtol=1e-7, atol=1e-9, equal_nan=True) | (out == ref))
    idx = np.argwhere(bad)[:3]
    return "".join(f"\n  at {tuple(int(i) for i in ix)}: got {out[tuple(ix)]!r}, torch {ref[tuple(ix)]!r}"
                   for ix in idx)


def spread(what, out, ref, tol, nd):
    """What a plane-transforming algorithm must give where torch has NaN or infinities."""
    nd = min(nd, max(ref.ndim - 1, 0))
    plane = int(np.prod(ref.shape[ref.ndim - nd:])) if nd else 1
    o, r = out.reshape(-1, plane), ref.reshape(-1, plane)
    polluted = ~np.isfinite(r).all(axis=1)
    err = relative(o[~polluted], r[~polluted])
    assert err < tol, f"{what}: relative error {err:.3g} >= {tol:g} in planes torch computes finite"
    op_, rp = o[polluted], r[polluted]
    assert (~np.isfinite(op_[~np.isfinite(rp)])).all(), f"{what}: finite where torch has NaN/Inf"
    both = np.isfinite(op_) & np.isfinite(rp)
    finite = np.isfinite(r)
    scale = max(float(np.abs(r[finite]).max()) if finite.any() else 0.0, FLOOR)
    diff = np.abs(op_[both] - rp[both]).max() if both.any() else 0.0
    assert diff <= tol * scale, f"{what}: finite elements of a spread plane differ by {diff:.3g}"
