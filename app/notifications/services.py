"""Send and read notifications. `notify` joins the caller's transaction (no commit here)."""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import func, select, update

from ..clock import utcnow
from ..extensions import db
from .models import Notification


def notify(user_id: int, kind: str, **payload) -> Notification:
    notification = Notification(user_id=user_id, kind=kind, payload=payload)
    db.session.add(notification)
    return notification


def unread_count_select(user_id: int):
    """The SELECT of her unread count, for a room that reads it together with other rows
    (then it says remember_unread)."""
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))


def unread_count(user_id: int) -> int:
    known = g.get("unread_notifications") if has_request_context() else None
    if known is not None and known[0] == user_id:
        return known[1]  # read already in this request, with the page's progress
    return db.session.scalar(unread_count_select(user_id)) or 0


def remember_unread(user_id: int, count: int) -> None:
    """This request read her unread count already (the header's badge asks it)."""
    g.unread_notifications = (user_id, count)


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit)))


def mark_all_read(user_id: int) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow()))
