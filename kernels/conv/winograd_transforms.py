"""Winograd minimal-filtering matrices F(m, r), generated from interpolation points.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016,
arXiv:1509.09308), write the 1D minimal filtering algorithm F(m, r) as

    Y = A^T [ (G g) * (B^T d) ]          (g: r taps, d: n = m + r - 1 inputs, Y: m outputs)

and nest it for 2D: Y = A^T [ (G g G^T) * (B^T d B) ] A.  The matrices come from the
Cook-Toom algorithm, built here as in Lavin's ``wincnn`` (github.com/andravin/wincnn):

* The linear convolution s = g (*) x of r taps with m values has n = m + r - 1
  coefficients.  Evaluate the polynomials at n - 1 finite points a_k and at infinity
  (the leading coefficient): s(a_k) = g(a_k) x(a_k).  Lagrange interpolation recovers s:

      s(t) = s_inf * M(t) + sum_k s(a_k) * M_k(t) / f_k,
      M(t) = prod_j (t - a_j),  M_k(t) = prod_{j != k} (t - a_j),  f_k = prod_{j != k} (a_k - a_j).

  So  s = C [ (V_r g) * (V_m x) ]  with V_q[k, j] = a_k^j (last row e_{q-1} for infinity)
  and C's columns the coefficients of M_k / f_k and of M.
* Correlation (what a CNN layer computes) is the transpose of that convolution
  (Winograd's transposition principle): Y = V_m^T [ (V_r g) * (C^T d) ].  Hence
  A^T = V_m^T, G = V_r and B^T = C^T.  The 1/f_k factors are moved from B^T into G
  ("fractions in G", as wincnn does by default), which leaves B^T with small integers
  for integer points.

Everything is computed in exact rational arithmetic (fractions.Fraction); ``matrices``
rounds to floating point once at the end.
"""
from __future__ import annotations

from fractions import Fraction
from functools import cache
from math import prod

import numpy as np

# Interpolation points per output tile size m (r = 3): n - 1 = m + 1 finite points plus
# infinity.  Small magnitudes keep the transforms' dynamic range, and so the float error,
# low: 0, +-1 (F2); then +-2 (F4); then +-1/2 (F6), as in Lavin & Gray and NNPACK.
POINTS = {
    2: (0, 1, -1),
    4: (0, 1, -1, 2, -2),
    6: (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2)),
}


def _poly_mul_linear(coeffs, a):
    """coefficients (increasing powers) of p(t) * (t - a)."""
    out = [Fraction(0)] * (len(coeffs) + 1)
    for i, c in enumerate(coeffs):
        out[i + 1] += c
        out[i] -= a * c
    return out


def _poly_from_roots(roots):
    p = [Fraction(1)]
    for a in roots:
        p = _poly_mul_linear(p, a)
    return p


@cache
def cook_toom(m: int, r: int, points: tuple | None = None):
    """Exact (A^T, G, B^T) of F(m, r) as nested lists of Fractions.

    A^T is m x n, G is n x r, B^T is n x n with n = m + r - 1; ``points`` are the n - 1
    finite interpolation points (default ``POINTS[m]``), infinity is always the last.
    """
    n = m + r - 1
    pts = tuple(Fraction(a) for a in (POINTS[m] if points is None else points))
    if len(pts) != n - 1 or len(set(pts)) != n - 1:
        raise ValueError(f"F({m}, {r}) needs {n - 1} distinct finite points, got {points}")
    f = [prod(a - b for b in pts if b != a) for a in pts]
    AT = [[a ** i for a in pts] + [Fraction(int(i == m - 1))] for i in range(m)]
    G = [[a ** j / fk for j in range(r)] for a, fk in zip(pts, f)]
    G.append([Fraction(int(j == r - 1)) for j in range(r)])
    BT = [_poly_from_roots([b for b in pts if b != a]) + [Fraction(0)] for a in pts]
    BT.append(_poly_from_roots(pts))
    return AT, G, BT


@cache
def _float_matrices(m: int, r: int):
    return tuple(np.array([[float(v) for v in row] for row in mat]) for mat in cook_toom(m, r))


def matrices(m: int, r: int, dtype=np.float64):
    """(A^T, G, B^T) of F(m, r) as C-contiguous arrays of ``dtype``."""
    return tuple(np.ascontiguousarray(a, dtype) for a in _float_matrices(m, r))


def correlate_exact(g, d, m: int, r: int):
    """F(m, r) applied to exact values: A^T [ (G g) * (B^T d) ] (lists of Fractions)."""
    AT, G, BT = cook_toom(m, r)
    n = m + r - 1
    u = [sum(G[k][j] * g[j] for j in range(r)) for k in range(n)]
    v = [sum(BT[k][l] * d[l] for l in range(n)) for k in range(n)]
    return [sum(AT[i][k] * u[k] * v[k] for k in range(n)) for i in range(m)]
