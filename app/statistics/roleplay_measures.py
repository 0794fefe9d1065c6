"""Role-play statistics as pure functions over counts the database aggregated: quantiles and a
histogram from a {value: learners} table, the share of each reply at a decision and the
"most learners pick a weaker reply" flag. No queries, no requests."""
from __future__ import annotations

import math
from dataclasses import dataclass

# Histogram bands of a 0-100 percent: 0-19, 20-39, 40-59, 60-79, 80-100.
BANDS = ((0, 19), (20, 39), (40, 59), (60, 79), (80, 100))


def quantile_from_counts(counts: dict[int, int], q: float) -> float | None:
    """The q-th quantile (0..1) of the values a {value: how many} table stands for, by linear
    interpolation between closest ranks: the same as measures.percentile over the expanded
    list (and PostgreSQL's percentile_cont), without expanding it."""
    total = sum(n for n in counts.values() if n > 0)
    if total == 0:
        return None
    position = (total - 1) * q
    low_rank, high_rank = math.floor(position), min(math.floor(position) + 1, total - 1)
    low = high = None
    seen = 0
    for value in sorted(v for v, n in counts.items() if n > 0):
        seen += counts[value]
        if low is None and low_rank < seen:
            low = value
        if high_rank < seen:
            high = value
            break
    return low + (high - low) * (position - low_rank)


def five_numbers(counts: dict[int, int]) -> dict | None:
    """min, p25, median, p75, max and n of a {value: how many} table; None when empty."""
    n = sum(v for v in counts.values() if v > 0)
    if n == 0:
        return None
    return {"n": n, "min": quantile_from_counts(counts, 0), "p25": quantile_from_counts(counts, 0.25),
            "median": quantile_from_counts(counts, 0.5), "p75": quantile_from_counts(counts, 0.75),
            "max": quantile_from_counts(counts, 1)}


def histogram(counts: dict[int, int]) -> list[int]:
    """How many values fall in each of BANDS (values outside 0-100 are clipped into it)."""
    bands = [0] * len(BANDS)
    for value, n in counts.items():
        value = min(max(value, 0), 100)
        index = next(i for i, (low, high) in enumerate(BANDS) if low <= value <= high)
        bands[index] += n
    return bands


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class OptionShare:
    index: int
    chosen: int
    share: float | None
    points: int  # the option's points summed over the dimensions
    best: bool  # no option at this decision has more points


@dataclass(frozen=True)
class Decision:
    node: str
    learners: int  # first plays that made this decision
    options: list[OptionShare]
    judged: bool  # enough learners for the shares to mean something
    flagged: bool  # judged, and the most chosen reply is not a best-scoring one


def decision(node: str, option_points: list[int], chosen: dict[int, int],
             minimum: int) -> Decision:
    """Shares of each reply at one decision. Flagged when at least `minimum` learners made it
    and every most-chosen reply scores below the best reply: the lesson before it (or the
    option's wording) leads learners the wrong way."""
    total = sum(chosen.get(i, 0) for i in range(len(option_points)))
    top = max(option_points, default=0)
    options = [OptionShare(i, chosen.get(i, 0), rate(chosen.get(i, 0), total), points,
                           points == top) for i, points in enumerate(option_points)]
    judged = total >= minimum and total > 0
    most = max((o.chosen for o in options), default=0)
    flagged = judged and not any(o.best for o in options if o.chosen == most)
    return Decision(node, total, options, judged, flagged)
