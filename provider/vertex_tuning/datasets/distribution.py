"""Summaries of one per-example quantity (sum, min, max, mean, median, p5, p95), as in tuningDataStats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Distribution:
    """Summary of one per-example quantity, as tuningDataStats reports it."""

    sum: int
    min: float
    max: float
    mean: float
    median: float
    p5: float
    p95: float

    @classmethod
    def of_counts(cls, counts: Counter[int]) -> Distribution:
        """From a histogram (value -> how many examples): exact, in memory bounded by distinct values."""
        ordered = sorted((value, n) for value, n in counts.items() if n > 0) or [(0, 1)]
        total = sum(n for _, n in ordered)

        def at(position: int) -> float:
            seen = 0
            for value, n in ordered:
                seen += n
                if position < seen:
                    return float(value)
            return float(ordered[-1][0])

        def percentile(p: float) -> float:
            return at(min(total - 1, int(p * (total - 1) + 0.5)))

        middle = (total - 1) / 2
        median = (at(int(middle)) + at(int(middle + 0.5))) / 2
        value_sum = sum(value * n for value, n in ordered)
        return cls(
            sum=value_sum,
            min=float(ordered[0][0]),
            max=float(ordered[-1][0]),
            mean=value_sum / total,
            median=median,
            p5=percentile(0.05),
            p95=percentile(0.95),
        )
