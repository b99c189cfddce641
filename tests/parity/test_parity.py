"""Torch parity over the whole argument space of every op (issue 14).

Each op's space (tests/parity/spaces/) is drawn into cases (tests/parity/space.py); for each
case torch is called first, in float64 (tests/parity/oracle.py):

- where torch refuses, every algorithm and ``algo="auto"`` refuse: ``supports`` says False,
  ``output_shape`` and the forward and backward calls raise ValueError or TypeError whose
  message names one of the op's arguments;
- where torch computes, every algorithm that supports the case gives its output, every
  gradient and every input it writes (in-place ops, running statistics): NaN and
  infinities where torch has them, the rest within the algorithm's tolerance; and
  ``algo="auto"`` computes too, giving what the algorithm it chose gives.
  Algorithms that cannot place NaN and infinities as torch does by their nature (whole-plane
  transforms, differently grouped sums: ``compare.rule``) are held to what they give instead.

Where torch is wrong and the ops differ on purpose (tests/parity/differences.py, each
documented), the test asserts the documented behaviour.

Known differences are listed, one line of reason each, in tests/parity/known_failures.py
(strict: a fixed case fails there until its line is removed).  ``CONVBENCH_PARITY=full``
runs every pair of values and more random cases.
"""
import re

import numpy as np
import pytest

import kernels
from kernels import SLOW_MACS
from kernels._arrays import poison
from tests.helpers import check_grads
from tests.parity import oracle
from tests.parity.compare import compare, floor, rule
from tests.parity.known_failures import KNOWN_FAILURES
from tests.parity.space import cases, load

SPACES = load()
F64 = np.float64


def _generated():
    return {op: cases(kernels.OPS[op], sp) for op, sp in SPACES.items() if op in kernels.OPS}


GENERATED = _generated()


def _algos(op, g, accepted):
    if not accepted:
        return [*op.algos(), "auto"]
    out = []
    for algo in op.algos():
        if not op.supports(algo, **op.named(g.shapes), dtype=F64, **g.params):
            continue
        if op.registered()[algo].slow and op.cost(**op.named(g.shapes), **g.params)["macs"] > SLOW_MACS:
            continue
        out.append(algo)
    return out + ["auto"]


def _items():
    for op_name, generated in GENERATED.items():
        op = kernels.OPS[op_name]
        for g in generated:
            _, v = oracle.for_case(g)
            for algo in _algos(op, g, v.error is None):
                key = f"{g.id}-{algo}"
                marks = ()
                if key in KNOWN_FAILURES:
                    marks = pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[key])
                yield pytest.param(g, algo, id=key, marks=marks)


ITEMS = list(_items())


@pytest.mark.parametrize("g,algo", ITEMS)
def test_parity(g, algo):
    op = kernels.OPS[g.op]
    arrays, v = oracle.for_case(g)
    what = f"{g.op}[{algo}] {g.describe()}"
    if v.error is not None:
        refuses(op, g, algo, arrays, what, v.error)
    else:
        computes(op, g, algo, arrays, v, what)


def names_an_argument(op, message: str) -> bool:
    import inspect
    return any(re.search(rf"\b{re.escape(p)}\b", message) for p in inspect.signature(op).parameters)


def refuses(op, g, algo, arrays, what, torch_error):
    shapes = op.named(g.shapes)
    # indices out of range are refused by their values, which supports() does not see
    by_values = any(i.index for i in op.inputs) and _plans(op, shapes, g.params)
    assert by_values or op.supports(algo, **shapes, dtype=F64, **g.params) is False, \
        f"{what}: supports() says True; torch refuses ({torch_error})"
    calls = [("forward", lambda: op(**op.named(arrays), algo=algo, **g.params)),
             ("backward", lambda: op.backward(np.zeros(1), **op.named(arrays), algo=algo, **g.params))]
    if algo == "auto" and not by_values:
        calls.append(("output_shape", lambda: op.output_shape(**shapes, **g.params)))
    for direction, call in calls:
        try:
            call()
        except (ValueError, TypeError) as e:
            assert names_an_argument(op, str(e)), \
                f"{what}: {direction} raised {type(e).__name__} naming no argument: {e}"
            continue
        except Exception as e:
            pytest.fail(f"{what}: {direction} raised {type(e).__name__}: {e} (torch refuses: {torch_error})")
        pytest.fail(f"{what}: {direction} computes; torch refuses ({torch_error})")


def _plans(op, shapes, params) -> bool:
    try:
        op.output_shape(**shapes, **params)
    except (ValueError, TypeError):
        return False
    return True


def _chosen(op, g, direction):
    return op.choose(**op.named(g.shapes), dtype=F64, direction=direction, **g.params)


def computes(op, g, algo, arrays, v, what):
    """``algo`` gives torch's output, writes and gradients; "auto" gives those of the
    algorithm it chose (whose own items hold it to torch: auto's choice depends on timing,
    so comparing auto with torch directly would make a failing candidate fail at random)."""
    out, after = _forward(op, g, algo, arrays, what)
    lowest = floor(g.params)   # the least scale errors are measured against (compare.floor)
    if algo == "auto":
        chosen = _chosen(op, g, "forward")
        ref, ref_after = _forward(op, g, chosen, arrays, f"{what} (chose {chosen})")
        what, how = f"{what} (chose {chosen})", None
        writes = {k: a for k, a in ref_after.items() if a is not None}
    else:
        chosen, ref, writes, how = algo, v.out, v.writes or {}, rule(op.name, algo, arrays)
    compare(f"{what} forward", out, ref, chosen, how, floor=lowest)
    main = out[0] if isinstance(out, tuple) else out
    for spec, a in zip(op.inputs, arrays):
        if a is None or spec.index:
            continue
        wrote = writes.get(spec.name)
        if algo == "auto":
            compare(f"{what} {spec.name} after the call", after[spec.name], wrote, chosen, floor=lowest)
        elif wrote is None:
            assert np.array_equal(after[spec.name], a, equal_nan=True), \
                f"{what}: wrote into {spec.name}; torch does not"
        elif isinstance(wrote, str):
            assert np.array_equal(after[spec.name], main, equal_nan=True), \
                f"{what}: {spec.name} does not hold the output after the in-place call, as in torch"
        else:
            compare(f"{what} {spec.name} after the call", after[spec.name], wrote, chosen, floor=lowest)

    if v.grad_error is not None:
        pytest.fail(f"{what}: torch's backward raises ({v.grad_error}); no gradient to compare with")
    grads = _backward(op, g, algo, arrays, v.gy, what)
    if algo == "auto":
        chosen = _chosen(op, g, "backward")
        refs = _backward(op, g, chosen, arrays, v.gy, f"{what} (chose {chosen})")
    else:
        refs = v.grads
    check_grads(what, op, grads, refs,
                lambda what, got, ref: compare(what, got, ref, chosen, how, floor=lowest))


def _forward(op, g, algo, arrays, what):
    """The output, and every input as the call left it."""
    named = op.named([None if a is None else a.copy() for a in arrays])
    try:
        with poison():
            out = op(**named, algo=algo, **g.params)
    except Exception as e:
        pytest.fail(f"{what}: forward raised {type(e).__name__}: {e}; torch computes")
    return out, named


def _backward(op, g, algo, arrays, gy, what):
    named = op.named([None if a is None else a.copy() for a in arrays])
    try:
        with poison():
            return op.backward(gy.copy(), **named, algo=algo, **g.params)
    except Exception as e:
        pytest.fail(f"{what}: backward raised {type(e).__name__}: {e}; torch computes")
