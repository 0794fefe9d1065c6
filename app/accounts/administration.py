"""Admin operations on accounts: search, role changes, deactivation — each one audited."""
from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import Select, func, select, union

from ..clock import utcnow
from ..extensions import db
from .models import AccountAudit, Role, User
from .errors import account_errors
from .signins import end_all_sessions

SEARCH_LIMIT = 50
REASON_MAX = 1000
_PHONE_TEXT = re.compile(r"^\+?[\d\s\-()]+$")
# Above every character a name can continue with: [q, q + TOP) is "starts with q".
_TOP = "\U0010ffff"

# Rooms above accounts add to the admin's user pages, registered when they are imported
# (accounts imports none of them): a search key turns the search text into a select of user
# ids labelled "id", or None (referrals: invite codes); page facts turn a user id into names
# for the admin's user page (referrals: her node, for the invite code).
_search_keys: list[Callable[[str], Select | None]] = []
_page_facts: list[Callable[[int], dict]] = []


def add_search_key(key: Callable[[str], Select | None]) -> Callable[[str], Select | None]:
    _search_keys.append(key)
    return key


def add_page_facts(facts: Callable[[int], dict]) -> Callable[[int], dict]:
    _page_facts.append(facts)
    return facts


def page_facts(user_id: int) -> dict:
    """What the rooms above accounts show on a person's admin page."""
    shown: dict = {}
    for facts in _page_facts:
        shown.update(facts(user_id))
    return shown


def _starts_with(column, prefix: str):
    """An index-served prefix match: LIKE on PostgreSQL (text_pattern_ops index), a byte-order
    range on SQLite (its LIKE is case-insensitive and would scan the table)."""
    if db.session.get_bind().dialect.name == "postgresql":
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return (column >= prefix) & (column < prefix + _TOP)


def _phone_prefix(text: str) -> str | None:
    if not _PHONE_TEXT.match(text):
        return None
    digits = re.sub(r"[\s\-()]", "", text)
    if len(digits.lstrip("+")) < 3:
        return None
    if digits.startswith("+"):
        return digits
    if digits.startswith("86") and len(digits) > 11:
        return "+" + digits
    return "+86" + digits  # accounts store China mobiles as +86…


def search_selects(query: str) -> list[Select]:
    """One id query per key the text could be: name prefix, phone or email prefix, invite
    code (a search key referrals adds), user number. Each is served by its own index;
    callers union or limit them."""
    text = " ".join((query or "").split())[:64]
    if not text:
        return []
    # Case-blind for names (Latin letters; Chinese has no case), on the lower() index.
    selects = [select(User.id.label("id")).where(
        _starts_with(func.lower(User.display_name), text.lower()))]
    if "@" in text:
        selects.append(select(User.id.label("id")).where(_starts_with(User.email, text.lower())))
    phone = _phone_prefix(text)
    if phone:
        selects.append(select(User.id.label("id")).where(_starts_with(User.phone, phone)))
    for key in _search_keys:
        found = key(text)
        if found is not None:
            selects.append(found)
    number = text.lstrip("#")
    if number.isdigit() and int(number) < 2**31:  # ids are 32-bit integers on PostgreSQL
        selects.append(select(User.id.label("id")).where(User.id == int(number)))
    return selects


def matching_user_ids(query: str):
    """Every matching user id, as a subquery (for filters such as the ledger's learner)."""
    selects = search_selects(query)
    if not selects:
        return None
    return union(*selects).subquery()


def search_users(query: str, limit: int = SEARCH_LIMIT) -> tuple[list[User], bool]:
    """Up to `limit` people matching, ordered by name; True when there were more."""
    ids: set[int] = set()
    for statement in search_selects(query):
        ids.update(db.session.scalars(statement.limit(limit + 1)))
    if not ids:
        return [], False
    people = list(db.session.scalars(select(User).where(User.id.in_(ids))
                                     .order_by(User.display_name, User.id).limit(limit)))
    return people, len(ids) > limit


def audit(user_id: int, actor: User | None, action: str, reason: str, **details) -> AccountAudit:
    entry = AccountAudit(user_id=user_id, actor_id=actor.id if actor else None, action=action,
                         reason=reason, details=details, created_at=utcnow())
    db.session.add(entry)
    return entry


def clean_reason(raw: str | None) -> str:
    reason = " ".join((raw or "").split())
    if not reason:
        raise account_errors("reason_required")
    if len(reason) > REASON_MAX:
        raise account_errors("reason_too_long")
    return reason


def audit_history(user_id: int, limit: int = 100) -> list[AccountAudit]:
    return list(db.session.scalars(select(AccountAudit).where(AccountAudit.user_id == user_id)
                                   .order_by(AccountAudit.created_at.desc(), AccountAudit.id.desc())
                                   .limit(limit)))


def change_role(user: User, role: str, reason: str, actor: User) -> None:
    """Give someone another role; nobody removes their own admin role (no locked-out admin)."""
    if role not in set(Role):
        raise account_errors("unknown_role")
    reason = clean_reason(reason)
    if user.anonymised_at is not None:
        raise account_errors("anonymised")
    if user.id == actor.id and role != Role.ADMIN:
        raise account_errors("own_admin_role")
    if user.role == role:
        raise account_errors("same_role")
    audit(user.id, actor, "role_changed", reason, from_role=user.role, to_role=role)
    user.role = role


def set_active(user: User, active: bool, reason: str, actor: User) -> None:
    """Deactivate (every session of theirs ends at once) or reactivate an account."""
    reason = clean_reason(reason)
    if user.anonymised_at is not None:
        raise account_errors("anonymised")
    if user.id == actor.id:
        raise account_errors("own_account")
    if user.active == active:
        raise account_errors("already_active" if active else "already_inactive")
    audit(user.id, actor, "reactivated" if active else "deactivated", reason)
    user.active = active
    if not active:
        # Every sign-in session row ends and the cookie version is bumped: out everywhere.
        end_all_sessions(user)
