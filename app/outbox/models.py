"""One row per side effect still to start: a Celery task name and its arguments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class OutboxMessage(db.Model):
    """Written in the same transaction as the fact it follows from, so neither exists
    without the other. sent_at is stamped when the task has run (in place), or when a worker
    reports it done (celery): a task published and then lost is published again."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[list] = mapped_column(JSON, default=list)
    # task:arg:arg — lets the reconciler ask "is this already on its way?" in SQL.
    key: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # A relay that claimed the row holds it until then; a crashed relay's claim runs out.
    locked_until: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # Given up on (an unknown task, or MAX_ATTEMPTS failures): kept, listed, retried or
    # discarded by hand (`flask outbox parked|retry|discard`), never started by the relay.
    parked_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_messages_due", "available_at",
              postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")),
    )
