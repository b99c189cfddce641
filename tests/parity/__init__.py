"""Generated torch-parity tests: every op's argument space (spaces/), drawn by a pairwise
covering (space.py), judged by torch (oracle.py); see test_parity.py."""
