"""The raw-pointer Numba helpers and their checked twins (kernels._numba_util and the
Winograd kernel's ltransform): the twins compute exactly what the raw intrinsics compute,
refuse every out-of-range access, and replace them under NUMBA_BOUNDSCHECK=1, in a cache
directory of their own."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba import carray, njit

from kernels import _numba_util as nu
from kernels.conv import winograd_kernel as wk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS, WIDTH = 3, 8
TILE = ROWS * WIDTH


def fma_rows_call(helper):
    @njit
    def run(acc0, x, xoff, xstep, w, woff):
        accp = nu.stack_empty(TILE, x.dtype)
        acc = carray(accp, TILE)
        acc[:] = acc0
        helper(accp, ROWS, x, xoff, xstep, w, woff, WIDTH)
        return acc.copy()
    return run


def fma_rows_gather_call(helper):
    @njit
    def run(acc0, x, xoff, offsets, w, woff):
        accp = nu.stack_empty(TILE, x.dtype)
        acc = carray(accp, TILE)
        acc[:] = acc0
        offp = nu.stack_empty(ROWS, np.int64)
        carray(offp, ROWS)[:] = offsets
        helper(accp, ROWS, x, xoff, offp, w, woff, WIDTH)
        return acc.copy()
    return run


def fma_scalar_rows_call(helper):
    @njit
    def run(acc0, a, x, xoff, xstep):
        accp = nu.stack_empty(TILE, x.dtype)
        acc = carray(accp, TILE)
        acc[:] = acc0
        helper(accp, ROWS, a, x, xoff, xstep, WIDTH)
        return acc.copy()
    return run


def store_rows_call(helper):
    @njit
    def run(acc0, y, yoff, ystep):
        accp = nu.stack_empty(TILE, y.dtype)
        carray(accp, TILE)[:] = acc0
        helper(accp, ROWS, y, yoff, ystep, WIDTH)
    return run


def deinterleave_vec_call(helper):
    @njit
    def run(src, soff, even, eoff, odd, ooff):
        helper(src, soff, even, eoff, odd, ooff, WIDTH)
    return run


def stream_affine_call(helper):
    @njit
    def run(y, yoff, x, xoff, scale, shift):
        helper(y, yoff, x, xoff, scale, shift, WIDTH)
    return run


def ltransform_call(helper, m, which):
    tag = (0,) * m  # F(m, 3): the tag's length is m

    @njit
    def run(dst, doff, dstep, src, soff, sstep):
        helper(dst, doff, dstep, src, soff, sstep, tag, which, WIDTH)
    return run


RNG = np.random.default_rng(5)


def _data(dtype, n):
    return RNG.standard_normal(n).astype(dtype)


def aligned(n, dtype):
    """A 1-D array whose element 0 is aligned to WIDTH elements (for stream_affine)."""
    item = np.dtype(dtype).itemsize
    raw = np.empty(n + 2 * WIDTH, dtype)
    skip = (-raw.ctypes.data // item) % WIDTH
    return raw[skip:skip + n]


DTYPES = (np.float32, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fma_rows_twins_agree_exactly(dtype):
    acc0, x, w = _data(dtype, TILE), _data(dtype, 40), _data(dtype, 30)
    for xstep in (1, 5):
        a = fma_rows_call(nu.fma_rows_raw)(acc0, x, 2, xstep, w, 7)
        b = fma_rows_call(nu.fma_rows_checked)(acc0, x, 2, xstep, w, 7)
        assert a.tobytes() == b.tobytes()
    offs = np.array([0, 9, 4])
    a = fma_rows_gather_call(nu.fma_rows_gather_raw)(acc0, x, 3, offs, w, 5)
    b = fma_rows_gather_call(nu.fma_rows_gather_checked)(acc0, x, 3, offs, w, 5)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_stencil_twins_agree_exactly(dtype):
    acc0, x = _data(dtype, TILE), _data(dtype, 60)
    for a_ in (0.37, dtype(-1.25)):  # a float64 weight is rounded to the data's type
        r = fma_scalar_rows_call(nu.fma_scalar_rows_raw)(acc0, a_, x, 3, 17)
        c = fma_scalar_rows_call(nu.fma_scalar_rows_checked)(acc0, a_, x, 3, 17)
        assert r.tobytes() == c.tobytes()
    ys = [np.full(50, np.nan, dtype) for _ in range(2)]
    store_rows_call(nu.store_rows_raw)(acc0, ys[0], 4, 13)
    store_rows_call(nu.store_rows_checked)(acc0, ys[1], 4, 13)
    assert ys[0].tobytes() == ys[1].tobytes()
    src = _data(dtype, 40)
    outs = [[np.full(20, np.nan, dtype) for _ in range(2)] for _ in range(2)]
    deinterleave_vec_call(nu.deinterleave_vec_raw)(src, 3, outs[0][0], 2, outs[0][1], 5)
    deinterleave_vec_call(nu.deinterleave_vec_checked)(src, 3, outs[1][0], 2, outs[1][1], 5)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(*outs))


@pytest.mark.parametrize("dtype", DTYPES)
def test_stream_affine_twins_agree_exactly(dtype):
    x = _data(dtype, 40)
    ys = [aligned(3 * WIDTH, dtype) for _ in range(2)]
    for y in ys:
        y[...] = np.nan
    stream_affine_call(nu.stream_affine_raw)(ys[0], WIDTH, x, 5, 1.7, -0.3)
    stream_affine_call(nu.stream_affine_checked)(ys[1], WIDTH, x, 5, 1.7, -0.3)
    assert ys[0].tobytes() == ys[1].tobytes()


@pytest.mark.parametrize("m", (1, 2, 4, 6))
@pytest.mark.parametrize("which", (0, 1, 2))
@pytest.mark.parametrize("dtype", DTYPES)
def test_ltransform_twins_agree_exactly(dtype, which, m):
    src = _data(dtype, 12 * WIDTH)
    n = 1 if m == 1 else m + 2
    rows = (n, m, n)[which]  # B^T is n x n, A^T m x n, G n x 3: rows written
    dsts = [np.full(rows * WIDTH + 3, np.nan, dtype) for _ in range(2)]
    for helper, dst in zip((wk.ltransform_raw, wk.ltransform_checked), dsts):
        ltransform_call(helper, m, which)(dst, 3, WIDTH, src, 1, WIDTH)
    assert dsts[0].tobytes() == dsts[1].tobytes()


OUT_OF_RANGE = {  # name: the call, one index past either end
    "fma_rows past the end of w": lambda: fma_rows_call(nu.fma_rows_checked)(
        np.zeros(TILE), np.ones(10), 0, 1, np.ones(8), 1),
    "fma_rows before x": lambda: fma_rows_call(nu.fma_rows_checked)(
        np.zeros(TILE), np.ones(10), -1, 1, np.ones(8), 0),
    "fma_rows_gather past x": lambda: fma_rows_gather_call(nu.fma_rows_gather_checked)(
        np.zeros(TILE), np.ones(10), 0, np.array([0, 1, 10]), np.ones(8), 0),
    "fma_scalar_rows past x": lambda: fma_scalar_rows_call(nu.fma_scalar_rows_checked)(
        np.zeros(TILE), 1.0, np.ones(20), 0, 7),
    "store_rows past y": lambda: store_rows_call(nu.store_rows_checked)(
        np.zeros(TILE), np.ones(23), 0, 8),
    "store_rows before y": lambda: store_rows_call(nu.store_rows_checked)(
        np.zeros(TILE), np.ones(30), -2, 8),
    "deinterleave_vec past src": lambda: deinterleave_vec_call(nu.deinterleave_vec_checked)(
        np.ones(16), 1, np.ones(8), 0, np.ones(8), 0),
    "deinterleave_vec past odd": lambda: deinterleave_vec_call(nu.deinterleave_vec_checked)(
        np.ones(16), 0, np.ones(8), 0, np.ones(8), 1),
    "stream_affine past x": lambda: stream_affine_call(nu.stream_affine_checked)(
        aligned(WIDTH, np.float64), 0, np.ones(10), 3, 1.0, 0.0),
    "stream_affine past y": lambda: stream_affine_call(nu.stream_affine_checked)(
        aligned(2 * WIDTH - 1, np.float64), WIDTH, np.ones(10), 0, 1.0, 0.0),
    "ltransform past src": lambda: ltransform_call(wk.ltransform_checked, 2, 0)(
        np.ones(40), 0, WIDTH, np.ones(3 * WIDTH), 0, WIDTH),
    "ltransform before dst": lambda: ltransform_call(wk.ltransform_checked, 2, 1)(
        np.ones(40), -1, WIDTH, np.ones(4 * WIDTH), 0, WIDTH),
}


@pytest.mark.parametrize("what", sorted(OUT_OF_RANGE))
def test_the_checked_twins_refuse_out_of_range_indices(what):
    with pytest.raises(IndexError):
        OUT_OF_RANGE[what]()


def test_the_checked_twins_refuse_what_the_raw_ones_would_misread():
    with pytest.raises(ValueError, match="not contiguous"):
        fma_rows_call(nu.fma_rows_checked)(np.zeros(TILE), np.ones(40)[::2], 0, 1, np.ones(8), 0)
    with pytest.raises(ValueError, match="aligned"):
        stream_affine_call(nu.stream_affine_checked)(aligned(3 * WIDTH, np.float64), 1, np.ones(20), 0, 1.0, 0.0)


def test_without_bounds_checking_the_kernels_use_the_raw_helpers():
    if nu.BOUNDSCHECK:
        pytest.fail("run this test without NUMBA_BOUNDSCHECK")  # the CI step sets it itself
    assert nu.fma_rows is nu.fma_rows_raw and nu.stream_affine is nu.stream_affine_raw
    assert wk.ltransform is wk.ltransform_raw


def _run(code, **env):
    env = {**os.environ, "PYTHONPATH": ROOT, **env}
    env.pop("NUMBA_CACHE_DIR", None) if env.get("NUMBA_CACHE_DIR") == "" else None
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_under_boundscheck_the_twins_replace_the_raw_helpers_and_check(tmp_path):
    """In a fresh process with NUMBA_BOUNDSCHECK=1: the public names are the checked twins,
    and an out-of-range access through one of them raises IndexError."""
    r = _run("""
        import numpy as np
        from numba import carray, njit
        from kernels import _numba_util as nu
        from kernels.conv import winograd_kernel as wk
        names = ("fma_rows", "fma_rows_gather", "fma_scalar_rows", "store_rows",
                 "deinterleave_vec", "stream_affine")
        assert all(getattr(nu, n) is getattr(nu, n + "_checked") for n in names)
        assert wk.ltransform is wk.ltransform_checked

        @njit
        def store(y, yoff):
            accp = nu.stack_empty(8, y.dtype)
            carray(accp, 8)[:] = 1.0
            nu.store_rows(accp, 2, y, yoff, 4, 4)
        y = np.zeros(8)
        store(y, 0)
        assert (y == 1).all()
        try:
            store(y, 1)
        except IndexError:
            print("IndexError")
        """, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "IndexError"


CACHE_PROBE = """
    import os
    from numba.core import config
    import kernels
    print(config.CACHE_DIR)
"""


def test_under_boundscheck_the_cache_is_kept_apart(tmp_path):
    r = _run(CACHE_PROBE, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "numba" / "boundscheck")
    r = _run(CACHE_PROBE, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR="",
             CONVBENCH_CACHE_DIR=str(tmp_path / "convbench"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "convbench" / "numba-boundscheck")
    r = _run(CACHE_PROBE, NUMBA_BOUNDSCHECK="0", NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    assert r.stdout.strip() == str(tmp_path / "numba")  # unchecked: Numba's own choice


def test_a_cache_compiled_without_bounds_checking_is_not_reused_with_it(tmp_path):
    """A function cached by an unchecked run in NUMBA_CACHE_DIR is compiled again (checked)
    by a bounds-checked run that imported kernels first."""
    (tmp_path / "probe_mod.py").write_text(textwrap.dedent("""
        from numba import njit

        @njit(cache=True)
        def read(a, i):
            return a[i]
        """))
    code = f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np
        import kernels
        from probe_mod import read
        try:
            read(np.zeros(4), 10 ** 6)
            print("unchecked")
        except IndexError:
            print("IndexError")
        """
    cache = str(tmp_path / "cache")
    first = _run(code, NUMBA_BOUNDSCHECK="0", NUMBA_CACHE_DIR=cache)
    assert first.stdout.strip() == "unchecked", first.stderr
    second = _run(code, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=cache)
    assert second.stdout.strip() == "IndexError", second.stderr


def test_the_bounds_checked_run_takes_every_numba_algorithm_of_every_op_once():
    """``make test-boundscheck``'s selection (tests/boundscheck_registry.py): each ``numba``
    and ``winograd*`` algorithm of every op on its first supported registry case, float32,
    and nothing else, so a new Numba algorithm is bounds-checked with no new code."""
    import kernels
    from tests import boundscheck_registry as bc
    chosen = [(op, algo) for op, algo, _, _ in bc.selection()]
    assert {dt for *_, dt in bc.selection()} == {np.float32}
    want = [(name, algo) for name in sorted(bc.load()) for algo in sorted(kernels.OPS[name].registered())
            if algo == "numba" or algo.startswith("winograd")]
    assert sorted(chosen) == sorted(want)
    assert ("conv2d", "winograd_f4") in chosen and ("batch_norm", "numba") in chosen
