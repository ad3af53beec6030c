"""Benchmarks run by `make bench` (`python -m tests.bench`), outside the test suite."""
