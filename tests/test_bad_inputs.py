"""Bad input, registry-wide: every bad call declared in tests/cases (``refuses``) and every one
derived from an op's declaration (``derived``) is refused by every available algorithm, by
algo="auto" and by the backward, with the declared error whose message names the argument,
before any algorithm runs; ``supports`` says False without raising, and ``output_shape`` and
``cost`` raise the same error.  A new op or algorithm is covered with no new test code."""
import inspect
import re
import warnings

import numpy as np
import pytest

import kernels
from kernels._registry import ALGORITHMS
from tests.cases import BAD, CASES, NOT_DTYPES, Bad, derived, load_bad

load_bad()
DERIVED = {op_name: derived(op_name) for op_name in kernels.ops()}


def _params():
    for op_name in kernels.ops():
        for bad in BAD.get(op_name, []):
            yield pytest.param(op_name, bad, id=f"{op_name}-{bad.id}")
        for bad in DERIVED[op_name]:
            yield pytest.param(op_name, bad, id=f"{op_name}-derived-{bad.id}")


@pytest.fixture(scope="module")
def entered():
    """Every registered algorithm's forward and backward replaced by a sentinel that records
    its call (algo="auto" swallows a candidate's exception, so raising alone would not do)."""
    calls = []

    def sentinel(algo, direction):
        def run(*args):
            calls.append(f"{algo.name} {direction}")
            raise AssertionError(f"{algo.name} {direction} ran on a bad input")
        return run

    with pytest.MonkeyPatch.context() as mp:
        for algos in ALGORITHMS.values():
            for algo in algos.values():
                mp.setattr(algo, "_forward", sentinel(algo, "forward"))
                mp.setattr(algo, "_backward", sentinel(algo, "backward"))
        yield calls


@pytest.fixture
def no_algorithm_runs(entered):
    entered.clear()
    yield
    assert not entered, f"an algorithm ran before the bad input was refused: {entered}"


def refused(bad: Bad, what: str, call):
    """``call()`` raises ``bad.error`` with a message naming ``bad.names`` and matching ``bad.match``."""
    with pytest.raises(Exception) as info:
        call()
    e, msg = info.value, str(info.value)
    assert isinstance(e, bad.error), f"{what}: raised {type(e).__name__}({msg}), not {bad.error.__name__}"
    named = re.search(rf"\b{re.escape(bad.names)}\b", msg)
    assert named, f"{what}: the message does not name {bad.names!r}: {msg}"
    assert re.search(bad.match, msg), f"{what}: the message does not match {bad.match!r}: {msg}"


def good_grad_out(op, bad: Bad):
    """A grad_out of the good case's output shape: the backward must refuse the bad inputs
    themselves, not a mismatched gradient."""
    case = bad.base(op.name)
    shape = op.output_shape(**op.named(case.shapes), **case.params)
    return np.random.default_rng(1).standard_normal(shape)


@pytest.mark.usefixtures("no_algorithm_runs")
@pytest.mark.parametrize("op_name,bad", list(_params()))
def test_bad_input_is_refused_before_any_algorithm_runs(op_name, bad):
    op = kernels.OPS[op_name]
    call = bad.call_args(op, np.random.default_rng(0))
    algos = [call.pop("algo")] if "algo" in call else [*op.algos(), "auto"]
    gy = good_grad_out(op, bad)
    for algo in algos:
        refused(bad, f"{op_name}(algo={algo!r})", lambda algo=algo: op(**call, algo=algo))
        refused(bad, f"{op_name}.backward(algo={algo!r})", lambda algo=algo: op.backward(gy, **call, algo=algo))

    shapes = bad.shape_args(op)
    if bad.by_shape:
        for algo in [*op.algos(), "auto"]:
            assert op.supports(algo, **shapes) is False, f"{op_name}.supports({algo!r}) of a bad case"
        refused(bad, f"{op_name}.output_shape", lambda: op.output_shape(**shapes))
        refused(bad, f"{op_name}.cost", lambda: op.cost(**shapes))
    elif "algo" in shapes:
        assert op.supports(shapes.pop("algo"), **shapes) is False
    elif set(bad.dtypes) == {op.inputs[0].name} and bad.dtypes[op.inputs[0].name] not in NOT_DTYPES:
        dtype = np.dtype(bad.dtypes[op.inputs[0].name])   # the first input sets the dtype
        for algo in [*op.algos(), "auto"]:
            assert op.supports(algo, **shapes, dtype=dtype) is False, f"{op_name}.supports({algo!r}, {dtype})"


# ---- what no Bad describes: the gradient and the positional binding --------------------
def _first_call(op_name):
    op, case = kernels.OPS[op_name], CASES[op_name][0]
    arrays = case.arrays(np.random.default_rng(0), np.float64, op)
    return op, case, arrays


@pytest.mark.usefixtures("no_algorithm_runs")
@pytest.mark.parametrize("op_name", kernels.ops())
def test_bad_grad_out_is_refused(op_name):
    op, case, arrays = _first_call(op_name)
    shape = op.output_shape(**op.named(case.shapes), **case.params)
    rng = np.random.default_rng(1)
    bad_grads = [
        (ValueError, rng.standard_normal(shape[:-1] + (shape[-1] + 1,))),
        (ValueError, rng.standard_normal((2, *shape))),
        (TypeError, rng.standard_normal(shape).astype(np.float32)),
        (TypeError, rng.standard_normal(shape).tolist()),
        (TypeError, None),
    ]
    for algo in [*op.algos(), "auto"]:
        for error, gy in bad_grads:
            bad = Bad("grad_out", error, "grad_out")
            refused(bad, f"{op_name}.backward(algo={algo!r}) with grad_out {np.shape(gy)}",
                    lambda gy=gy, algo=algo: op.backward(gy, **op.named(arrays), **case.params, algo=algo))


@pytest.mark.usefixtures("no_algorithm_runs")
@pytest.mark.parametrize("op_name", kernels.ops())
def test_binding_errors_are_named(op_name):
    """Too many positional arguments, and an argument given both by position and by name."""
    op, case, arrays = _first_call(op_name)
    first = op.inputs[0].name
    n = len(inspect.signature(op).parameters)
    with pytest.raises(TypeError, match="too many positional arguments"):
        op(*[arrays[0]] * (n + 1))
    with pytest.raises(TypeError, match=f"multiple values for argument '{first}'"):
        op(arrays[0], **op.named(arrays), **case.params)
    assert op.supports("auto", *[case.shapes[0]] * (n + 1)) is False


# ---- the declarations themselves ----------------------------------------------------------
@pytest.mark.parametrize("op_name", kernels.ops())
def test_every_op_declares_its_own_bad_inputs(op_name):
    """Beyond the derived ones: what this op's parameters and shapes make wrong."""
    assert BAD.get(op_name), f"{op_name}: declare its bad inputs with refuses() in tests/cases"


@pytest.mark.parametrize("op_name", kernels.ops())
def test_declarations_are_well_formed(op_name):
    """A typo in a declaration would make a refusal for the wrong reason look right: every
    name a Bad uses is the op's (an unknown keyword only as the refused argument itself),
    every id is unique, every Bad changes its good case, and that case is accepted."""
    op = kernels.OPS[op_name]
    inputs = {i.name for i in op.inputs}
    arguments = set(inspect.signature(op).parameters) | {"algo"}
    bads = BAD.get(op_name, []) + DERIVED[op_name]
    ids = [b.id for b in BAD.get(op_name, [])] + [f"derived-{b.id}" for b in DERIVED[op_name]]
    assert len(ids) == len(set(ids)), f"{op_name}: duplicate bad-input ids"
    for bad in bads:
        assert bad.error in (ValueError, TypeError), bad
        assert set(bad.shapes) | set(bad.dtypes) | set(bad.fill) <= inputs, bad
        unknown = set(bad.params) - arguments
        assert not unknown or (bad.error is TypeError and unknown == {bad.names}), bad
        assert bad.names in arguments | unknown, f"{bad}: names no argument of {op_name}"
        assert bad.shapes or bad.params or bad.dtypes or bad.fill, f"{bad} changes nothing"
        case = bad.base(op_name)
        op.plan_for(case.shapes, np.float64, case.params)   # the good case is good


# ---- torch ----------------------------------------------------------------------------------
def _torch_refuses(op_name, bad):
    import torch
    import torch.nn.functional as F
    op = kernels.OPS[op_name]
    call = bad.call_args(op, np.random.default_rng(0))
    call.pop("seed", None)   # ours only: a reproducible dropout mask
    call = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(F, op_name)(**call)
    except Exception:
        return True
    return False


def _recorded():
    for op_name in kernels.ops():
        for bad in BAD.get(op_name, []):
            if bad.torch is not None:
                yield pytest.param(op_name, bad, id=f"{op_name}-{bad.id}")


@pytest.mark.parametrize("op_name,bad", list(_recorded()))
def test_torch_refuses_what_is_recorded(op_name, bad):
    """The optional ``torch`` field says whether torch.nn.functional refuses the call too."""
    import torch.nn.functional as F
    assert hasattr(F, op_name), f"{op_name} has no torch.nn.functional twin to refuse {bad.id}"
    assert _torch_refuses(op_name, bad) is bad.torch
