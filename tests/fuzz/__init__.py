"""Generated bad-input fuzz over every op and algorithm (issue 15): see test_fuzz.py."""
