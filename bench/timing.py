"""Figures the front ends' benchmarks share: the nearest-rank percentile of timings."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (the smallest value with at least q% at or below it)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
