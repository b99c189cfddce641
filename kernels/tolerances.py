"""Accuracy: the limit every algorithm is held to, and which algorithm to believe.

The one table of limits, keyed by (algorithm name, dtype), each with its reason, is
derived from declarations.  An algorithm states its limits and its trust rank where it
is defined::

    einsum = Algorithm("einsum", ops=("conv2d",), trust=25, tolerance={
        "float32": (1e-4, "float32 sums in einsum's order"),
        "float64": (1e-9, "float64 rounding only")})

The names that every op family uses (naive, numpy, im2col, numba, cuda, fft) are declared
once, below, and their algorithms omit both.  Several algorithms may declare one name
(each op family has its own ``numba``): the declarations must agree, or registration
raises ``ValueError``.

Error is relative to the reference's scale, max |out - ref| / max |ref| (``rel_err``),
against torch in float64 on zero-mean random inputs (drawn from ``SEED``).  The tests,
the harness's ``inaccurate`` status and ``algo="auto"`` all read ``tolerance``.

Trust ranks algorithms by how plain their arithmetic is, most trusted (lowest) first:
``algo="auto"`` checks every candidate against the most trusted fast one, and chooses it
when there is nothing to time.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from types import MappingProxyType

import numpy as np

DTYPES = ("float32", "float64")  # the dtypes every op computes in
SEED = 20261123                  # of the random inputs that accuracy is measured on


@dataclass(frozen=True)
class Accuracy:
    """What every algorithm of one name promises, whatever the op."""
    name: str
    trust: int
    tolerance: MappingProxyType  # dtype name -> (limit, reason)


_declared: dict[str, Accuracy] = {}
_holders: dict[str, int] = {}  # name -> algorithms (and standing declarations) that hold it


def declare(name: str, tolerance: dict | None = None, trust: int | None = None) -> Accuracy:
    """The accuracy of the algorithms called ``name``, held until ``release(name)``.

    With ``tolerance`` ({dtype: (limit, reason)} for float32 and float64) and ``trust``
    it is declared (or checked against an earlier declaration); without either, the
    standing declaration is taken up.
    """
    if tolerance is None and trust is None:
        if name not in _declared:
            raise ValueError(
                f"algorithm {name!r} has no declared accuracy: give it tolerance="
                f"{{'float32': (limit, reason), 'float64': (limit, reason)}} and trust=<rank>")
        accuracy = _declared[name]
    else:
        stated = _checked(name, tolerance, trust)
        accuracy = _declared.setdefault(name, stated)
        if accuracy != stated:
            raise ValueError(f"algorithm {name!r}: tolerance {dict(stated.tolerance)} and trust "
                             f"{stated.trust} differ from the earlier declaration: tolerance "
                             f"{dict(accuracy.tolerance)}, trust {accuracy.trust}")
    _holders[name] = _holders.get(name, 0) + 1
    return accuracy


def release(name: str) -> None:
    """One holder of ``name``'s accuracy is gone; the last one takes the declaration along."""
    _holders[name] -= 1
    if not _holders[name]:
        del _holders[name], _declared[name]


def _checked(name, tolerance, trust) -> Accuracy:
    if not isinstance(trust, Integral) or isinstance(trust, bool):
        raise TypeError(f"algorithm {name!r}: trust must be an int (lower is more trusted), "
                        f"got {trust!r}")
    if not isinstance(tolerance, dict):
        raise TypeError(f"algorithm {name!r}: tolerance must be a dict "
                        f"{{dtype: (limit, reason)}}, got {tolerance!r}")
    limits = {np.dtype(k).name: v for k, v in tolerance.items()}
    if sorted(limits) != sorted(DTYPES):
        raise ValueError(f"algorithm {name!r}: tolerance must give {' and '.join(DTYPES)}, "
                         f"got {sorted(limits)}")
    for dtype, entry in limits.items():
        ok = isinstance(entry, tuple) and len(entry) == 2
        limit, reason = entry if ok else (None, None)
        if not (ok and isinstance(limit, Real) and 0 < limit < 1 and isinstance(reason, str)
                and reason.strip()):
            raise ValueError(f"algorithm {name!r}: tolerance[{dtype!r}] must be (limit in (0, 1), "
                             f"reason), got {entry!r}")
        limits[dtype] = (float(limit), reason)
    return Accuracy(name, int(trust), MappingProxyType(dict(sorted(limits.items()))))


def tolerance(algo: str, dtype) -> float:
    """The largest relative error ``algo`` may make in ``dtype``."""
    return _accuracy(algo).tolerance[np.dtype(dtype).name][0]


def trust(algo: str) -> int:
    """``algo``'s trust rank: lower is plainer arithmetic, believed first."""
    return _accuracy(algo).trust


def table() -> dict:
    """{(algorithm, dtype): (limit, reason)} for every declared algorithm name."""
    return {(name, dtype): entry for name, a in sorted(_declared.items())
            for dtype, entry in a.tolerance.items()}


def _accuracy(algo: str) -> Accuracy:
    try:
        return _declared[algo]
    except KeyError:
        raise KeyError(f"no accuracy is declared for algorithm {algo!r}") from None


def rel_err(out, ref) -> float:
    """max |out - ref| / max |ref| over the reference's finite elements; inf unless every NaN
    and infinity of the reference is matched exactly (NaN where it has NaN, the same signed
    infinity where it has one) and ``out`` is finite wherever the reference is."""
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    if out.shape != ref.shape:
        raise ValueError(f"shape {out.shape} differs from the reference's {ref.shape}")
    if out.size == 0:
        return 0.0
    finite = np.isfinite(ref)
    if not finite.all():
        nan = np.isnan(ref)
        inf = ~finite & ~nan
        if not (np.isnan(out[nan]).all() and np.array_equal(out[inf], ref[inf])):
            return float("inf")
        out, ref = out[finite], ref[finite]
        if out.size == 0:
            return 0.0
    diff = np.abs(out - ref).max()
    if not np.isfinite(diff):
        return float("inf")
    scale = np.abs(ref).max()
    return float(diff / scale) if scale > 0 else float(diff)


# ---- the names every op family uses, declared once for all of them ---------------------
_FLOAT64 = (1e-9, "float64 rounding only")
declare("naive", trust=0, tolerance={
    "float32": (1e-4, "float32 rounding of sums over C*R*S terms"), "float64": _FLOAT64})
declare("numpy", trust=10, tolerance={
    "float32": (1e-4, "float32 rounding; summation order of vectorised reductions"),
    "float64": _FLOAT64})
declare("im2col", trust=20, tolerance={
    "float32": (1e-4, "float32 GEMM; BLAS blocks the sums"), "float64": (1e-9, "float64 GEMM")})
declare("numba", trust=30, tolerance={
    "float32": (1e-4, "float32 sums; fastmath contract/reassoc reorder them (FMA, vectorised "
                      "reductions), which does not grow the error bound"),
    "float64": (1e-9, "float64; same reordering as float32")})
declare("cuda", trust=40, tolerance={
    "float32": (1e-4, "float32 sums in thread order, atomics in any order"),
    "float64": (1e-9, "float64; atomics in any order")})
declare("fft", trust=50, tolerance={
    "float32": (1e-5, "FFT round-off grows like log(n) * eps times the spectrum's dynamic "
                      "range: a few 1e-7 here up to 256 channels (harness/accuracy_fast.py); "
                      "for finite inputs only: a NaN or infinity spreads over its whole tile"),
    "float64": (1e-9, "float64 FFT round-off (finite inputs: a NaN or infinity spreads over "
                      "its whole tile)")})
