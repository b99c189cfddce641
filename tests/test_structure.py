"""The layering of the code, read from its source (``ast``; nothing is imported).

1. No import cycle among the modules of ``kernels``.  Every import counts, at module level
   or deferred inside a function (deferring an import hides a cycle, it does not untie
   it).  ``from a.b import c`` depends on the module ``a.b.c`` if there is one, else on
   ``a.b``; the implicit import of parent packages does not count (``kernels/__init__``
   imports every module, so everything would depend on everything).

2. No private name used outside its home.  Private means a leading underscore (PEP 8):

   - a private name (``_taps``, ``_Clock``) belongs to its module: no other module
     imports it or reads it as an attribute;
   - a private module (``kernels._arrays``, ``kernels.pool._common``) belongs to its
     package, subpackages included: ``kernels.conv.fft`` may use ``kernels._workspace``,
     ``kernels.pool.numpy`` may use ``kernels.pool._common``, ``harness`` may use
     neither.  What several packages share is public, in one place.

   Checked for the modules of kernels/, harness/ and reference/ (tests may reach into
   what they test).
"""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("kernels", "harness", "reference")


def _modules() -> dict[str, str]:
    """{dotted module name: path} for every module of PACKAGES."""
    found = {}
    for top in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for f in files:
                if f.endswith(".py"):
                    parts = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].split(os.sep)
                    found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = \
                        os.path.join(folder, f)
    return found


MODULES = _modules()
TREES = {m: ast.parse(open(p, encoding="utf-8").read(), p) for m, p in MODULES.items()}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _base(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module
    package = module if MODULES[module].endswith("__init__.py") else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _imports(module: str):
    """(imported module, name imported from it or None, line) for every import in module."""
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}", None, node.lineno
                else:
                    yield base, alias.name, node.lineno


def _ours(name: str) -> str | None:
    """The module of ours that an imported dotted name lives in (None: a third party's)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set]:
    graph = {m: set() for m in MODULES if m.split(".")[0] == "kernels"}
    for m in graph:
        for target, _, _ in _imports(m):
            t = _ours(target)
            if t in graph and t != m:
                graph[m].add(t)
    return graph


def _cycle(graph) -> list | None:
    """One cycle of the graph as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                return stack[stack.index(t):] + [t]
            if t not in state and (found := visit(t)):
                return found
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def _module_allowed(importer: str, target: str) -> bool:
    """Whether ``importer`` may use module ``target`` (private modules stay in their package)."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        home = ".".join(parts[:i])
        if _private(part) and not (importer == home or importer.startswith(home + ".")):
            return False
    return True


def _aliases(module: str) -> dict[str, str]:
    """{local name: module of ours} for the names module's imports bind to modules."""
    bound = {}
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            for alias in node.names:  # import a.b binds a; import a.b as c binds c to a.b
                name = alias.name if alias.asname else alias.name.split(".")[0]
                if name in MODULES:
                    bound[alias.asname or name] = name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                full = f"{_base(module, node)}.{alias.name}"
                if full in MODULES:
                    bound[alias.asname or alias.name] = full
    return bound


def _attribute_uses(module: str):
    """(module of ours, attribute, line) for every attribute read off a module of ours."""
    aliases = _aliases(module)
    for node in ast.walk(TREES[module]):
        if not isinstance(node, ast.Attribute):
            continue
        chain, inner = [node.attr], node.value
        while isinstance(inner, ast.Attribute):
            chain.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in aliases:
            dotted = ".".join([aliases[inner.id], *reversed(chain)])
            owner = _ours(dotted)
            if dotted != owner:
                yield owner, dotted[len(owner) + 1:].split(".")[0], node.lineno


def test_modules_are_found():
    assert {"kernels._registry", "kernels.conv.fft", "harness.runner", "reference.conv"} <= set(MODULES)


def test_no_import_cycle_in_kernels():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_name_outside_its_home():
    found = []
    for m in sorted(MODULES):
        for target, name, line in _imports(m):
            owner = _ours(target)
            if owner is None:
                continue
            if not _module_allowed(m, owner):
                found.append(f"{os.path.relpath(MODULES[m], ROOT)}:{line}: private module {owner}")
            if name is not None and _private(name) and owner != m:
                found.append(f"{os.path.relpath(MODULES[m], ROOT)}:{line}: from {owner} import {name}")
        for owner, attr, line in _attribute_uses(m):
            if _private(attr) and owner != m:
                found.append(f"{os.path.relpath(MODULES[m], ROOT)}:{line}: {owner}.{attr}")
    assert not found, "private names used outside their home:\n" + "\n".join(found)


def test_privacy_rules():
    assert _module_allowed("kernels.conv.fft", "kernels._workspace")
    assert _module_allowed("kernels.pool.numpy", "kernels.pool._common")
    assert not _module_allowed("kernels.conv.fft", "kernels.pool._common")
    assert not _module_allowed("harness.runner", "kernels._arrays")
    assert _module_allowed("harness.runner", "kernels.tolerances")
