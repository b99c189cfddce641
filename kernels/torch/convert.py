"""``convert(model)``: a torch model whose layers run on kernels, and a report of what changed.

    from kernels.torch import nn as knn
    model = knn.convert(torchvision.models.resnet18(), algo="auto")
    print(model.kernels_report)          # each module, what it became, or why it stayed

Two passes over the model (a deep copy unless ``inplace=True``):

1. **Modules.**  Every module whose *exact* type has a twin in ``kernels.torch.nn`` is
   replaced by it.  A twin subclasses its torch type and keeps its state, so the new
   module takes over the old one's attributes as they are: the same parameter and buffer
   tensors (dtype and device kept, an optimiser built on them stays valid), hooks,
   ``training`` flag and state-dict keys.  A twin's *route* may pick a special op: a
   Conv2d with one input channel per group becomes ``DepthwiseConv2d``, a plain 1x1 one
   ``PointwiseConv2d``.  Subclasses are never matched (torchvision's ``LayerNorm2d``
   subclasses ``nn.LayerNorm`` but normalises channels; it has its own twin).
2. **Functional calls.**  The ``forward`` of every module that is not torch's own (a
   torchvision block, the model itself) is traced with ``torch.fx``, its children as
   leaves; calls of ``torch.nn.functional`` (and ``torch.relu``/``sigmoid``/``tanh``,
   ``x.relu()``...) whose op kernels has are redirected to ``kernels.torch``, e.g.
   mobilenet_v2's final ``F.adaptive_avg_pool2d``.  The rewritten code replaces that
   module instance's ``forward``; its class stays.  A forward that fx cannot trace keeps
   its calls in torch, and the report says so.

Nothing falls back silently: what stays in torch is in the report with the reason (no twin,
op not registered, algorithm not implemented for that op, dtype or device kernels does
not compute, fx could not trace...).

``algo`` is one algorithm name for every layer (a layer whose op lacks it stays in torch,
with that reason), or a mapping from a torch module type (the class or its name, e.g.
``"Conv2d"``) or an op name (``"depthwise_conv2d"``) to an algorithm; ``"default"`` (else
``"auto"``) for the rest.  The op name wins over the type, so
``{"Conv2d": "winograd", "depthwise_conv2d": "fft"}`` gives the depthwise convolutions
FFT and the others Winograd.

The twins are declared by ``kernels.torch.nn`` (``declare`` beside each class), which
exports ``convert``: use it from there.
"""
from __future__ import annotations

import copy
import operator
import types
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import fx, nn

import kernels
from kernels.torch._function import bridge  # not the package kernels.torch: it imports nn lazily

FLOAT_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class Twin:
    """What a torch module becomes: a kernels module class and the op its forward runs."""
    cls: type
    op: str


# qualified torch type name -> route(module) -> Twin, or the reason (str) to leave it in torch
ROUTES: dict[str, Callable] = {}


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def declare(torch_type, route: Callable) -> None:
    """``convert`` replaces modules of exactly ``torch_type`` (a class, or its qualified name
    for types of packages kernels does not import, e.g. torchvision's) by ``route(module)``:
    a ``Twin``, or a string saying why this module stays in torch."""
    ROUTES[torch_type if isinstance(torch_type, str) else type_name(torch_type)] = route


# ---- the report --------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One module or functional call of the model: what it became, or why it stayed."""
    kind: str                 # "module" or "call"
    path: str                 # module name in the model ("" for the model itself)
    source: str               # torch type name, or the function called ("F.relu")
    became: str | None = None  # kernels class or function; None: left in torch
    op: str | None = None
    algo: str | None = None
    reason: str = ""

    @property
    def converted(self) -> bool:
        return self.became is not None


@dataclass
class ConversionReport:
    entries: list = field(default_factory=list)

    def modules(self, converted: bool | None = None) -> list[Entry]:
        return [e for e in self.entries if e.kind == "module"
                and (converted is None or e.converted == converted)]

    def calls(self, converted: bool | None = None) -> list[Entry]:
        return [e for e in self.entries if e.kind == "call"
                and (converted is None or e.converted == converted)]

    def summary(self) -> str:
        return (f"{len(self.modules(True))} of {len(self.modules())} modules and "
                f"{len(self.calls(True))} of {len(self.calls())} functional calls run on kernels")

    def __str__(self) -> str:
        lines = [f"kernels.torch.nn.convert: {self.summary()}"]
        rows = [(e.path or "(model)", e.source, e.became, e.op, e.algo) for e in self.modules(True)]
        if rows:
            lines += ["", "Converted modules:", *_table(("module", "torch", "kernels", "op", "algo"), rows)]
        rows = [(e.path or "(model)", e.source, e.reason) for e in self.modules(False)]
        if rows:
            lines += ["", "Modules left in torch:", *_table(("module", "torch", "why"), rows)]
        rows = [(e.path or "(model)", e.source, e.became, e.algo) for e in self.calls(True)]
        if rows:
            lines += ["", "Functional calls now on kernels:",
                      *_table(("in forward of", "call", "kernels", "algo"), rows)]
        stayed: dict = {}
        for e in self.calls(False):
            stayed.setdefault((e.source, e.reason), []).append(e.path or "(model)")
        if stayed:
            rows = [(src, len(paths), _some(paths), why) for (src, why), paths in stayed.items()]
            lines += ["", "Functional calls left in torch:",
                      *_table(("call", "count", "in forward of", "why"), rows)]
        return "\n".join(lines)

    __repr__ = summary


def _some(paths, n=3) -> str:
    unique = list(dict.fromkeys(paths))
    return ", ".join(unique[:n]) + (f", ... ({len(unique)} modules)" if len(unique) > n else "")


def _table(header, rows) -> list[str]:
    rows = [tuple("" if v is None else str(v) for v in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt = "  " + "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]


# ---- arguments ---------------------------------------------------------------------------
def _check_algo(algo) -> None:
    if isinstance(algo, str):
        return
    if not isinstance(algo, dict):
        raise TypeError(f"convert: algo must be a string or a dict from module type or op name "
                        f"to algorithm, got {type(algo).__name__}")
    short = {k.rsplit(".", 1)[-1] for k in ROUTES}
    for key, value in algo.items():
        if not isinstance(value, str):
            raise TypeError(f"convert: algo[{key!r}] must be an algorithm name (str), "
                            f"got {type(value).__name__}")
        if isinstance(key, type):
            continue
        if not isinstance(key, str):
            raise TypeError(f"convert: algo's keys must be module types, type names or op names, "
                            f"got {key!r}")
        if key != "default" and key not in kernels.OPS and key not in short and key not in ROUTES:
            raise ValueError(f"convert: algo key {key!r} is neither an op of kernels nor a module "
                             f"type with a kernels twin (nor 'default')")


def _algo_for(algo, op: str, torch_type: type | None) -> str:
    if isinstance(algo, str):
        return algo
    keys = [op] + ([torch_type, type_name(torch_type), torch_type.__name__] if torch_type else [])
    return next((algo[k] for k in keys if k in algo), algo.get("default", "auto"))


def _op_problem(op: str, algo: str) -> str | None:
    """Why op/algo cannot run here (None if it can)."""
    if op not in kernels.OPS:
        return f"kernels has no op {op} (not registered)"
    if algo != "auto" and algo not in kernels.OPS[op].algos():
        return f"op {op} has no algorithm {algo!r} (it has: {', '.join(kernels.OPS[op].algos())})"
    return None


def _tensor_problem(tensors) -> str | None:
    """Why kernels cannot compute on these tensors (None if it can)."""
    for t in tensors:
        if t.device.type != "cpu":
            return f"tensors on {t.device} (kernels.torch computes on the CPU)"
        if t.is_floating_point() and t.dtype not in FLOAT_DTYPES:
            return f"{t.dtype} tensors (kernels computes float32 and float64)"
    return None


# ---- pass 1: modules -----------------------------------------------------------------------
NOTHING_TO_COMPUTE = {  # leaves without a twin that do no arithmetic
    "torch.nn.modules.linear.Identity": "the identity: nothing to compute",
    "torch.nn.modules.flatten.Flatten": "a view (reshape): nothing to compute",
    "torch.nn.modules.flatten.Unflatten": "a view (reshape): nothing to compute",
    "torchvision.ops.misc.Permute": "a view (permute): nothing to compute",
}


class _Swapper:
    def __init__(self, algo, report: ConversionReport, model_problem: str | None):
        self.algo, self.report, self.model_problem = algo, report, model_problem
        self.done: dict[int, nn.Module] = {}   # id(old) -> new: a shared module stays shared

    def module(self, m: nn.Module, path: str) -> nn.Module:
        if id(m) in self.done:
            return self.done[id(m)]
        new = self.done[id(m)] = self._one(m, path)
        if new is m:  # not named_children(): it skips a module's second appearance
            for name, child in list(m._modules.items()):
                if child is None:
                    continue
                replaced = self.module(child, f"{path}.{name}" if path else name)
                if replaced is not child:
                    setattr(m, name, replaced)
        return new

    def _one(self, m: nn.Module, path: str) -> nn.Module:
        from_type = type_name(type(m))
        note = lambda **kw: self.report.entries.append(  # noqa: E731
            Entry("module", path, type(m).__name__, **kw))
        if type(m).__module__ == "kernels.torch.nn":
            note(became=type(m).__name__, algo=getattr(m, "algo", None),
                 reason="already a kernels module")
            return m
        route = ROUTES.get(from_type)
        if route is None:
            if not any(True for _ in m.children()):
                note(reason=NOTHING_TO_COMPUTE.get(from_type) or self._no_twin(m))
            return m
        twin = route(m)
        if isinstance(twin, str):
            note(reason=twin)
            return m
        algo = _algo_for(self.algo, twin.op, type(m))
        problem = (_op_problem(twin.op, algo)
                   or _tensor_problem([*m.parameters(recurse=False), *m.buffers(recurse=False)])
                   or self.model_problem)
        if problem:
            note(op=twin.op, algo=algo, reason=problem)
            return m
        note(became=twin.cls.__name__, op=twin.op, algo=algo)
        return become(m, twin.cls, algo)

    @staticmethod
    def _no_twin(m) -> str:
        for base in type(m).__mro__[1:]:
            if type_name(base) in ROUTES:
                return (f"a subclass of {base.__module__}.{base.__qualname__} (its forward may "
                        f"differ) and no twin of its own")
        return f"no kernels twin for {type_name(type(m))}"


def become(m: nn.Module, cls: type, algo: str) -> nn.Module:
    """A ``cls`` (a twin: a subclass of ``type(m)``'s torch class with the same state) that
    takes over ``m``'s attributes: the same parameters, buffers, hooks and flags."""
    new = cls.__new__(cls)
    new.__dict__.update({k: v.copy() if isinstance(v, dict) else v for k, v in vars(m).items()})
    new.algo = algo
    return new


# ---- pass 2: functional calls in forward ---------------------------------------------------
F = torch.nn.functional
ALIASES = {torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh"}
METHODS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
VIEWS = {torch.flatten, torch.reshape, torch.permute, torch.transpose, torch.squeeze,
         torch.unsqueeze, torch.cat, torch.stack, torch.chunk, torch.split, operator.getitem,
         getattr}
VIEW_METHODS = {"view", "reshape", "flatten", "permute", "transpose", "contiguous", "size", "dim",
                "squeeze", "unsqueeze", "chunk", "split", "expand", "expand_as", "view_as", "t",
                "numel", "type_as", "to", "clone", "detach"}
ARITHMETIC = {operator.add, operator.iadd, operator.sub, operator.isub, operator.mul,
              operator.imul, operator.truediv, operator.itruediv, operator.neg, torch.add,
              torch.mul, torch.sub, torch.div}
ARITHMETIC_METHODS = {"add", "add_", "mul", "mul_", "sub", "sub_", "div", "div_"}


_bridged: dict = {}


def torch_function(op: str):
    """``kernels.torch.<op>`` (one function object per op)."""
    if op not in _bridged:
        _bridged[op] = bridge(op)
    return _bridged[op]


def functional_op(target) -> str | None:
    """The kernels op a torch function stands for (by its torch.nn.functional name)."""
    if target in ALIASES:
        return ALIASES[target]
    name = getattr(target, "__name__", None)
    if name and getattr(F, name, None) is target:
        return name
    return None


def _call_name(node) -> str:
    t = node.target
    if node.op == "call_method":
        return f"Tensor.{t}"
    if getattr(F, getattr(t, "__name__", ""), None) is t:
        return f"F.{t.__name__}"
    if getattr(torch, getattr(t, "__name__", ""), None) is t:
        return f"torch.{t.__name__}"
    module = getattr(t, "__module__", None) or "builtins"
    module = {"_operator": "operator"}.get(module, module)
    return f"{module}.{getattr(t, '__name__', t)}"


def _stays(node) -> str:
    """Why a call that kernels has no op for stays in torch."""
    t = node.target
    if t in VIEWS or (node.op == "call_method" and t in VIEW_METHODS):
        return "data movement, a view or a shape query: no arithmetic to move"
    if t in ARITHMETIC or (node.op == "call_method" and t in ARITHMETIC_METHODS):
        return "elementwise arithmetic: kernels has no op for it"
    return "kernels has no op for it"


class _ChildrenAsLeaves(fx.Tracer):
    """Traces one module's own forward: every submodule it calls is a leaf."""

    def __init__(self, root):
        super().__init__()
        self.root_module = root

    def is_leaf_module(self, m, qualname) -> bool:
        return m is not self.root_module


def own_forward(m: nn.Module) -> bool:
    """Whether ``m``'s forward is neither torch's nor ours (so worth tracing)."""
    forward = type(m).forward
    module = getattr(forward, "__module__", "") or ""
    return not (module.startswith("torch.") or module.startswith("kernels."))


class _Rewriter:
    def __init__(self, algo, report: ConversionReport, model_problem: str | None):
        self.algo, self.report, self.model_problem = algo, report, model_problem

    def module(self, m: nn.Module, path: str) -> None:
        if "forward" in vars(m) and not getattr(vars(m)["forward"], "kernels_rewritten", False):
            self.report.entries.append(Entry("call", path, f"{type(m).__name__}.forward", reason=(
                "forward replaced on the instance: torch.fx traces the class's forward")))
            return
        try:
            graph = _ChildrenAsLeaves(m).trace(m)
        except Exception as e:  # fx raises many kinds (TraceError, TypeError, NotImplemented...)
            self.report.entries.append(Entry("call", path, f"{type(m).__name__}.forward", reason=(
                f"torch.fx could not trace it ({type(e).__name__}: {str(e).splitlines()[0][:120]}); "
                f"its functional calls, if any, stay in torch")))
            return
        changed = [self._node(n, path) for n in graph.nodes if n.op in ("call_function", "call_method")]
        if any(changed):
            self._install(m, path, graph)

    def _node(self, node, path) -> bool:
        name = _call_name(node)
        op = METHODS.get(node.target) if node.op == "call_method" else functional_op(node.target)
        if op is None:
            self.report.entries.append(Entry("call", path, name, reason=_stays(node)))
            return False
        algo = _algo_for(self.algo, op, None)
        problem = _op_problem(op, algo) or self.model_problem
        if problem:
            self.report.entries.append(Entry("call", path, name, op=op, algo=algo, reason=problem))
            return False
        bound = kernels.OPS[op].__signature__.bind_partial(*node.args, **node.kwargs)
        if "inplace" in bound.arguments:  # computed out of place, as the modules do
            bound.arguments["inplace"] = False
        node.op, node.target = "call_function", torch_function(op)
        node.args, node.kwargs = bound.args, {**bound.kwargs, "algo": algo}
        self.report.entries.append(Entry("call", path, name, became=f"kernels.torch.{op}", op=op,
                                         algo=algo))
        return True

    def _install(self, m, path, graph) -> None:
        """The rewritten graph's code as ``m.forward`` (m's class and attributes unchanged)."""
        missing = [n.target for n in graph.nodes if n.op in ("get_attr", "call_module")
                   and not _resolves(m, n.target)]
        if missing:  # the graph holds constants fx made up: m alone cannot run that code
            self.report.entries[:] = [e for e in self.report.entries
                                      if not (e.kind == "call" and e.path == path and e.converted)]
            self.report.entries.append(Entry("call", path, f"{type(m).__name__}.forward", reason=(
                f"the traced code needs attributes {missing[:3]} that the module lacks")))
            return
        gm = fx.GraphModule(m, graph, class_name=type(m).__name__)
        forward = type(gm).forward
        forward.kernels_rewritten = True
        m.forward = types.MethodType(forward, m)


def _resolves(m, target: str) -> bool:
    try:
        for part in target.split("."):
            m = getattr(m, part)
        return True
    except AttributeError:
        return False


# ---- convert -------------------------------------------------------------------------------
def convert(model: nn.Module, algo="auto", inplace: bool = False) -> nn.Module:
    """``model`` with every module that has a kernels twin replaced by it and functional
    calls in forward redirected to kernels.torch; ``model.kernels_report`` says what
    became what and why the rest stayed in torch (see the module docstring)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"convert: model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(inplace, bool):
        raise TypeError(f"convert: inplace must be a bool, got {type(inplace).__name__}")
    _check_algo(algo)
    if not inplace:
        model = copy.deepcopy(model)
    report = ConversionReport()
    problem = _tensor_problem([*model.parameters(), *model.buffers()])
    model_problem = None if problem is None else f"the model holds {problem}"
    model = _Swapper(algo, report, model_problem).module(model, "")
    rewriter = _Rewriter(algo, report, model_problem)
    for path, m in model.named_modules():
        if own_forward(m):
            rewriter.module(m, path)
    model.kernels_report = report
    return model
