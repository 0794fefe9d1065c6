"""What the mentor tree keeps about a person: her place (mentor, mentees, invite code, tier),
mentor moves and tier changes. Anonymising keeps the node and tier (totals and mentors' tiers
depend on them), makes the invite code unfindable, and scrubs her name from the reasons and
from the reminders she sent her (former) mentees."""
from sqlalchemy import or_, select

from .. import privacy
from ..accounts.models import User
from ..extensions import db
from ..notifications.models import Notification
from .models import MentorChange, TierChange, TreeNode


def export_personal_data(user) -> dict:
    session = db.session
    node = session.get(TreeNode, user.id)
    mentor = node.mentor_id if node else None
    names = dict(session.execute(select(User.id, User.display_name).where(or_(
        User.id == mentor,
        User.id.in_(select(TreeNode.user_id).where(TreeNode.mentor_id == user.id))))).all())
    mentees = sorted(uid for uid in names if uid != mentor)
    return {
        "mentor_tree": None if node is None else {
            "invite_code": node.invite_code, "joined_at": privacy.when(node.joined_at),
            "tier": node.tier, "depth": node.depth,
            "mentor": {"id": mentor, "name": names.get(mentor)} if mentor else None,
            "direct_mentees": [{"id": uid, "name": names[uid]} for uid in mentees]},
        "mentor_changes": [
            {"from_mentor_id": c.from_mentor_id, "to_mentor_id": c.to_mentor_id,
             "reason": c.reason, "changed_at": privacy.when(c.changed_at)}
            for c in session.scalars(select(MentorChange).where(MentorChange.user_id == user.id)
                                     .order_by(MentorChange.changed_at))],
        "mentor_changes_made_by_them": [
            {"user_id": c.user_id, "from_mentor_id": c.from_mentor_id, "to_mentor_id": c.to_mentor_id,
             "reason": c.reason, "changed_at": privacy.when(c.changed_at)}
            for c in session.scalars(select(MentorChange).where(MentorChange.changed_by_id == user.id)
                                     .order_by(MentorChange.changed_at))],
        "tier_history": [
            {"from": c.from_tier, "to": c.to_tier, "reason": c.reason,
             "changed_at": privacy.when(c.changed_at)}
            for c in session.scalars(select(TierChange).where(TierChange.user_id == user.id)
                                     .order_by(TierChange.changed_at, TierChange.id))],
    }


def anonymise(user, traces: list[str]) -> None:
    session = db.session
    node = session.get(TreeNode, user.id)
    if node is not None:
        # Lookups normalise codes to upper-case letters and digits: this one can never match.
        node.invite_code = f"-{user.id}"[:12]
    mentees = set(session.scalars(select(TreeNode.user_id).where(TreeNode.mentor_id == user.id)))
    for change in session.scalars(select(MentorChange).where(or_(
            MentorChange.user_id == user.id, MentorChange.from_mentor_id == user.id,
            MentorChange.to_mentor_id == user.id))):
        change.reason = privacy.scrub(change.reason, traces)
        if user.id in (change.from_mentor_id, change.to_mentor_id):
            mentees.add(change.user_id)
    for change in session.scalars(select(TierChange).where(TierChange.user_id == user.id)):
        change.reason = privacy.scrub(change.reason, traces)
    # Reminders name the mentor who sent them; only this person's (former) mentees got theirs.
    if mentees:
        for notification in session.scalars(select(Notification).where(
                Notification.user_id.in_(mentees), Notification.kind == "nudge")):
            notification.payload = privacy.scrub_json(notification.payload, traces)


privacy.register("referrals", export=export_personal_data, anonymise=anonymise,
                 covers={"tree_nodes.user_id", "mentor_changes.user_id",
                         "mentor_changes.from_mentor_id", "mentor_changes.to_mentor_id",
                         "mentor_changes.changed_by_id", "tier_changes.user_id"})
