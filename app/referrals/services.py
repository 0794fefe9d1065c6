"""Invitations and the mentor tree: place a new user, read the tree, reassign mentors."""
from __future__ import annotations

import secrets

from sqlalchemy import func, literal, select, text, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.services import normalize_code  # the sign-up form's reading of a typed code
from ..clock import utcnow
from ..extensions import db
from ..outbox import services as outbox
from ..quizzes import hooks as quizzes_hooks
from .errors import referral_errors
from .models import MentorChange, TreeNode

REEVALUATE_TASK = "referrals.reevaluate_tier"  # the Celery task (tasks.py) running tiers.reevaluate

# No 0/O, 1/I/L: codes are read aloud, typed from posters and copied by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_STRUCTURE_LOCK = 0x5B7EE  # PostgreSQL advisory lock: one tree change at a time


def new_invite_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def subtree_range(path: str) -> tuple[str, str]:
    """Every path in the subtree of `path` sorts in [path, upper): '0' follows '/'."""
    return path, path[:-1] + "0"


def path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def find_by_code(raw: str | None) -> TreeNode | None:
    code = normalize_code(raw)
    if not code or len(code) > 12:
        return None
    return db.session.execute(select(TreeNode).where(TreeNode.invite_code == code)).scalar_one_or_none()


def mentor_for_code(raw: str | None, required: bool) -> TreeNode | None:
    """The inviting mentor's node; a referrals DomainError for a missing, unknown or deactivated code."""
    if not normalize_code(raw):
        if required:
            raise referral_errors("code_required")
        return None
    node = find_by_code(raw)
    if node is None:
        raise referral_errors("unknown_code")
    if not db.session.get(User, node.user_id).active:
        raise referral_errors("inactive_code")
    return node


def place_user(user: User, mentor: TreeNode | None) -> TreeNode:
    """Give a new user their node under `mentor` (or as a root) and a fresh invite code."""
    if mentor is not None and mentor.user_id == user.id:
        raise referral_errors("self_invite")
    path = (mentor.path if mentor else "/") + f"{user.id}/"
    for _ in range(5):
        node = TreeNode(user_id=user.id, mentor_id=mentor.user_id if mentor else None, path=path,
                        depth=(mentor.depth + 1) if mentor else 0, invite_code=new_invite_code(),
                        joined_at=utcnow())
        try:
            with db.session.begin_nested():  # a code collision retries, nothing else is lost
                db.session.add(node)
            return node
        except IntegrityError:
            existing = db.session.get(TreeNode, user.id)
            if existing is not None:
                return existing
    raise referral_errors("no_code")


def node_of(user: User) -> TreeNode | None:
    """The user's node (read only: every account gets one when it is made, and the migration
    that brought this rule gave one to the accounts made before)."""
    return db.session.get(TreeNode, user.id)


@quizzes_hooks.mentor_id_of.provide  # who may give another attempt asks it
def mentor_id_of(user_id: int) -> int | None:
    """Her direct mentor's user id (None for a root, or an account without a node)."""
    node = db.session.get(TreeNode, user_id)
    return node.mentor_id if node is not None else None


def ensure_node(user: User) -> TreeNode:
    """The user's node, made a root if it is missing (for paths that write; the caller
    commits)."""
    return db.session.get(TreeNode, user.id) or place_user(user, None)


def shown_node(user: User) -> TreeNode:
    """For pages that only read: the node, or an unsaved stand-in (a trainee root without an
    invite code) for an account that has none — a GET never creates it."""
    return node_of(user) or TreeNode(user_id=user.id, mentor_id=None, path=f"/{user.id}/",
                                     depth=0, invite_code=None, tier="trainee", tier_rank=0)


def direct_mentees(user_id: int, page: int = 1, per_page: int = 50) -> list[TreeNode]:
    return list(db.session.scalars(
        select(TreeNode).where(TreeNode.mentor_id == user_id).order_by(TreeNode.user_id)
        .offset((page - 1) * per_page).limit(per_page)))


def ancestors(node: TreeNode) -> list[TreeNode]:
    """Root first, the direct mentor last: one primary-key lookup for the whole chain."""
    ids = path_ids(node.path)[:-1]
    if not ids:
        return []
    found = {n.user_id: n for n in db.session.scalars(select(TreeNode).where(TreeNode.user_id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def subtree_size(node: TreeNode) -> int:
    """Descendants of the node (not counting itself): an index range scan on path."""
    low, high = subtree_range(node.path)
    return db.session.scalar(select(func.count()).select_from(TreeNode).where(
        TreeNode.path > low, TreeNode.path < high)) or 0


def _lock_structure() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STRUCTURE_LOCK})
    # SQLite: the write transaction (BEGIN IMMEDIATE) already serialises every change.


def _move(user_id: int, new_mentor_id: int | None, reason: str, changed_by: User | None) -> MentorChange:
    node = db.session.execute(select(TreeNode).where(TreeNode.user_id == user_id)
                              .with_for_update()).scalar_one_or_none()
    if node is None:
        raise referral_errors("unknown_user")
    new_mentor = None
    if new_mentor_id is not None:
        if new_mentor_id == user_id:
            raise referral_errors("self_invite")
        new_mentor = db.session.get(TreeNode, new_mentor_id)
        if new_mentor is None:
            raise referral_errors("unknown_user")
        if new_mentor.path.startswith(node.path):
            raise referral_errors("cycle")  # the new mentor sits in the user's own subtree
    old_path = node.path
    new_path = (new_mentor.path if new_mentor else "/") + f"{user_id}/"
    delta = ((new_mentor.depth + 1) if new_mentor else 0) - node.depth
    low, high = subtree_range(old_path)
    change = MentorChange(user_id=user_id, from_mentor_id=node.mentor_id,
                          to_mentor_id=new_mentor_id, reason=reason[:1000],
                          changed_by_id=changed_by.id if changed_by else None)
    db.session.execute(update(TreeNode).where(TreeNode.path >= low, TreeNode.path < high).values(
        path=literal(new_path) + func.substr(TreeNode.path, len(old_path) + 1),
        depth=TreeNode.depth + delta).execution_options(synchronize_session=False))
    db.session.execute(update(TreeNode).where(TreeNode.user_id == user_id).values(
        mentor_id=new_mentor_id).execution_options(synchronize_session=False))
    db.session.add(change)
    db.session.flush()
    db.session.expire_all()  # paths and depths changed under the loaded nodes
    return change


def _structural(action):
    """Run a tree change under the tree lock (held to the end of the unit of work), in a
    savepoint: a refusal half-way leaves nothing half-moved."""
    _lock_structure()
    with db.session.begin_nested():
        return action()


def reassign_mentor(user_id: int, new_mentor_id: int | None, reason: str,
                    changed_by: User | None) -> MentorChange:
    """Move a user (with their whole subtree) under another mentor, audited, never a cycle.

    The check and the move happen in one transaction under a lock that serialises tree
    changes, so two concurrent reassignments cannot build a cycle between them.
    """
    reason = (reason or "").strip()
    if not reason:
        raise referral_errors("reason_required")
    old_mentor = db.session.scalar(select(TreeNode.mentor_id).where(TreeNode.user_id == user_id))

    def action():
        change = _move(user_id, new_mentor_id, reason, changed_by)
        _reevaluate_mentors([old_mentor, new_mentor_id])
        return change

    return _structural(action)


def _reevaluate_mentors(user_ids) -> None:
    """Both mentors' tiers to re-evaluate, written into the move's own transaction."""
    for user_id in sorted({u for u in user_ids if u is not None}):
        outbox.add(REEVALUATE_TASK, user_id, "mentor reassigned")


def reparent_mentees(mentor_user_id: int, reason: str, changed_by: User | None) -> int:
    """Give a (deactivated) mentor's direct mentees to that mentor's own mentor, in one action."""
    reason = (reason or "").strip()
    if not reason:
        raise referral_errors("reason_required")

    def action():
        node = db.session.get(TreeNode, mentor_user_id)
        if node is None:
            raise referral_errors("unknown_user")
        grand = node.mentor_id
        mentees = list(db.session.scalars(select(TreeNode.user_id).where(
            TreeNode.mentor_id == mentor_user_id)))
        for mentee in mentees:
            _move(mentee, grand, reason, changed_by)
        _reevaluate_mentors([mentor_user_id, grand])
        return len(mentees)

    return _structural(action)


def mentor_changes(user_id: int) -> list[MentorChange]:
    return list(db.session.scalars(select(MentorChange).where(MentorChange.user_id == user_id)
                                   .order_by(MentorChange.changed_at)))
