"""Personal-information requests (PIPL): export one person's data, anonymise an account.

Each domain contributes its own part through app/privacy.py (its `privacy.py` registers what
it exports, how it anonymises and which columns pointing at users it covers); this module
runs them all. Anonymising replaces what identifies the person and keeps every row that
statistics count (enrolments, progress, attempts, certificates, the tree node), so totals stay
correct. Certificates stay valid — they record training that happened, and mentors' tiers
count them — but carry a placeholder instead of the name.
"""
from __future__ import annotations

from sqlalchemy import select, update

from .. import privacy
from ..clock import utcnow
from ..extensions import db
from ..privacy import ANONYMISED_NAME, when
from .administration import audit, clean_reason
from .models import AccountAudit, PasswordReset, SignInSession, User
from .errors import account_errors
from .signins import end_all_sessions

EXPORT_FORMAT = "smallb-personal-data/1"
__all__ = ["ANONYMISED_NAME", "EXPORT_FORMAT", "anonymise", "export_personal_data", "personal_data"]


def _account_data(user: User) -> dict:
    session = db.session

    def audit_entry(a):
        return {"action": a.action, "details": a.details, "reason": a.reason, "at": when(a.created_at),
                "user_id": a.user_id, "actor_id": a.actor_id}

    def reset(r):
        return {"channel": r.channel, "user_id": r.user_id, "issued_by_id": r.issued_by_id,
                "created_at": when(r.created_at), "expires_at": when(r.expires_at),
                "used_at": when(r.used_at)}
    audit_order = (AccountAudit.created_at, AccountAudit.id)
    reset_order = (PasswordReset.created_at, PasswordReset.id)
    return {
        "profile": {
            "id": user.id, "display_name": user.display_name, "email": user.email,
            "phone": user.phone, "external_id": user.external_id, "role": user.role,
            "language": user.locale, "active": user.active, "created_at": when(user.created_at),
            "anonymised_at": when(user.anonymised_at)},
        "account_actions": [audit_entry(a) for a in session.scalars(
            select(AccountAudit).where(AccountAudit.user_id == user.id).order_by(*audit_order))],
        "account_actions_taken_by_them": [audit_entry(a) for a in session.scalars(
            select(AccountAudit).where(AccountAudit.actor_id == user.id).order_by(*audit_order))],
        "sign_in_sessions": [
            {"device": s.device, "browser": s.browser, "network": s.network,
             "signed_in_at": when(s.created_at), "last_seen_at": when(s.last_seen_at),
             "ended_at": when(s.revoked_at)}
            for s in session.scalars(select(SignInSession).where(SignInSession.user_id == user.id)
                                     .order_by(SignInSession.created_at, SignInSession.id))],
        "password_resets": [reset(r) for r in session.scalars(
            select(PasswordReset).where(PasswordReset.user_id == user.id).order_by(*reset_order))],
        "reset_links_issued_by_them": [reset(r) for r in session.scalars(
            select(PasswordReset).where(PasswordReset.issued_by_id == user.id).order_by(*reset_order))],
    }


def _anonymise_account_records(user: User, traces: list[str]) -> None:
    for entry in db.session.scalars(select(AccountAudit).where(AccountAudit.user_id == user.id)):
        entry.reason = privacy.scrub(entry.reason, traces)
        entry.details = privacy.scrub_json(entry.details, traces)
    # Where they signed in from is theirs too.
    db.session.execute(update(SignInSession).where(SignInSession.user_id == user.id).values(network=""))


privacy.register("accounts", export=_account_data, anonymise=_anonymise_account_records,
                 covers={"account_audit.user_id", "account_audit.actor_id",
                         "sign_in_sessions.user_id", "password_resets.user_id",
                         "password_resets.issued_by_id"})


def personal_data(user: User) -> dict:
    """Everything the portal holds about one person, as plain JSON-ready data: every
    registered domain's part."""
    data = {"format": EXPORT_FORMAT, "exported_at": when(utcnow())}
    for provider in privacy.providers():
        data.update(provider.export(user))
    return data


def export_personal_data(user: User, reason: str, actor: User) -> dict:
    """The data for an access request; the export itself is audited (who saw it, why)."""
    reason = clean_reason(reason)
    data = personal_data(user)
    audit(user.id, actor, "exported", reason)
    return data


def anonymise(user: User, reason: str, confirmation: str, actor: User) -> None:
    """Replace the person's personal data with placeholders, for good, in one transaction.

    Removed: name (also on certificates and in mentees' reminders from them), phone, email,
    external id, password (unusable), invite code (unfindable), free-text mentions in audit
    reasons, webhook payloads and typed quiz answers. Kept: the user row and every training
    row keyed to it (checklist ticks too: item ids, no personal text), the tree node and tier,
    certificates (valid, without the name), so totals do not change.
    """
    reason = clean_reason(reason)
    if confirmation.strip().lstrip("#") != str(user.id):
        raise account_errors("confirm_anonymise")
    if user.anonymised_at is not None:
        raise account_errors("anonymised")
    if user.id == actor.id:
        raise account_errors("own_account")
    # Every form the person's identity took: current and earlier names, phone, email, id.
    traces = {user.display_name, user.email, user.phone, user.external_id}
    for provider in privacy.providers():
        if provider.traces:
            traces |= set(provider.traces(user))
    if user.phone:
        traces.add(user.phone.removeprefix("+86"))
    traces = sorted((s for s in traces if s and len(s) >= 2 and s != ANONYMISED_NAME),
                    key=len, reverse=True)  # longest first: a name inside an email goes last
    for provider in privacy.providers():
        if provider.anonymise:
            provider.anonymise(user, traces)

    user.display_name = ANONYMISED_NAME
    # A reserved domain (RFC 2606) that sign-up refuses: unique, never deliverable.
    user.email = f"anonymised-{user.id}@anonymised.invalid"
    user.phone = None
    user.external_id = None
    user.password_hash = "!anonymised"  # no password hashes to this
    user.active = False
    end_all_sessions(user)  # signed out everywhere
    user.anonymised_at = utcnow()
    audit(user.id, actor, "anonymised", privacy.scrub(reason, traces))
