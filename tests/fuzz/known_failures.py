"""Fuzzed arguments that find a failure today, one line of reason each: "<op>-<argument>"
("shapes": the shape-only calls).  Strict: a target that no longer fails fails the run
until its line is removed.  The list is the family owners' to empty; each reason quotes the
first failing call of the CI draw (run ``python -m pytest tests/fuzz -k <key>`` to see it).
"""
KNOWN_FAILURES: dict[str, str] = {}
