"""Benchmarks: scripts that print figures (see the README for the latest)."""
