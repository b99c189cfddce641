"""algo="auto": which algorithm runs a case.

Interim policy until the timing cache lands: the first supported algorithm in a fixed
order of expected speed.  ``choose`` is the one entry point the ops call.
"""
PREFERENCE = ("numba", "winograd", "fft", "im2col", "numpy", "cuda", "naive")


def choose(op, plan, direction: str = "forward") -> str:
    names = op.candidates(plan)
    if not names:
        raise ValueError(f"{op.name}: no algorithm supports this case")
    ranked = sorted(names, key=lambda n: PREFERENCE.index(n) if n in PREFERENCE else len(PREFERENCE))
    return ranked[0]
