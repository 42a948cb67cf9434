"""Benchmarks that print figures (store, sync, call, UI start-up); run as ``python -m bench.X``."""
