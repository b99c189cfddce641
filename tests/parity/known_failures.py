"""Generated parity cases that fail today, one line of reason each: "<op>#<case>-<algo>"
(and "doc-<algo>" for test_spaces.test_spreading_algorithms_say_so).

A case is named by its row: ``p003`` the fourth pairwise row, ``N=0`` the edge N=0 on a
plain row (run ``python -m pytest "tests/parity/test_parity.py::test_parity[conv2d#N=0-numba]"``
to see its shapes and parameters: ``-k`` takes no ``#`` or ``=``).  A reason names what
sets the case apart (its edge, batch-less input, the NaN or infinity planted and where)
and what fails.  Strict: a case listed here that passes
fails the run until its line is removed.  The list is the family owners' to empty;
``python -m tests.parity.failures JUNIT_XML`` prints the cases that failed in a pytest run
(``--junitxml``).
"""
KNOWN_FAILURES: dict[str, str] = {}
