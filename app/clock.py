"""The clock every room stamps its rows with: naive UTC, as the database columns store it."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
