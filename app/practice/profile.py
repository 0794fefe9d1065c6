"""Rubric profiles over several plays: plain functions over stored scores, no queries.

A play's `scores` (scenario.score) gives each dimension earned, max and percent. Across a
learner's scenarios, or across a mentor's mentees, a dimension's figure is the mean of the
percents of the plays that have that dimension (a scenario without it says nothing about it),
so one short scenario weighs as much as a long one.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DimensionFigure:
    id: str
    mean_percent: float | None  # None: no play measured this dimension
    plays: int


def dimension_means(scores: list[dict], order: list[str] | None = None) -> list[DimensionFigure]:
    """Each dimension's mean percent over `scores` (scenario.score() results), in `order`
    (then first-seen order for the others); a dimension whose max was 0 in a play (she met
    no decision that could earn it) is left out of that play's count."""
    totals: dict[str, list[float]] = {}
    for item in scores:
        for dimension, figures in (item or {}).get("dimensions", {}).items():
            totals.setdefault(dimension, [])
            if figures.get("percent") is not None:
                totals[dimension].append(figures["percent"])
    ids = [d for d in (order or []) if d in totals] + [d for d in totals if d not in (order or [])]
    return [DimensionFigure(d, sum(totals[d]) / len(totals[d]) if totals[d] else None,
                            len(totals[d])) for d in ids]


def weakest(figures: list[DimensionFigure]) -> str | None:
    """The dimension with the lowest mean (the first of equals), what a mentor should work
    on; None when nothing was measured."""
    measured = [f for f in figures if f.mean_percent is not None]
    return min(measured, key=lambda f: f.mean_percent).id if measured else None
