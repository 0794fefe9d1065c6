"""Signs an operator should look at: burst sign-ups under one code, mentees who never start."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from ..clock import utcnow
from ..extensions import db
from ..learning.models import Enrolment
from .models import TreeNode

BURST_PER_HOUR = 20
IDLE_AFTER = timedelta(days=3)


@dataclass
class Flags:
    burst_signups: int  # most sign-ups under the code within one hour, last 7 days
    idle_mentees: int   # direct mentees who joined > 3 days ago and never started a course
    mentees: int

    @property
    def burst(self) -> bool:
        return self.burst_signups >= BURST_PER_HOUR

    @property
    def idle(self) -> bool:
        return self.idle_mentees >= 5 and self.idle_mentees * 2 >= self.mentees


def most_in_one_hour(times) -> int:
    """Largest number of timestamps inside any 60-minute window (sorted sweep)."""
    times, best, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > timedelta(hours=1):
            start += 1
        best = max(best, end - start + 1)
    return best


def flags_for(user_id: int) -> Flags:
    now = utcnow()
    recent = db.session.scalars(select(TreeNode.joined_at).where(
        TreeNode.mentor_id == user_id, TreeNode.joined_at > now - timedelta(days=7)))
    started = select(Enrolment.id).where(Enrolment.user_id == TreeNode.user_id).exists()
    idle = db.session.scalar(select(func.count()).select_from(TreeNode).where(
        TreeNode.mentor_id == user_id, TreeNode.joined_at < now - IDLE_AFTER, ~started)) or 0
    mentees = db.session.scalar(select(func.count()).select_from(TreeNode).where(
        TreeNode.mentor_id == user_id)) or 0
    return Flags(most_in_one_hour(list(recent)), idle, mentees)
