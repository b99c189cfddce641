"""Benchmark harness: suites, correctness, timing, reports and plots."""
