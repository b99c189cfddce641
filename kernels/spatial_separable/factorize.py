"""Rank-1 factorisation of 2D kernels: the col and row filters of a spatially separable one.

By the SVD w = U diag(s) V^T, the best rank-1 fit in the Frobenius norm (Eckart-Young) is
s0 * u0 v0^T, and its relative error is sqrt(s1^2 + s2^2 + ...) / sqrt(s0^2 + s1^2 + ...).
A kernel is separable exactly when that error is 0 (Sobel: [1, 2, 1]^T (x) [1, 0, -1]).
"""
import numpy as np


def factorize_separable(w):
    """col, row, rel_err of the rank-1 fit of every 2D kernel in w (..., R, S).

    Returns col (..., R) and row (..., S) with outer(col, row) the best rank-1 fit (the
    singular value split evenly between them, col's largest entry positive), and rel_err
    (...) = ||w - outer(col, row)||_F / ||w||_F (0 for an all-zero kernel).  For a conv
    weight (K, C, R, S) the factors are the ``col`` and ``row`` of
    ``kernels.spatially_separable_conv2d``.
    """
    if not isinstance(w, np.ndarray):
        raise TypeError(f"factorize_separable: w must be a NumPy array, got {type(w).__name__}")
    if w.ndim < 2 or min(w.shape[-2:], default=0) < 1:
        raise ValueError(f"factorize_separable: w must have shape (..., R, S) with R, S >= 1, "
                         f"got {w.shape}")
    if not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)):
        raise TypeError(f"factorize_separable: w must be a real array, got {w.dtype}")
    dtype = w.dtype if w.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    u, s, vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
    root = np.sqrt(s[..., :1])
    col, row = u[..., :, 0] * root, vt[..., 0, :] * root
    top = np.take_along_axis(col, np.abs(col).argmax(axis=-1)[..., None], axis=-1)
    sign = np.where(top < 0, -1.0, 1.0)
    total = np.sqrt((s ** 2).sum(axis=-1))
    rest = np.sqrt((s[..., 1:] ** 2).sum(axis=-1))
    rel_err = np.divide(rest, total, out=np.zeros_like(total), where=total > 0)
    return (col * sign).astype(dtype), (row * sign).astype(dtype), rel_err
