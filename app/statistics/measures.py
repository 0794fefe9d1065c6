"""The statistics' maths as pure functions over plain numbers: no queries, no requests."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Item-analysis thresholds (classical test theory rules of thumb).
FACILITY_RANGE = (0.3, 0.9)
MIN_DISCRIMINATION = 0.2
GROUP_SHARE = 0.27  # Kelley's upper and lower 27 %


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0..1) by linear interpolation between closest ranks.

    The same definition as PostgreSQL's percentile_cont and numpy's default, so the SQL and
    Python paths agree. None for no values.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def facility_margin(facility: float | None, answered: int) -> float | None:
    """Half-width of a 95 % interval for a facility from `answered` people (normal
    approximation; p(1-p) taken at least at 0.1·0.9 so that 0 or 1 is not 'exact')."""
    if facility is None or answered <= 0:
        return None
    spread = max(facility * (1 - facility), 0.09)
    return 1.96 * math.sqrt(spread / answered)


def judged(answered: int, minimum: int) -> bool:
    """Whether a question was answered often enough for its measures to mean something."""
    return answered >= minimum


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def variance(values: Sequence[float]) -> float:
    """Population variance (divide by n); alpha's ratio is the same with n - 1 throughout."""
    n = len(values)
    if n == 0:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / n


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float | None:
    """Internal consistency of a test: rows are people, columns are items (points earned).

    alpha = k / (k - 1) * (1 - sum of item variances / variance of total scores).
    None when it is undefined: fewer than 2 items or 2 people, or no spread in totals.
    """
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    item_variances = sum(variance([row[i] for row in matrix]) for i in range(k))
    total_variance = variance([sum(row) for row in matrix])
    if total_variance == 0:
        return None
    return k / (k - 1) * (1 - item_variances / total_variance)


def group_size(n: int) -> int:
    """People in each of the upper and lower groups: 27 % of n, at least 1 when n >= 2."""
    if n < 2:
        return 0
    return max(1, min(n // 2, round(GROUP_SHARE * n)))


@dataclass
class ItemStats:
    question_id: str
    answered: int  # people who were shown the question
    facility: float | None  # mean share of the points earned (= share correct for 0/1 items)
    discrimination: float | None  # upper group's facility minus the lower group's
    wrong: list[tuple[str, int]] = field(default_factory=list)  # most chosen wrong answers

    @property
    def review(self) -> bool:
        low, high = FACILITY_RANGE
        return ((self.facility is not None and not low <= self.facility <= high)
                or (self.discrimination is not None and self.discrimination < MIN_DISCRIMINATION))

    @property
    def reasons(self) -> list[str]:
        low, high = FACILITY_RANGE
        found = []
        if self.facility is not None and self.facility > high:
            found.append("too_easy")
        if self.facility is not None and self.facility < low:
            found.append("too_hard")
        if self.discrimination is not None and self.discrimination < MIN_DISCRIMINATION:
            found.append("low_discrimination")
        return found


@dataclass
class ItemAnalysis:
    people: int
    alpha: float | None
    alpha_people: int  # people shown every question (alpha needs complete rows)
    items: list[ItemStats]


def item_analysis(question_ids: Sequence[str], people: Sequence[dict[str, float]],
                  totals: Sequence[float], wrong_counts: dict[str, dict[str, int]] | None = None,
                  top_wrong: int = 3) -> ItemAnalysis:
    """Facility and discrimination per question and Cronbach's alpha for the quiz.

    people[i]: question id -> share of its points earned (0..1) for each question the person
    was shown; totals[i]: that person's total score, which ranks them for the 27 % groups
    (ties keep the given order, so pass people in a stable order, e.g. by attempt id).
    """
    n = len(people)
    ranked = sorted(range(n), key=lambda i: totals[i], reverse=True)  # stable: keeps ties' order
    g = group_size(n)
    upper, lower = ranked[:g], ranked[n - g:] if g else []
    items = []
    wrong_counts = wrong_counts or {}
    for qid in question_ids:
        scores = [p[qid] for p in people if qid in p]
        facility = sum(scores) / len(scores) if scores else None
        up = [people[i][qid] for i in upper if qid in people[i]]
        down = [people[i][qid] for i in lower if qid in people[i]]
        discrimination = (sum(up) / len(up) - sum(down) / len(down)) if up and down else None
        wrong = sorted(wrong_counts.get(qid, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        items.append(ItemStats(qid, len(scores), facility, discrimination, wrong[:top_wrong]))
    complete = [[p[q] for q in question_ids] for p in people if all(q in p for q in question_ids)]
    return ItemAnalysis(people=n, alpha=cronbach_alpha(complete), alpha_people=len(complete),
                        items=items)


@dataclass
class FunnelStep:
    key: str
    count: int
    share_of_first: float | None  # of everyone who started the first step
    drop_from_previous: int  # learners lost since the step before


def funnel(steps: Sequence[tuple[str, int]]) -> list[FunnelStep]:
    """Counts at successive steps, with each step's drop-off from the one before."""
    result = []
    first = steps[0][1] if steps else 0
    previous = None
    for key, count in steps:
        result.append(FunnelStep(key, count, rate(count, first),
                                 0 if previous is None else max(0, previous - count)))
        previous = count
    return result


@dataclass
class MentorOutcome:
    mentor_id: int
    mentees: int
    certified: int
    median_days: float | None  # joining to first certificate, over certified mentees

    @property
    def certification_rate(self) -> float:
        return self.certified / self.mentees if self.mentees else 0.0


def rank_mentors(outcomes: Sequence[MentorOutcome], min_mentees: int) -> list[MentorOutcome]:
    """Mentors with at least min_mentees direct mentees, best outcomes first.

    Outcomes, not head-count: certification rate first, then the faster median time to a
    certificate (none last), and only then the number of mentees as a tie-break.
    """
    eligible = [o for o in outcomes if o.mentees >= min_mentees]
    return sorted(eligible, key=lambda o: (-o.certification_rate,
                                           o.median_days if o.median_days is not None else math.inf,
                                           -o.mentees, o.mentor_id))


def tier_distribution(weeks: Sequence, joins: dict, changes: dict, tiers: Sequence[str],
                      first_tier: str) -> list[dict[str, int]]:
    """People per tier at the end of each week, from joins and tier changes per week.

    joins: week -> people who joined (they start in first_tier); changes: week ->
    {(from_tier, to_tier): count}. Weeks before the first given week are folded into it by
    the caller. Returns one {tier: count} per week, in the given order.
    """
    current = {tier: 0 for tier in tiers}
    result = []
    for week in weeks:
        current[first_tier] = current.get(first_tier, 0) + joins.get(week, 0)
        for (old, new), count in changes.get(week, {}).items():
            current[old] = current.get(old, 0) - count
            current[new] = current.get(new, 0) + count
        result.append(dict(current))
    return result
