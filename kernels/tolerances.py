"""The one table of accuracy limits, keyed by algorithm and dtype.

Error is relative to the reference's scale: max |out - ref| / max |ref|, against torch in
float64 on zero-mean random inputs.  Tests, the harness's ``inaccurate`` status and
``algo="auto"`` all read this table.
"""
import numpy as np

# (algo, dtype) -> (limit, reason)
TOLERANCES = {
    ("naive", "float32"): (1e-4, "float32 rounding of sums over C*R*S terms"),
    ("naive", "float64"): (1e-9, "float64 rounding only"),
    ("numpy", "float32"): (1e-4, "float32 rounding; summation order of vectorised reductions"),
    ("numpy", "float64"): (1e-9, "float64 rounding only"),
    ("im2col", "float32"): (1e-4, "float32 GEMM; BLAS blocks the sums"),
    ("im2col", "float64"): (1e-9, "float64 GEMM"),
    ("numba", "float32"): (1e-4, "float32 sums; fastmath contract/reassoc reorder them (FMA, "
                                 "vectorised reductions), which does not grow the error bound"),
    ("numba", "float64"): (1e-9, "float64; same reordering as float32"),
    ("cuda", "float32"): (1e-4, "float32 sums in thread order, atomics in any order"),
    ("cuda", "float64"): (1e-9, "float64; atomics in any order"),
    ("fft", "float32"): (1e-4, "FFT round-off grows like log(n) * eps times the spectrum's "
                               "dynamic range; the per-case limit is looser than the 64-channel "
                               "accuracy benchmark's 1e-5 because tiny cases have a small max |ref|"),
    ("fft", "float64"): (1e-9, "float64 FFT round-off"),
    ("winograd_f2", "float32"): (1e-4, "F(2x2,3x3): transforms with entries 0, +-1, +-1/2"),
    ("winograd_f2", "float64"): (1e-9, "float64 rounding"),
    ("winograd_f4", "float32"): (1e-4, "F(4x4,3x3): points 0, +-1, +-2 amplify error ~10x"),
    ("winograd_f4", "float64"): (1e-9, "float64 rounding, amplified ~10x by the transforms"),
    ("winograd_f6", "float32"): (1e-3, "F(6x6,3x3): points up to +-1/2, +-2, +-3 amplify error "
                                       "~100x (Lavin & Gray 2015; NNPACK uses 1e-3)"),
    ("winograd_f6", "float64"): (1e-9, "float64 rounding, amplified ~100x by the transforms"),
}
TOLERANCES[("winograd", "float32")] = TOLERANCES[("winograd_f4", "float32")]
TOLERANCES[("winograd", "float64")] = TOLERANCES[("winograd_f4", "float64")]


def tolerance(algo: str, dtype) -> float:
    return TOLERANCES[(algo, np.dtype(dtype).name)][0]


def rel_err(out, ref) -> float:
    """max |out - ref| / max |ref|  (NaN anywhere gives inf)."""
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    if out.shape != ref.shape:
        raise ValueError(f"shape {out.shape} differs from the reference's {ref.shape}")
    if out.size == 0:
        return 0.0
    diff = np.abs(out - ref).max()
    if not np.isfinite(diff):
        return float("inf")
    scale = np.abs(ref).max()
    return float(diff / scale) if scale > 0 else float(diff)
