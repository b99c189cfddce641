"""The op objects and the algorithm registry.

An op (``kernels.conv2d``) validates and normalises its arguments into a *plan* once,
then hands the plan to the algorithm asked for.  Algorithms register themselves by
declaration, one file each::

    einsum = Algorithm("einsum", ops=("conv2d",), trust=25, tolerance={
        "float32": (1e-4, "float32 sums in einsum's order"),
        "float64": (1e-9, "float64 rounding only")})

    @einsum.forward
    def forward(x, w, b, p): ...

    @einsum.backward
    def backward(gy, x, w, b, p): ...

The declaration carries everything the rest of the library needs: the ops, the accuracy
limits with their reasons and the trust rank (``kernels.tolerances`` derives its table
from them; the names every family uses, such as ``numba``, are declared there once).
Adding an algorithm therefore never edits this file, the op, the tolerances or the tests.
"""
from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kernels import _arrays, tolerances

OPS: dict[str, Op] = {}
ALGORITHMS: dict[str, dict[str, Algorithm]] = {}  # op name -> algo name -> Algorithm
REQUIRED = inspect.Parameter.empty  # a parameter with no default, such as kernel_size
SLOW_MACS = 60_000  # tests and the harness run slow algorithms on cases this small only


@dataclass(frozen=True)
class Input:
    """One array argument of an op.  ``index=True`` marks an integer array (pooling
    indices): it is passed as contiguous int64 and has no gradient."""
    name: str
    optional: bool = False
    differentiable: bool = True
    index: bool = False


class Staged:
    """A plan whose calls take a step around every algorithm: what the caller passes is not
    what the algorithms take (an input without its batch axis, a padding mode that pads
    before a convolution).  ``inner`` is the plan the algorithms see; the methods map the
    caller's arrays to theirs and their results back.  ``Algorithm`` applies them in
    ``run_forward``, ``run_backward`` and ``why_not``, so algorithms, ``supports`` and
    ``auto`` see ``inner`` only and no algorithm knows about the step.

    Subclasses are frozen dataclasses with the field ``inner`` and ``out_shape`` (the
    caller's) and implement the four maps.
    """
    inner: Any

    @property
    def dtype(self) -> np.dtype:
        return self.inner.dtype

    def enter(self, arrays) -> list:
        """The caller's arrays (in ``inputs`` order) as the algorithms take them."""
        raise NotImplementedError

    def leave(self, out):
        """An algorithm's output as the caller gets it."""
        raise NotImplementedError

    def enter_grad(self, grad_out):
        """The caller's grad_out as the algorithms take it."""
        raise NotImplementedError

    def leave_grads(self, grads) -> tuple:
        """An algorithm's gradients (one per input) as the caller gets them."""
        raise NotImplementedError


def core(plan):
    """The plan the algorithms see: ``plan.inner`` for a staged plan, else the plan."""
    return plan.inner if isinstance(plan, Staged) else plan


class Algorithm:
    """One algorithm for one or more ops: a forward, a backward and what it supports.

    ``name`` is any identifier but ``auto``; one name may serve several ops, and several
    op families (every family has a ``numba``).  ``tolerance`` ({dtype: (limit, reason)}
    for float32 and float64) and ``trust`` (lower is plainer arithmetic, believed first)
    declare the name's accuracy (see ``kernels.tolerances``); names declared there or by an
    earlier algorithm omit them.  ``supports(plan)`` returns None when the case is
    supported, else a short reason.  ``slow=True`` marks plain loops: tests and the harness
    use them on cases of at most ``SLOW_MACS`` multiply-adds only.  ``available()`` says
    whether the algorithm can run on this machine (CUDA needs a GPU or the simulator).
    ``device=True`` marks an algorithm that also takes arrays in GPU memory
    (``__cuda_array_interface__``) and then returns device arrays.

    For ``algo="auto"`` (``kernels._auto``), two optional declarations prune the candidates
    before anything is compiled or timed: ``estimate(plan)`` models the forward's work in
    the op's direct multiply-adds (those of ``Op.cost``) at the speed of a blocked GEMM, for
    an algorithm whose work differs from the direct method's (FFT, Winograd); an algorithm
    without one is taken to do the direct method's work.  ``variant_of`` names the method
    of which this algorithm is one setting (``"winograd"`` for the tile sizes F(2), F(4),
    F(6)): ``auto`` times only the variant with the least estimate.
    """

    def __init__(self, name: str, ops: tuple[str, ...], slow: bool = False,
                 available: Callable[[], bool] | None = None, doc: str = "",
                 device: bool = False, *, tolerance: dict | None = None,
                 trust: int | None = None, variant_of: str | None = None):
        if not (isinstance(name, str) and name.isidentifier()) or keyword.iskeyword(name) \
                or name == "auto":
            raise ValueError(f"algorithm name must be an identifier other than 'auto', got {name!r}")
        ops = tuple(ops)
        for op in ops:
            if name in ALGORITHMS.get(op, {}):
                raise ValueError(f"algorithm {name!r} registered twice for op {op!r}")
        self.accuracy = tolerances.declare(name, tolerance, trust)
        self.name, self.ops, self.slow, self.doc = name, ops, slow, doc
        self.device, self.variant_of = device, variant_of
        self._available = available or (lambda: True)
        self._forward = self._backward = None
        self._supports: Callable[[Any], str | None] = lambda plan: None
        self._estimate: Callable[[Any], float] | None = None
        self.phases: dict[str, float] = {}  # filled by algorithms that time their phases
        self._held = True
        for op in ops:
            ALGORITHMS.setdefault(op, {})[name] = self

    def unregister(self) -> None:
        """Take this algorithm out of every op's table (and its accuracy declaration out of
        the tolerance table, unless another algorithm of its name holds it): for algorithms
        made at run time, by tests and tools.  Calling it again does nothing."""
        for op in self.ops:
            if ALGORITHMS.get(op, {}).get(self.name) is self:
                del ALGORITHMS[op][self.name]
        if self._held:
            self._held = False
            tolerances.release(self.name)

    def forward(self, fn):
        self._forward = fn
        return fn

    def backward(self, fn):
        self._backward = fn
        return fn

    def supports(self, fn):
        self._supports = fn
        return fn

    def estimate(self, fn):
        self._estimate = fn
        return fn

    def estimate_of(self, plan) -> float | None:
        """The declared model of the forward's work on this plan, in direct multiply-adds
        (None when the algorithm declares none: it does the direct method's work)."""
        return None if self._estimate is None else float(self._estimate(core(plan)))

    def available(self) -> bool:
        return bool(self._available())

    def why_not(self, plan) -> str | None:
        """None if this algorithm computes the case, else the reason it does not."""
        if not self.available():
            return f"{self.name} is not available on this machine"
        return self._supports(core(plan))

    def run_forward(self, arrays, plan):
        if isinstance(plan, Staged):
            return plan.leave(self._forward(*plan.enter(arrays), plan.inner))
        return self._forward(*arrays, plan)

    def run_backward(self, grad_out, arrays, plan):
        if self._backward is None:
            raise NotImplementedError(f"{self.name} has no backward")
        if isinstance(plan, Staged):
            grads = self._backward(plan.enter_grad(grad_out), *plan.enter(arrays), plan.inner)
            return plan.leave_grads(grads)
        return self._backward(grad_out, *arrays, plan)


class Op:
    """A callable operation named and parametrised like its torch.nn.functional twin.

    Subclasses declare ``inputs`` (array arguments), ``defaults`` (the other parameters,
    with torch's defaults or REQUIRED) and, where torch interleaves them (``layer_norm(input,
    normalized_shape, weight, ...)``, ``deform_conv2d(..., dilation, mask)``), ``order``: every
    argument name in torch's order.  They implement ``plan``: validate the shapes and
    parameters, return a hashable plan with at least ``out_shape`` and ``dtype``;
    ``cost_of(plan)`` returns params, macs, flops and bytes.

    Algorithms, tests and the harness always see the arrays in ``inputs`` order; callers
    that hold such a list pass it by name with ``op(**op.named(arrays), ...)``.
    """

    inputs: tuple[Input, ...] = ()
    defaults: dict[str, Any] = {}
    order: tuple[str, ...] | None = None
    writes: tuple[str, ...] = ()  # inputs the forward updates in place (running statistics)
    keyword_only: tuple[str, ...] = ()  # trailing parameters torch takes by keyword only
    empty_shortcut = True         # an empty output is returned without running an algorithm

    def __init__(self, name: str, doc: str = ""):
        self.name = self.__name__ = name
        self.__doc__ = doc or self.__doc__
        if name in OPS:
            raise ValueError(f"op {name!r} defined twice")
        OPS[name] = self
        defaults = {i.name: None if i.optional else REQUIRED for i in self.inputs} | self.defaults
        order = self.order or tuple(defaults)
        if sorted(order) != sorted(defaults):
            raise ValueError(f"op {name!r}: order {order} must name every input and parameter")
        if tuple(order[len(order) - len(self.keyword_only):]) != tuple(self.keyword_only):
            raise ValueError(f"op {name!r}: keyword-only {self.keyword_only} must end the order")
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY if k in self.keyword_only
                               else inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[k])
             for k in order])
        self._positional = len(order) - len(self.keyword_only)
        self._order, self._defaults = order, defaults
        self._input_names = tuple(i.name for i in self.inputs)
        self._plans: dict = {}

    def plan_for(self, shapes, dtype, params: dict):
        """The plan for shapes given in ``inputs`` order (what tools hold), dtype and params."""
        return self._plan_from_shapes((), dtype, {**self.named(shapes), **params})

    def named(self, arrays) -> dict:
        """{input name: array} for arrays listed in ``inputs`` order."""
        return {i.name: a for i, a in zip(self.inputs, arrays)}

    # ---- to be provided by each op family -------------------------------------------
    def plan(self, shapes: tuple, dtype: np.dtype, params: dict):
        raise NotImplementedError

    def cost_of(self, plan) -> dict:
        raise NotImplementedError

    def make_inputs(self, shapes: tuple, params: dict, rng) -> list:
        """Valid random float64 inputs for these shapes (None where a shape is None).

        Zero-mean standard normals by default; ops whose inputs must satisfy more (pooling
        indices, positive variances, probabilities) override this.  Tests and the harness
        both draw their inputs here.
        """
        return [None if s is None else rng.standard_normal(s) for s in shapes]

    # ---- the public interface --------------------------------------------------------
    def __call__(self, *args, algo: str = "auto", **kwargs):
        originals, params = self._bind(args, kwargs)
        arrays, dtype = _arrays.check_inputs(self.name, self.inputs, originals, self._device(algo))
        plan = self._cached_plan(_shapes(arrays), dtype, params)
        writes = self.writes if self.writes and self.updates(plan) else ()
        for spec, orig in zip(self.inputs, originals):
            if spec.name in writes and orig is not None:
                _arrays.check_writeable(self.name, spec.name, orig)
        if self.empty_shortcut and _empty(plan.out_shape):
            self._check_name(algo)
            return self.empty_result(plan)
        out = self.resolve(algo, plan, "forward", _shapes(arrays), params).run_forward(arrays, plan)
        # the checks hand algorithms contiguous copies of views and Fortran-ordered arrays:
        # what an algorithm updated in place must reach the caller's array
        for spec, orig, a in zip(self.inputs, originals, arrays):
            if spec.name in writes and orig is not None and a is not orig:
                orig[...] = a
        return out

    def backward(self, grad_out, *args, algo: str = "auto", **kwargs):
        """Gradients of every array input, in order (None where absent or not differentiable)."""
        arrays, params = self._bind(args, kwargs)
        device = self._device(algo)
        arrays, dtype = _arrays.check_inputs(self.name, self.inputs, arrays, device)
        plan = self._cached_plan(_shapes(arrays), dtype, params)
        grad_out = _arrays.check_grad(self.name, grad_out, plan.out_shape, dtype, device)
        if self.empty_shortcut and _empty(plan.out_shape):
            self._check_name(algo)
            grads = self.empty_gradients(plan, arrays)
        else:
            chosen = self.resolve(algo, plan, "backward", _shapes(arrays), params)
            grads = chosen.run_backward(grad_out, arrays, plan)
        return tuple(None if (a is None or not i.differentiable or i.index) else g
                     for a, i, g in zip(arrays, self.inputs, grads))

    def updates(self, plan) -> bool:
        """Whether a forward call with this plan updates the ``writes`` inputs (checked
        first to be writeable NumPy arrays)."""
        return True

    def outputs(self, plan) -> list[tuple[tuple, np.dtype]]:
        """(shape, dtype) of each output: the result, and with ``return_indices`` its int64
        indices.  Tools that allocate without computing (the torch bridge's shape-only
        implementations for torch.compile) read it; an op with other outputs overrides it."""
        out = [(tuple(plan.out_shape), np.dtype(plan.dtype))]
        if getattr(plan, "return_indices", False):
            out.append((tuple(plan.out_shape), np.dtype(np.int64)))
        return out

    def empty_result(self, plan):
        """The output when it has no element (N=0, ...): computed here, so algorithms never
        see an empty output.  An op whose empty call still has an effect (running
        statistics) sets ``empty_shortcut`` to False and lets its algorithms handle it."""
        outs = tuple(_arrays.empty(shape, dtype) for shape, dtype in self.outputs(plan))
        return outs if len(outs) > 1 else outs[0]

    def empty_gradients(self, plan, arrays) -> list:
        """The gradients when the output has no element: zeros, unless an op's torch twin
        gives something else (NaN from a statistic over no element)."""
        return [None if a is None else np.zeros(a.shape, plan.dtype) for a in arrays]

    def algos(self) -> list[str]:
        """The algorithms implemented for this op and runnable on this machine."""
        return [n for n, a in self.registered().items() if a.available()]

    def registered(self) -> dict[str, Algorithm]:
        return dict(ALGORITHMS.get(self.name, {}))

    def supports(self, algo: str, *shapes, dtype=np.float32, **params) -> bool:
        """Whether ``algo`` computes this case; never raises for a bad case."""
        try:
            plan = self._plan_from_shapes(shapes, dtype, params)
        except (ValueError, TypeError):
            return False
        if algo == "auto":
            return bool(self.candidates(plan))
        a = ALGORITHMS.get(self.name, {}).get(algo)
        return a is not None and a.why_not(plan) is None

    def why_not(self, algo: str, plan) -> str | None:
        a = ALGORITHMS.get(self.name, {}).get(algo)
        if a is None:
            return f"{algo!r} is not implemented for {self.name}"
        return a.why_not(plan)

    def output_shape(self, *shapes, **params) -> tuple:
        out = self._plan_from_shapes(shapes, np.float64, params).out_shape
        return out

    def cost(self, *shapes, dtype=np.float32, **params) -> dict:
        return self.cost_of(self._plan_from_shapes(shapes, dtype, params))

    def choose(self, *shapes, dtype=np.float32, direction: str = "forward", **params) -> str:
        """The algorithm that ``algo="auto"`` uses for this case (timed once, then cached)."""
        from kernels import _auto
        arrays, kw = self._bind(shapes, params)
        return _auto.choose(self, self._plan_from_shapes(shapes, dtype, params), direction,
                            tuple(None if s is None else tuple(int(d) for d in s) for s in arrays), kw)

    def candidates(self, plan) -> list[str]:
        return [n for n, a in ALGORITHMS.get(self.name, {}).items() if a.why_not(plan) is None]

    def resolve(self, algo: str, plan, direction: str, shapes=None, params=None) -> Algorithm:
        """The algorithm to run; ``shapes`` and ``params`` let auto draw inputs to time."""
        self._check_name(algo)
        if algo == "auto":
            from kernels import _auto
            algo = _auto.choose(self, plan, direction, shapes, params)
        registered = ALGORITHMS.get(self.name, {})
        reason = registered[algo].why_not(plan)
        if reason is not None:
            raise ValueError(f"{self.name}: algo={algo!r} does not support this case: {reason}")
        return registered[algo]

    def __repr__(self):
        return f"<op {self.name}{self.__signature__}>"

    # ---- helpers ----------------------------------------------------------------------
    def _check_name(self, algo) -> None:
        """``algo`` is "auto" or the name of an algorithm registered for this op."""
        if not isinstance(algo, str):
            raise TypeError(f"{self.name}: algo must be a string, got {type(algo).__name__}")
        registered = ALGORITHMS.get(self.name, {})
        if algo != "auto" and algo not in registered:
            raise ValueError(f"{self.name}: algo must be one of {['auto', *registered]}, "
                             f"got {algo!r}")

    def _bind(self, args, kwargs):
        """(input arrays in ``inputs`` order, {parameter: value}) as Signature.bind would
        give them, with the same errors, in a few microseconds rather than tens: small
        ops (depthwise layers, activations) take well under a millisecond."""
        order, defaults = self._order, self._defaults
        if len(args) > self._positional:
            raise TypeError(f"{self.name}: too many positional arguments")
        bound = dict(zip(order, args))
        for k, v in kwargs.items():
            if k in bound:
                raise TypeError(f"{self.name}: multiple values for argument {k!r}")
            if k not in defaults:
                raise TypeError(f"{self.name}: got an unexpected keyword argument {k!r}")
            bound[k] = v
        for k in order:
            if k not in bound:
                if defaults[k] is REQUIRED:
                    raise TypeError(f"{self.name}: missing a required argument: {k!r}")
                bound[k] = defaults[k]
        names = self._input_names
        return [bound[n] for n in names], {k: bound[k] for k in order if k not in names}

    def _cached_plan(self, shapes, dtype, params):
        """``plan`` memoised on its arguments: a plan is a pure function of shapes, dtype
        and parameters, and building one (validation included) costs tens of microseconds.
        Failures are not stored, so a bad call raises every time."""
        try:
            key = (shapes, dtype, _typed(params))
            hash(key)
        except TypeError:                     # an unhashable parameter (a list): no caching
            return self.plan(shapes, dtype, params)
        plan = self._plans.get(key)
        if plan is None:
            plan = self.plan(shapes, dtype, params)
            if len(self._plans) >= 512:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def _device(self, algo) -> bool:
        """Whether the algorithm asked for by name takes device arrays ("auto" does not)."""
        a = ALGORITHMS.get(self.name, {}).get(algo) if isinstance(algo, str) else None
        return a is not None and a.device

    def _plan_from_shapes(self, shapes, dtype, params):
        """Shapes bind like the arrays they stand for (positionally in torch's order)."""
        arrays, params = self._bind(shapes, params)
        for i, s in zip(self.inputs, arrays):
            if s is not None and not (isinstance(s, tuple) and all(isinstance(d, (int, np.integer)) for d in s)):
                raise TypeError(f"{self.name}: shape of {i.name} must be a tuple of ints, got {s!r}")
            if s is None and not i.optional:
                raise TypeError(f"{self.name}: missing the shape of {i.name}")
        return self.plan(tuple(None if s is None else tuple(int(d) for d in s) for s in arrays),
                         _arrays.check_dtype(self.name, dtype), params)


def _typed(v):
    """A key that tells 1 from True and 1.0 (equal, and equally hashed, in Python), so a
    value the plan refuses never finds the plan of an accepted one."""
    if isinstance(v, dict):
        return tuple((k, _typed(x)) for k, x in v.items())
    if isinstance(v, (tuple, list)):
        return (type(v), tuple(_typed(x) for x in v))
    return (type(v), v)


def _empty(shape) -> bool:
    return any(d == 0 for d in shape)


def _shapes(arrays):
    return tuple(None if a is None else tuple(a.shape) for a in arrays)


def ops() -> list[str]:
    """Every op name."""
    return sorted(OPS)
