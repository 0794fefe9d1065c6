"""The mentors page: the mentor ranking by their mentees' certificates, and people per tier
week by week."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import Float, cast, func, select

from ...accounts.models import User
from ...certificates.models import Certificate
from ...extensions import db
from ...referrals.models import TierChange, TreeNode
from .. import measures
from ..models import Snapshot
from .filters import FIRST_TIER, tier_keys
from .periods import as_date, local_today, local_week, seconds_between, week_start

MENTOR_MINIMUMS = (3, 5, 10, 20)
DEFAULT_MENTOR_MINIMUM = 5
MENTORS_SHOWN = 100
TIER_WEEKS = 26


def live_mentor_outcomes() -> list[measures.MentorOutcome]:
    """Every mentor's direct mentees, how many hold a certificate, and how fast they got it."""
    mentees = dict(db.session.execute(
        select(TreeNode.mentor_id, func.count()).where(TreeNode.mentor_id.is_not(None))
        .group_by(TreeNode.mentor_id)).all())
    first = (select(Certificate.user_id.label("user_id"),
                    func.min(Certificate.issued_at).label("issued_at"))
             .where(Certificate.revoked_at.is_(None)).group_by(Certificate.user_id)).subquery()
    days = defaultdict(list)
    for mentor_id, seconds in db.session.execute(
            select(TreeNode.mentor_id, cast(seconds_between(TreeNode.joined_at, first.c.issued_at),
                                            Float))
            .join(first, first.c.user_id == TreeNode.user_id)
            .where(TreeNode.mentor_id.is_not(None)).execution_options(yield_per=20000)):
        days[mentor_id].append(max(0.0, seconds) / 86400)
    return [measures.MentorOutcome(mentor_id, count, len(days.get(mentor_id, ())),
                                   measures.percentile(days.get(mentor_id, []), 0.5))
            for mentor_id, count in mentees.items()]


def ranking_payload(outcomes, minimum: int) -> dict:
    ranked = measures.rank_mentors(outcomes, minimum)
    return {"minimum": minimum, "eligible": len(ranked),
            "mentors": [{"mentor_id": o.mentor_id, "mentees": o.mentees, "certified": o.certified,
                         "rate": o.certification_rate, "median_days": o.median_days}
                        for o in ranked[:MENTORS_SHOWN]]}


def mentor_ranking(minimum: int) -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("mentors", str(minimum)))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return ranking_payload(live_mentor_outcomes(), minimum), None


def mentor_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def live_tier_history(weeks: int = TIER_WEEKS) -> dict:
    """People per tier at the end of each of the last `weeks` weeks (joins + tier changes)."""
    last = week_start(local_today())
    first = last - timedelta(weeks=weeks - 1)
    week_list = [first + timedelta(weeks=i) for i in range(weeks)]

    def fold(day) -> date:
        return max(first, as_date(day))  # earlier history counts into the first week

    joins = Counter()
    joined = local_week(TreeNode.joined_at)
    for week, count in db.session.execute(select(joined, func.count()).group_by(joined)):
        joins[fold(week)] += count
    changes: dict = defaultdict(Counter)
    changed = local_week(TierChange.changed_at)
    for week, old, new, count in db.session.execute(
            select(changed, TierChange.from_tier, TierChange.to_tier, func.count())
            .group_by(changed, TierChange.from_tier, TierChange.to_tier)):
        changes[fold(week)][(old, new)] += count
    keys = tier_keys()
    per_week = measures.tier_distribution(week_list, joins, changes, keys, FIRST_TIER)
    return {"tiers": keys, "weeks": [w.isoformat() for w in week_list],
            "counts": [[row.get(k, 0) for k in keys] for row in per_week]}


def tier_history() -> tuple[dict, str | None]:
    row = db.session.get(Snapshot, ("tiers", "weekly"))
    if row is not None:
        return row.payload, row.refreshed_at.isoformat()
    return live_tier_history(), None
