"""The one checker every registry-wide test uses (after tinygrad's helper_test_op)."""
import numpy as np

import kernels
import reference
from kernels import SLOW_MACS
from kernels._arrays import poison
from kernels.tolerances import SEED, rel_err, tolerance


def runnable(cases):
    """(op name, algorithm, case) for every registry case an available algorithm takes: not
    excluded by the case, supported, and within SLOW_MACS for a plain-loop algorithm."""
    for op_name in sorted(cases):
        op = kernels.OPS[op_name]
        for algo, a in sorted(op.registered().items()):
            if not a.available():
                continue
            for case in cases[op_name]:
                shapes = op.named(case.shapes)
                if algo in case.exclude or not op.supports(algo, **shapes, **case.params):
                    continue
                if a.slow and op.cost(**shapes, **case.params)["macs"] > SLOW_MACS:
                    continue
                yield op_name, algo, case


def layout(a, how):
    """The same values as a Fortran-ordered array, a strided view or a read-only array."""
    if a is None or how == "C":
        return a
    if how == "F":
        return np.asfortranarray(a)
    if how == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    big = np.empty(tuple(2 * d for d in a.shape), a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def copies(arrays):
    return [None if a is None else a.copy() for a in arrays]


def check_op(op_name, algo, case, dtype, how="C", tol=None):
    """Forward and every gradient of ``algo`` against torch float64, outputs NaN-poisoned,
    within ``tol`` (default: the algorithm's tolerance), the op's inputs laid out ``how``
    (an input the op updates in place stays writeable)."""
    op = kernels.OPS[op_name]
    rng = np.random.default_rng(SEED)
    arrays = case.arrays(rng, dtype, op)
    tol = tolerance(algo, dtype) if tol is None else tol
    hows = ["C" if how == "readonly" and i.name in op.writes else how for i in op.inputs]

    def laid_out():
        return op.named([layout(a, h) for a, h in zip(copies(arrays), hows)])

    with poison():
        out = op(**laid_out(), algo=algo, **case.params)
    ref = reference.forward(op_name, *copies(arrays), **case.params)
    _compare(f"{op_name}[{algo}] forward", out, ref, tol, dtype)

    main = ref[0] if isinstance(ref, tuple) else ref
    gy = rng.standard_normal(main.shape).astype(dtype)
    with poison():
        grads = op.backward(layout(gy, how), **laid_out(), algo=algo, **case.params)
    ref_grads = reference.grad(op_name, gy, *copies(arrays), **case.params)
    check_grads(f"{op_name}[{algo}]", op, grads, ref_grads,
                lambda what, g, r: _compare(what, g, r, tol, dtype))


def check_grads(what, op, grads, refs, compare):
    """One gradient per input of op: None where the reference's is None, the others checked
    by compare(what, got, ref)."""
    assert len(grads) == len(op.inputs), f"{what}: backward returned {len(grads)} gradients"
    for spec, got, ref in zip(op.inputs, grads, refs):
        if ref is None:
            assert got is None, f"{what}: gradient of {spec.name} should be None"
        else:
            compare(f"{what} grad {spec.name}", got, ref)


def _compare(what, out, ref, tol, dtype):
    if isinstance(ref, tuple):
        assert isinstance(out, tuple) and len(out) == len(ref), f"{what}: expected {len(ref)} outputs"
        for o, r in zip(out, ref):
            _compare(what, o, r, tol, dtype)
        return
    assert isinstance(out, np.ndarray), f"{what}: returned {type(out).__name__}, not an array"
    assert out.shape == ref.shape, f"{what}: shape {out.shape}, torch gives {ref.shape}"
    if np.issubdtype(ref.dtype, np.floating):
        assert out.dtype == dtype, f"{what}: dtype {out.dtype}, expected {np.dtype(dtype)}"
        err = rel_err(out, ref)
        assert err < tol, f"{what}: relative error {err:.3g} >= {tol:g} ({np.dtype(dtype)})"
    else:
        assert np.array_equal(out, ref), f"{what}: integer output differs from torch"
