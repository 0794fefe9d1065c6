"""Send and read notifications. `notify` joins the caller's transaction (no commit here)."""
from __future__ import annotations

from sqlalchemy import func, select, update

from ..clock import utcnow
from ..extensions import db
from .models import Notification


def notify(user_id: int, kind: str, **payload) -> Notification:
    notification = Notification(user_id=user_id, kind=kind, payload=payload)
    db.session.add(notification)
    return notification


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit)))


def mark_all_read(user_id: int) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow()))
