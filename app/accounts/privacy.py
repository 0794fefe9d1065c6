"""Personal-information requests (PIPL): export one person's data, anonymise an account.

Anonymising replaces what identifies the person and keeps every row that statistics count
(enrolments, progress, attempts, certificates, the tree node), so totals stay correct.
Certificates stay valid — they record training that happened, and mentors' tiers count them —
but carry a placeholder instead of the name. Higher rooms are imported inside the functions:
accounts is the lowest room.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from ..extensions import db
from .administration import audit, clean_reason
from .models import AccountAudit, PasswordReset, SignInSession, User, utcnow
from .services import AccountError
from .signins import end_all_sessions

# Bilingual like the issuer's name: it is stored data, shown to admins and on certificates.
ANONYMISED_NAME = "已匿名 · Anonymised"
EXPORT_FORMAT = "smallb-personal-data/1"


def _when(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def personal_data(user: User) -> dict:
    """Everything the portal holds about one person, as plain JSON-ready data."""
    from ..api.models import WebhookDelivery
    from ..certificates.models import Certificate
    from ..learning.models import ChecklistTick, Course, Enrolment, Lesson, LessonProgress, Module
    from ..notifications.models import Notification
    from ..quizzes.models import Attempt, AttemptAnswer, AttemptGrant, Quiz
    from ..referrals.models import MentorChange, TierChange, TreeNode

    session = db.session
    courses = {c.id: c for c in session.scalars(select(Course))}
    node = session.get(TreeNode, user.id)
    names = dict(session.execute(select(User.id, User.display_name).where(or_(
        User.id == (node.mentor_id if node else None),
        User.id.in_(select(TreeNode.user_id).where(TreeNode.mentor_id == user.id))))).all())
    mentor = node.mentor_id if node else None
    mentees = sorted(uid for uid in names if uid != mentor)

    attempts = []
    quiz_modules = dict(session.execute(select(Quiz.id, Module.slug).join(
        Module, Module.id == Quiz.module_id)).all())
    quiz_courses = dict(session.execute(select(Quiz.id, Module.course_id).join(
        Module, Module.id == Quiz.module_id)).all())
    for attempt in session.scalars(select(Attempt).where(Attempt.user_id == user.id)
                                   .order_by(Attempt.started_at, Attempt.id)):
        answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                  .order_by(AttemptAnswer.question_id))
        course = courses.get(quiz_courses.get(attempt.quiz_id))
        attempts.append({
            "course": course.slug if course else None, "module": quiz_modules.get(attempt.quiz_id),
            "number": attempt.number, "state": attempt.state,
            "started_at": _when(attempt.started_at), "submitted_at": _when(attempt.submitted_at),
            "score": attempt.score, "max_score": attempt.max_score, "percent": attempt.percent,
            "passed": attempt.passed,
            "answers": [{"question": a.question_id, "response": a.response,
                         "saved_at": _when(a.saved_at), "late_response": a.late_response,
                         "late_saved_at": _when(a.late_saved_at)} for a in answers]})

    progress = session.execute(
        select(LessonProgress.read_at, Lesson.slug, Lesson.course_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id).order_by(LessonProgress.read_at))
    deliveries = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.payload["user_id"].as_integer() == user.id)
        .order_by(WebhookDelivery.created_at))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _when(utcnow()),
        "profile": {
            "id": user.id, "display_name": user.display_name, "email": user.email,
            "phone": user.phone, "external_id": user.external_id, "role": user.role,
            "language": user.locale, "active": user.active, "created_at": _when(user.created_at),
            "anonymised_at": _when(user.anonymised_at)},
        "mentor_tree": None if node is None else {
            "invite_code": node.invite_code, "joined_at": _when(node.joined_at),
            "tier": node.tier, "depth": node.depth,
            "mentor": {"id": mentor, "name": names.get(mentor)} if mentor else None,
            "direct_mentees": [{"id": uid, "name": names[uid]} for uid in mentees]},
        "mentor_changes": [
            {"from_mentor_id": c.from_mentor_id, "to_mentor_id": c.to_mentor_id,
             "reason": c.reason, "changed_at": _when(c.changed_at)}
            for c in session.scalars(select(MentorChange).where(MentorChange.user_id == user.id)
                                     .order_by(MentorChange.changed_at))],
        "tier_history": [
            {"from": c.from_tier, "to": c.to_tier, "reason": c.reason, "changed_at": _when(c.changed_at)}
            for c in session.scalars(select(TierChange).where(TierChange.user_id == user.id)
                                     .order_by(TierChange.changed_at, TierChange.id))],
        "enrolments": [
            {"course": courses[e.course_id].slug, "started_at": _when(e.started_at),
             "last_activity_at": _when(e.last_activity_at), "completed_at": _when(e.completed_at)}
            for e in session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                     .order_by(Enrolment.started_at))],
        "lessons_read": [{"course": courses[course_id].slug, "lesson": slug, "read_at": _when(at)}
                         for at, slug, course_id in progress],
        "checklist_ticks": [
            {"course": t.course_slug, "lesson": t.lesson_slug, "item": t.item_id,
             "ticked_at": _when(t.ticked_at)}
            for t in session.scalars(select(ChecklistTick).where(ChecklistTick.user_id == user.id)
                                     .order_by(ChecklistTick.ticked_at, ChecklistTick.id))],
        "quiz_attempts": attempts,
        "certificates": [
            {"code": c.code, "course": courses[c.course_id].slug, "name_on_certificate": c.learner_name,
             "generation": c.generation, "issued_at": _when(c.issued_at),
             "completed_at": _when(c.completed_at), "revoked_at": _when(c.revoked_at),
             "revoked_reason": c.revoked_reason}
            for c in session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                     .order_by(Certificate.issued_at))],
        "notifications": [
            {"kind": n.kind, "payload": n.payload, "created_at": _when(n.created_at),
             "read_at": _when(n.read_at)}
            for n in session.scalars(select(Notification).where(Notification.user_id == user.id)
                                     .order_by(Notification.created_at, Notification.id))],
        "shared_with_the_shop": [
            {"event": d.event, "payload": d.payload, "status": d.status,
             "created_at": _when(d.created_at)} for d in deliveries],
        "account_actions": [
            {"action": a.action, "details": a.details, "reason": a.reason, "at": _when(a.created_at)}
            for a in session.scalars(select(AccountAudit).where(AccountAudit.user_id == user.id)
                                     .order_by(AccountAudit.created_at, AccountAudit.id))],
        "sign_in_sessions": [
            {"device": s.device, "browser": s.browser, "network": s.network,
             "signed_in_at": _when(s.created_at), "last_seen_at": _when(s.last_seen_at),
             "ended_at": _when(s.revoked_at)}
            for s in session.scalars(select(SignInSession).where(SignInSession.user_id == user.id)
                                     .order_by(SignInSession.created_at, SignInSession.id))],
        "password_resets": [
            {"channel": r.channel, "issued_by_id": r.issued_by_id, "created_at": _when(r.created_at),
             "expires_at": _when(r.expires_at), "used_at": _when(r.used_at)}
            for r in session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id)
                                     .order_by(PasswordReset.created_at, PasswordReset.id))],
        "extra_quiz_attempts_given": [
            {"course": getattr(courses.get(quiz_courses.get(g.quiz_id)), "slug", None),
             "module": quiz_modules.get(g.quiz_id), "after_attempts": g.after_attempts,
             "granted_by_id": g.granted_by_id, "reason": g.reason, "granted_at": _when(g.granted_at)}
            for g in session.scalars(select(AttemptGrant).where(AttemptGrant.user_id == user.id)
                                     .order_by(AttemptGrant.granted_at, AttemptGrant.id))],
    }


def export_personal_data(user: User, reason: str, actor: User) -> dict:
    """The data for an access request; the export itself is audited (who saw it, why)."""
    reason = clean_reason(reason)
    data = personal_data(user)
    audit(user.id, actor, "exported", reason)
    db.session.commit()
    return data


def _scrub(text: str | None, traces: list[str]) -> str | None:
    if not text:
        return text
    for secret in traces:
        text = text.replace(secret, ANONYMISED_NAME)
    return text


def _scrub_json(value, traces: list[str]):
    if isinstance(value, str):
        return _scrub(value, traces)
    if isinstance(value, list):
        return [_scrub_json(v, traces) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, traces) for k, v in value.items()}
    return value


def anonymise(user: User, reason: str, confirmation: str, actor: User) -> None:
    """Replace the person's personal data with placeholders, for good, in one transaction.

    Removed: name (also on certificates and in mentees' reminders from them), phone, email,
    external id, password (unusable), invite code (unfindable), free-text mentions in audit
    reasons, webhook payloads and typed quiz answers. Kept: the user row and every training
    row keyed to it (checklist ticks too: item ids, no personal text), the tree node and tier, certificates (valid, without the name), so
    totals do not change.
    """
    from ..api.models import WebhookDelivery
    from ..certificates.models import Certificate
    from ..notifications.models import Notification
    from ..quizzes.models import Attempt, AttemptAnswer, AttemptGrant
    from ..referrals.models import MentorChange, TierChange, TreeNode

    reason = clean_reason(reason)
    if confirmation.strip().lstrip("#") != str(user.id):
        raise AccountError("confirm_anonymise")
    if user.anonymised_at is not None:
        raise AccountError("anonymised")
    if user.id == actor.id:
        raise AccountError("own_account")
    session = db.session
    certificates = list(session.scalars(select(Certificate).where(Certificate.user_id == user.id)))
    # Every form the person's identity took: current and earlier names, phone, email, id.
    traces = {user.display_name, user.email, user.phone, user.external_id,
               *(c.learner_name for c in certificates)}
    if user.phone:
        traces.add(user.phone.removeprefix("+86"))
    traces = sorted((s for s in traces if s and len(s) >= 2 and s != ANONYMISED_NAME),
                     key=len, reverse=True)  # longest first: a name inside an email goes last

    for certificate in certificates:
        certificate.learner_name = ANONYMISED_NAME
        certificate.revoked_reason = _scrub(certificate.revoked_reason, traces)
    node = session.get(TreeNode, user.id)
    if node is not None:
        # Lookups normalise codes to upper-case letters and digits: this one can never match.
        node.invite_code = f"-{user.id}"[:12]
    mentees = {uid for (uid,) in session.execute(select(TreeNode.user_id).where(
        TreeNode.mentor_id == user.id))}
    for change in session.scalars(select(MentorChange).where(or_(
            MentorChange.user_id == user.id, MentorChange.from_mentor_id == user.id,
            MentorChange.to_mentor_id == user.id))):
        change.reason = _scrub(change.reason, traces)
        if user.id in (change.from_mentor_id, change.to_mentor_id):
            mentees.add(change.user_id)
    for change in session.scalars(select(TierChange).where(TierChange.user_id == user.id)):
        change.reason = _scrub(change.reason, traces)
    # Reminders name the mentor who sent them; only this person's (former) mentees got theirs.
    if mentees:
        for notification in session.scalars(select(Notification).where(
                Notification.user_id.in_(mentees), Notification.kind == "nudge")):
            notification.payload = _scrub_json(notification.payload, traces)
    for notification in session.scalars(select(Notification).where(Notification.user_id == user.id)):
        notification.payload = _scrub_json(notification.payload, traces)
    # The shop keeps what it received; our copy loses the external id (the shop's key to them).
    for delivery in session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.payload["user_id"].as_integer() == user.id)):
        payload = _scrub_json(dict(delivery.payload), traces)
        payload["external_id"] = None
        delivery.payload = payload
    for grant in session.scalars(select(AttemptGrant).where(AttemptGrant.user_id == user.id)):
        grant.reason = _scrub(grant.reason, traces) or "-"  # the table requires a reason
    for entry in session.scalars(select(AccountAudit).where(AccountAudit.user_id == user.id)):
        entry.reason = _scrub(entry.reason, traces)
        entry.details = _scrub_json(entry.details, traces)
    # Typed answers can hold the person's own name or number ("add me: 138…"). Scores are
    # stored with the attempt, so scrubbing the text changes no total.
    for answer in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(
            select(Attempt.id).where(Attempt.user_id == user.id)))):
        for field in ("response", "late_response"):
            value = getattr(answer, field)
            scrubbed = _scrub_json(value, traces)
            if scrubbed != value:
                setattr(answer, field, scrubbed)

    user.display_name = ANONYMISED_NAME
    # A reserved domain (RFC 2606) that sign-up refuses: unique, never deliverable.
    user.email = f"anonymised-{user.id}@anonymised.invalid"
    user.phone = None
    user.external_id = None
    user.password_hash = "!anonymised"  # no password hashes to this
    user.active = False
    end_all_sessions(user)  # signed out everywhere
    from sqlalchemy import update

    session.execute(update(SignInSession).where(SignInSession.user_id == user.id)
                    .values(network=""))  # where they signed in from is theirs too
    user.anonymised_at = utcnow()
    audit(user.id, actor, "anonymised", _scrub(reason, traces))
    session.commit()
