"""What referrals adds to accounts, which knows no room above it: every newcomer's place in
the mentor tree (the registration signals, inside the registration's transaction), and the
invite code in the admin's user search and on her admin page."""
from __future__ import annotations

import re

from sqlalchemy import select

from ..accounts import administration
from ..accounts.models import User
from ..accounts.errors import account_errors
from ..accounts.signals import user_registered, user_registering
from ..domain_errors import DomainError
from ..extensions import db
from .models import TreeNode
from .services import mentor_for_code, place_user

_CODE_TEXT = re.compile(r"^[A-Za-z0-9]{6,12}$")


@user_registering.connect
def _check_invite_code(_app, invite_code: str | None, invite_required: bool, **_event):
    # Before the account is made: a missing, unknown or deactivated code refuses the sign-up.
    try:
        mentor_for_code(invite_code, invite_required)
    except DomainError as error:
        raise account_errors(error.code) from error


@user_registered.connect
def _place_newcomer(_app, user_id: int, invite_code: str | None, **_event):
    # In the registration's transaction: the account and its place commit together.
    try:
        place_user(db.session.get(User, user_id), mentor_for_code(invite_code, required=False))
    except DomainError as error:
        raise account_errors(error.code) from error


@administration.add_search_key
def _invite_code_key(text: str):
    if not _CODE_TEXT.match(text):
        return None
    return select(TreeNode.user_id.label("id")).where(TreeNode.invite_code == text.upper())


@administration.add_page_facts
def _node_on_admin_page(user_id: int) -> dict:
    return {"node": db.session.get(TreeNode, user_id)}
