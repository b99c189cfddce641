"""Algorithms of conv_transpose1d for the harness tests only, each misbehaving in its own
way.  ``register()`` makes them (here and, named in ``Config.preload`` as
``tests.harness_algos:register``, in the harness's worker processes); the tests unregister
them after.  Every one but ``test_picky`` and ``test_supports_raises`` gets as far as its
forward."""
import ctypes
import os
import sys
import time

from kernels._registry import ALGORITHMS, Algorithm

OP = "conv_transpose1d"
LIMITS = {"float32": (1e-4, "test algorithm"), "float64": (1e-9, "test algorithm")}
PRELOAD = "tests.harness_algos:register"
SLOW_S = 2.0                           # how long test_slow's supports() takes on a new case


def _im2col():
    return ALGORITHMS[OP]["im2col"]


def _exact(x, w, b, p):
    return _im2col().run_forward((x, w, b), p)


def _exact_backward(gy, x, w, b, p):
    return _im2col().run_backward(gy, (x, w, b), p)


def _raises(x, w, b, p):
    raise RuntimeError("deliberate failure")


def _off(x, w, b, p):
    ALGORITHMS[OP]["test_sloppy"].phases.update(input_transform=1e-6, kernel_transform=2e-6,
                                                multiply=3e-6, output_transform=4e-6)
    return _exact(x, w, b, p) * 1.01


def _abort(x, w, b, p):
    os.abort()


def _segfault(x, w, b, p):
    return ctypes.string_at(0)           # reads address 0: SIGSEGV


def _hang(x, w, b, p):
    time.sleep(3600)


def _exit(x, w, b, p):
    sys.exit(3)


def _os_exit(x, w, b, p):
    os._exit(3)


_seen = set()


def _slow_supports(p):
    if p not in _seen:                  # once per case and process, outside the timed calls
        _seen.add(p)
        time.sleep(SLOW_S)
    return None


def _supports_raises(p):
    raise RuntimeError("supports() failed (test)")


FORWARDS = {"test_broken": _raises, "test_sloppy": _off, "test_abort": _abort,
            "test_segfault": _segfault, "test_hang": _hang, "test_exit": _exit,
            "test_os_exit": _os_exit, "test_slow": _exact, "test_late": _exact}
SUPPORTS = {"test_picky": lambda p: "supports nothing (test)", "test_supports_raises": _supports_raises,
            "test_slow": _slow_supports}
NAMES = tuple(dict.fromkeys((*FORWARDS, *SUPPORTS)))


def register(names=NAMES) -> dict:
    """The named test algorithms, registered (those already registered are left as they are)."""
    made = {}
    for name in names:
        if name in ALGORITHMS.get(OP, {}):
            continue
        a = Algorithm(name, ops=(OP,), trust=100, tolerance=LIMITS)
        if name in FORWARDS:
            a.forward(FORWARDS[name])
            a.backward(_exact_backward)
        if name in SUPPORTS:
            a.supports(SUPPORTS[name])
        made[name] = a
    return made


def unregister(made: dict) -> None:
    for a in made.values():
        a.unregister()
