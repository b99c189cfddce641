"""Packaging: the wheel is the library (``kernels`` only, version ranges, torch an extra);
the development environment pins every version (constraints.txt) and keeps the
repository's tools importable (Makefile)."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
    PROJECT = tomllib.load(f)["project"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()


def _pins() -> dict:
    pins = {}
    with open(os.path.join(ROOT, "constraints.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                name, _, version = line.partition("==")
                assert version, f"constraints.txt: {line!r} is not an exact pin"
                pins[name.lower()] = version
    return pins


def test_library_dependencies_are_ranges_and_torch_is_an_extra():
    deps = PROJECT["dependencies"]
    assert {_name(d) for d in deps} == {"numpy", "numba", "llvmlite", "scipy"}
    assert not any("==" in d for d in deps), deps
    extras = PROJECT["optional-dependencies"]
    assert {_name(d) for d in extras["torch"]} == {"torch"}
    assert {"torch", "torchvision", "matplotlib", "tqdm"} <= {_name(d) for d in extras["harness"]}
    assert not any("==" in d for group in extras.values() for d in group)


def test_every_dependency_is_pinned_for_the_development_environment():
    pins = _pins()
    wanted = {_name(d) for d in PROJECT["dependencies"]}
    wanted |= {_name(d) for group in PROJECT["optional-dependencies"].values() for d in group}
    assert wanted <= set(pins), f"not pinned in constraints.txt: {sorted(wanted - set(pins))}"
    assert pins["torch"] == "2.13.0" and pins["torchvision"] == "0.28.0"
    makefile = open(os.path.join(ROOT, "Makefile")).read()
    assert "-c constraints.txt" in makefile and ".pth" in makefile


def test_the_wheel_ships_kernels_alone(tmp_path):
    """Built from a copy of the sources (no build/ left in the repository), without build
    isolation where setuptools is at hand (no download)."""
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    for name in os.listdir(ROOT):
        path = os.path.join(ROOT, name)
        if name in (".git", ".venv", "results", "build") or name.endswith(".egg-info"):
            continue
        (shutil.copytree(path, src / name, ignore=ignore) if os.path.isdir(path)
         else shutil.copy(path, src / name))
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation,
                    "-w", str(tmp_path), str(src)], check=True, capture_output=True, timeout=600)
    (wheel,) = [p for p in os.listdir(tmp_path) if p.endswith(".whl")]
    names = zipfile.ZipFile(tmp_path / wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"kernels"}, tops
    assert "kernels/torch/nn.py" in names and "kernels/torch/convert.py" in names
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(tmp_path / wheel).read(meta).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    assert any(r.startswith("Requires-Dist: numba>=") for r in requires)
    assert any("torch" in r and 'extra == "torch"' in r for r in requires)
