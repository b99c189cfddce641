import os

import pytest


@pytest.fixture(autouse=True)
def auto_without_timing(monkeypatch):
    """``auto`` is held to the algorithm it chooses, whichever that is (tests/test_auto*
    test the choosing): here it chooses without timing candidates, which would cost CI
    minutes over thousands of cases (``CONVBENCH_AUTO=cached``, unless set)."""
    if "CONVBENCH_AUTO" not in os.environ:
        monkeypatch.setenv("CONVBENCH_AUTO", "cached")
