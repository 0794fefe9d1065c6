"""The statistics filters (dates, course, tier, mentor's team, sign-up week) from a query
string, and the learner scope they put on a statement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, literal_column, select

from ...accounts.models import User
from ...extensions import db
from ...learning.models import Course
from ...referrals.models import TreeNode
from .periods import local_today, offset_minutes, parse_week

FIRST_TIER = "trainee"  # a learner without a tree node (or a tier change) is here
DEFAULT_DAYS = 90
MAX_DAYS = 731


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    course_id: int | None = None
    tier: str | None = None
    mentor_id: int | None = None
    mentor_path: str | None = None
    cohort: date | None = None  # Monday of the sign-up week

    @property
    def learner_filtered(self) -> bool:
        return bool(self.tier or self.mentor_path or self.cohort)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) local, as naive UTC like the stored times."""
        shift = timedelta(minutes=offset_minutes())
        return (datetime.combine(self.start, time()) - shift,
                datetime.combine(self.end + timedelta(days=1), time()) - shift)


def find_mentor(raw: str) -> TreeNode | None:
    """A mentor by user id, phone, email or invite code."""
    from ...accounts.services import find_user, parse_login_name
    from ...referrals.services import find_by_code

    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) < 10:
        node = db.session.get(TreeNode, int(raw))
        if node is not None:
            return node
    login = parse_login_name(raw)
    if login:
        user = find_user(login)
        if user is not None:
            return db.session.get(TreeNode, user.id)
    return find_by_code(raw)


def parse_filters(args) -> tuple[Filters, list[str]]:
    """Filters from query-string values; problems come back as codes of the statistics
    error catalog (statistics/errors.py), never a 500."""
    errors = []
    today = local_today()

    def day(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append("bad_date")
            return None

    end = day("end") or today
    start = day("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        errors.append("start_after_end")
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        errors.append("range_too_long")
        start = end - timedelta(days=MAX_DAYS)
    course_id = None
    if args.get("course"):
        course = db.session.execute(select(Course).where(Course.slug == args["course"][:80])
                                    ).scalar_one_or_none()
        if course is None:
            errors.append("unknown_course")
        else:
            course_id = course.id
    tier = (args.get("tier") or "").strip() or None
    if tier and tier not in tier_keys():
        errors.append("unknown_tier")
        tier = None
    mentor = None
    if (args.get("mentor") or "").strip():
        mentor = find_mentor(args["mentor"][:254])
        if mentor is None:
            errors.append("unknown_mentor")
    cohort = None
    if (args.get("cohort") or "").strip():
        cohort = parse_week(args["cohort"])
        if cohort is None:
            errors.append("bad_week")
    return Filters(start=start, end=end, course_id=course_id, tier=tier,
                   mentor_id=mentor.user_id if mentor else None,
                   mentor_path=mentor.path if mentor else None, cohort=cohort), errors


def tier_keys() -> list[str]:
    from ...referrals.tiers import current_rules  # reads only: safe on GET

    return [t.key for t in current_rules().tiers]


def tier_names() -> dict[str, dict]:
    from ...referrals.tiers import current_rules

    return {t.key: t.name for t in current_rules().tiers}


def visible_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).where(Course.hidden.is_(False))
                                   .order_by(Course.position, Course.slug)))


def tier_column():
    return func.coalesce(TreeNode.tier, literal_column(f"'{FIRST_TIER}'"))


def learner_scope(statement, user_column, filters: Filters):
    """Only learners (not staff), narrowed by tier, mentor subtree and sign-up week."""
    if user_column is not User.id:  # a statement over users already has the table
        statement = statement.join(User, User.id == user_column)
    statement = (statement.outerjoin(TreeNode, TreeNode.user_id == user_column)
                 .where(User.role == "learner"))
    if filters.tier:
        statement = statement.where(tier_column() == filters.tier)
    if filters.mentor_path:
        low, high = filters.mentor_path, filters.mentor_path[:-1] + "0"
        statement = statement.where(TreeNode.path > low, TreeNode.path < high)
    if filters.cohort:
        start = datetime.combine(filters.cohort, time()) - timedelta(minutes=offset_minutes())
        statement = statement.where(User.created_at >= start,
                                    User.created_at < start + timedelta(days=7))
    return statement


def in_range(column, filters: Filters):
    low, high = filters.utc_bounds()
    return and_(column >= low, column < high)


def team_members(path: str):
    return select(TreeNode.user_id).where(TreeNode.path > path, TreeNode.path < path[:-1] + "0")
