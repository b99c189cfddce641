"""Where the ops deliberately differ from torch because torch is wrong or inconsistent: each
difference names the family document that says so (``test_spaces`` checks that it does),
recognises the calls it concerns and gives what the ops compute instead.  ``oracle.verdict``
applies them, so the parity test asserts the documented behaviour: such a case is no known
failure, and a change that stops computing the documented value fails.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Difference:
    name: str
    doc: str            # the document that describes it ...
    says: str           # ... in a passage holding this text
    applies: Callable   # (op, arrays, params, verdict) -> bool
    expected: Callable  # (op, arrays, params, verdict) -> verdict


def _main(out):
    return out[0] if isinstance(out, tuple) else out


def _zero_grads(op, arrays):
    return tuple(None if a is None or spec.index or not spec.differentiable else np.zeros(np.shape(a))
                 for spec, a in zip(op.inputs, arrays))


def _empty_backward(op, arrays, params, v):
    """torch's forward gives an empty output but its backward raises (adaptive pooling to an
    empty size, pixel shuffles of empty input)."""
    return v.error is None and v.grad_error is not None and np.size(_main(v.out)) == 0


def _zero_gradients(op, arrays, params, v):
    return replace(v, grads=_zero_grads(op, arrays), grad_error=None)


def _empty_unshuffle(op, arrays, params, v):
    return op.name == "pixel_unshuffle" and v.error is None and np.size(arrays[0]) == 0


def _shuffled_shape(op, arrays, params, v):
    out = np.zeros(op.output_shape(np.shape(arrays[0]), **params))
    return replace(v, out=out, grads=_zero_grads(op, arrays), grad_error=None,
                   gy=np.zeros(out.shape))


KINK_AT_NAN = {"relu6": 0.0, "hardswish": np.nan}   # the vectorised loop's derivative at NaN


def _nan_kink(op, arrays, params, v):
    return op.name in KINK_AT_NAN and v.error is None and v.grads and np.isnan(arrays[0]).any()


def _vectorised_derivative(op, arrays, params, v):
    at = np.isnan(arrays[0])
    grad = np.array(v.grads[0], copy=True)
    grad[at] = KINK_AT_NAN[op.name]
    return replace(v, grads=(grad,))


DIFFERENCES = (
    Difference("empty output, torch's backward raises", "docs/parity-and-fuzz.md",
               "the gradient of an empty output is zero", _empty_backward, _zero_gradients),
    Difference("pixel_unshuffle of an empty input", "docs/resample.md",
               "of an empty input returns the input unchanged in torch", _empty_unshuffle, _shuffled_shape),
    Difference("relu6 and hardswish derivatives at NaN", "docs/norm.md",
               "torch's own derivative of relu6 and hardswish at NaN", _nan_kink, _vectorised_derivative),
)


@dataclass(frozen=True)
class Refusal:
    """A call torch computes wrongly or unsafely, which the ops refuse: torch is not called."""
    name: str
    doc: str
    says: str
    applies: Callable   # (op, arrays, params) -> bool


def _ints(v, nd):
    return tuple(v) * (nd if len(v) == 1 else 1) if isinstance(v, (tuple, list)) else (v,) * nd


def _window_in_padding(op, arrays, params):
    """Some max-pool window holds no input element (its taps all fall in the padding)."""
    if not op.name.startswith("max_pool"):
        return False
    nd = int(op.name[-2])
    try:
        size = np.shape(arrays[0])[-nd:]
        kernel = _ints(params["kernel_size"], nd)
        stride = _ints(params.get("stride") or params["kernel_size"], nd)
        padding = _ints(params.get("padding", 0), nd)
        dilation = _ints(params.get("dilation", 1), nd)
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
            span = n + 2 * p - d * (k - 1) - 1
            out = (-(-span // s) if params.get("ceil_mode") else span // s) + 1
            if params.get("ceil_mode") and (out - 1) * s >= n + p:
                out -= 1
            for o in range(max(out, 0)):
                if not any(0 <= o * s - p + j * d < n for j in range(k)):
                    return True
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError):
        return False
    return False


REFUSALS = (
    Refusal("max-pool window in the padding", "docs/pooling.md", "lying entirely in the padding",
            _window_in_padding),
)


def refusal(op, arrays, params) -> str | None:
    """Why the ops refuse a call that torch computes wrongly, if they do."""
    for r in REFUSALS:
        if r.applies(op, arrays, params):
            return f"refused on purpose: {r.name} ({r.doc})"
    return None


def apply(op, arrays, params, v):
    """torch's verdict, or what the ops compute instead where a documented difference applies."""
    for d in DIFFERENCES:
        if d.applies(op, arrays, params, v):
            v = d.expected(op, arrays, params, v)
    return v
