"""Benchmarks: each compares Boussole with a named baseline in the same run (medians over repeated runs)."""
