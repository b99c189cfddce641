"""Phase timings of the algorithms that split their time (FFT, Winograd).

Such an algorithm keeps the last call's seconds per phase in ``algorithm.phases``, which
the harness reads after a timed run::

    clock = phase_clock(fft)           # fft.phases: every phase at 0.0
    with clock("kernel_transform"):
        ...
"""
import time

PHASES = ("input_transform", "kernel_transform", "multiply", "output_transform")


class Clock:
    """Adds the seconds spent in each ``with clock("phase"):`` block to a dict."""

    def __init__(self, phases: dict):
        self.phases = phases

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._t = time.perf_counter()

    def __exit__(self, *exc):
        self.phases[self._name] = self.phases.get(self._name, 0.0) + time.perf_counter() - self._t

    def share(self, seconds, fractions):
        """Add a fused call's seconds to several phases, split by measured fractions."""
        for name, f in fractions:
            self.phases[name] = self.phases.get(name, 0.0) + seconds * float(f)


def phase_clock(algo) -> Clock:
    """A fresh ``algo.phases`` (every phase at zero) and a clock that adds to it."""
    algo.phases = dict.fromkeys(PHASES, 0.0)
    return Clock(algo.phases)
