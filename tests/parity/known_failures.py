"""Generated parity cases that fail today, one line of reason each: "<op>#<case>-<algo>"
(and "doc-<algo>" for test_spaces.test_spreading_algorithms_say_so).

Strict: a case listed here that passes fails the run until its line is removed.  The list
is the family owners' to empty.  ``python -m tests.parity.failures JUNIT_XML`` prints the
cases that failed in a pytest run (``--junitxml``), in this format.
"""
KNOWN_FAILURES: dict[str, str] = {
    # ---- conv (documentation of the NaN/Inf spread, tests/parity/compare.py SPREADS) ----
    "doc-fft": "fft's docs and tolerance reasons do not say that it spreads NaN/Inf over a plane",
    "doc-winograd": "winograd's docs and tolerance reasons do not say that it spreads NaN/Inf over a tile",
    "doc-winograd_f2": "winograd_f2's docs and tolerance reasons do not say that it spreads NaN/Inf over a tile",
    "doc-winograd_f4": "winograd_f4's docs and tolerance reasons do not say that it spreads NaN/Inf over a tile",
    "doc-winograd_f6": "winograd_f6's docs and tolerance reasons do not say that it spreads NaN/Inf over a tile",
}
