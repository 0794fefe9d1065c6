"""Days, weeks and durations as the operators count them, in either database's SQL."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, cast, func, literal_column, type_coerce

from ...clock import utcnow
from ...extensions import db

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

def dialect() -> str:
    return db.session.get_bind().dialect.name


def offset_minutes() -> int:
    """The configured time zone's UTC offset; days and weeks are the operators' local ones.

    Taken once (now): Asia/Shanghai has no daylight saving time, so it is exact there."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return int(datetime.now(zone).utcoffset().total_seconds() // 60)


def local_today() -> date:
    return (utcnow() + timedelta(minutes=offset_minutes())).date()


def local_day(column):
    minutes = offset_minutes()
    if dialect() == "postgresql":
        return cast(column + literal_column(f"interval '{minutes} minutes'"), Date)
    return type_coerce(func.date(column, f"{minutes:+d} minutes"), Date)


def local_week(column):
    """Monday of the column's local ISO week."""
    minutes = offset_minutes()
    if dialect() == "postgresql":
        # Literal SQL, not bound parameters: PostgreSQL must see GROUP BY and SELECT as the
        # same expression.
        return cast(func.date_trunc(literal_column("'week'"),
                                    column + literal_column(f"interval '{minutes} minutes'")), Date)
    return type_coerce(func.date(column, f"{minutes:+d} minutes", "weekday 0", "-6 days"), Date)


def seconds_between(start, end):
    if dialect() == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(raw: str) -> date | None:
    """'2026-W47' (what <input type=week> sends) -> Monday of that ISO week."""
    match = _WEEK.match((raw or "").strip())
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def human_duration(seconds: float | None) -> tuple[float, str] | None:
    """(value, unit) for a duration: minutes under 2 hours, hours under 2 days, else days."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return None
    if seconds < 7200:
        return round(seconds / 60, 1), "minutes"
    if seconds < 172800:
        return round(seconds / 3600, 1), "hours"
    return round(seconds / 86400, 1), "days"


def chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
