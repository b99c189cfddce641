"""Print the failed generated cases of a pytest run as KNOWN_FAILURES lines, by op.

    python -m pytest tests/parity tests/fuzz --junitxml=run.xml
    python -m tests.parity.failures run.xml

A tool for the family owners and the reviewer: the known-failure lists stay hand-kept.
"""
import re
import sys
import xml.etree.ElementTree as ET


def failures(path):
    for case in ET.parse(path).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            continue
        m = re.search(r"\[(.*)\]$", case.get("name", ""))
        if not m:
            continue
        message = (failure.get("message") or "").splitlines()[0]
        message = re.sub(r"^(AssertionError|Failed): ", "", message)
        message = re.sub(r"^\S+\[\S+\] ", "", message)          # op[algo]
        yield m.group(1), message[:400]


def main(paths):
    by_op = {}
    for path in paths:
        for key, message in failures(path):
            by_op.setdefault(re.split(r"[#-]", key)[0], []).append((key, message))
    for op, items in sorted(by_op.items()):
        print(f"    # ---- {op} ----")
        for key, message in sorted(items):
            print(f"    {key!r}: {message!r},")


if __name__ == "__main__":
    main(sys.argv[1:])
