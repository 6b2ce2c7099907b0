"""Benchmarks: a synthetic world generator and measurements (run explicitly, not by pytest)."""
