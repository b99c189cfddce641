"""Generated parity cases that fail today, one line of reason each: "<op>#<case>-<algo>".

Strict: a case listed here that passes fails the run until its line is removed.  The list
is the family owners' to empty.  ``python -m tests.parity.failures`` prints the cases that
fail now, in this format.
"""
KNOWN_FAILURES: dict[str, str] = {
}
