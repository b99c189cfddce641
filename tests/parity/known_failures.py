"""Generated parity cases that fail today, one line of reason each: "<op>#<case>-<algo>"
(and "doc-<algo>" for test_spaces.test_spreading_algorithms_say_so).

A case is named by its row: ``p003`` the fourth pairwise row, ``N=0`` the edge N=0 on a
plain row (run ``python -m pytest tests/parity -k "conv2d#N=0"`` to see its shapes and
parameters).  A reason names what sets the case apart (its edge, batch-less input, the NaN
or infinity planted and where) and what fails.  Strict: a case listed here that passes
fails the run until its line is removed.  The list is the family owners' to empty;
``python -m tests.parity.failures JUNIT_XML`` prints the cases that failed in a pytest run
(``--junitxml``).
"""
GROUP_NORM_RESIDUE = ("one-element groups (x - mean = 0 exactly): a gradient that is 0 in exact arithmetic is "
                      "rounding residue (1e-14, amplified by 1/sqrt(eps)) in torch or here, 0 in the other; "
                      "over the compare's 1e-6 floor that is a 1e-8 relative error")

KNOWN_FAILURES: dict[str, str] = {
    # ======== norm ========
    "group_norm#p005-cuda": GROUP_NORM_RESIDUE,
    "group_norm#p005-naive": GROUP_NORM_RESIDUE,
    "group_norm#p005-numba": GROUP_NORM_RESIDUE,
    "group_norm#p005-numpy": GROUP_NORM_RESIDUE,
}
