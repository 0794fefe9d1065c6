"""Issuing, finding, revoking and re-issuing certificates."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import exists, func, select

from ..accounts.models import User
from ..clock import utcnow
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..learning.models import Course, Enrolment
from ..notifications.services import notify
from ..outbox import services as outbox
from ..quizzes import hooks as quizzes_hooks
from . import status
from .errors import certificate_errors
from .models import Certificate
from .signals import certificate_changed

# Codes people can read aloud and type from paper: no 0/O, 1/I/L or U/V look-alikes,
# 28 characters of 29 symbols = 136 random bits. Older codes (URL-safe base64) stay valid.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 28
ISSUE_TASK = "certificates.issue"  # the Celery task (tasks.py) that runs issue_certificate


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """A new-style code in groups of four for reading (7K3M-Q9XR-…); others as they are."""
    if len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET):
        return "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    return code


def normalised_code(typed: str) -> str:
    """What a person typed, as a new-style code: spaces, dashes and case do not matter."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def issue_certificate(user_id: int, course_id: int) -> Certificate | None:
    """Issue the learner's certificate for a completed course, exactly once.

    Safe to run twice, concurrently, or again after a crash: the insert of generation 1 is
    ignored when a twin got there first, and the notification is written in the same
    transaction as the certificate. Returns None when there is nothing to issue (course not
    completed or grants no certificate).
    """
    course = db.session.get(Course, course_id)
    user = db.session.get(User, user_id)
    completed_at = db.session.scalar(select(Enrolment.completed_at).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id))
    if course is None or user is None or not course.grants_certificate or completed_at is None:
        return None
    code = new_code()
    inserted = insert_ignoring_duplicates(
        Certificate, code=code, user_id=user_id, course_id=course_id, generation=1,
        learner_name=user.display_name, course_title=course.title, issued_at=utcnow(),
        completed_at=completed_at)
    if inserted:
        status.ensure_list(db.session.scalar(select(Certificate.id).where(Certificate.code == code)))
        notify(user_id, "certificate_issued", code=code, course_title=course.title)
        # Receivers write their follow-ups (the tier to re-evaluate) into this transaction.
        certificate_changed.send(None, user_id=user_id, course_id=course_id, change="issued")
    db.session.flush()
    return db.session.execute(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.generation.desc()).limit(1)).scalar_one()


def find_by_code(code: str) -> Certificate | None:
    """The certificate of an exact code (links, QR codes) or of a typed new-style one."""
    if not code or len(code) > 64:
        return None
    found = db.session.execute(select(Certificate).where(Certificate.code == code)).scalar_one_or_none()
    typed = normalised_code(code)
    if found is None and typed != code and len(typed) == CODE_LENGTH:
        found = db.session.execute(select(Certificate).where(Certificate.code == typed)).scalar_one_or_none()
    return found


def certifying_course(course_id: int) -> Course | None:
    """A course whose certificate is an Achievement people may look up: one that grants
    certificates, or granted some (a credential issued then still points at it)."""
    course = db.session.get(Course, course_id)
    if course is None or not (course.grants_certificate or db.session.scalar(
            select(exists().where(Certificate.course_id == course_id)))):
        return None
    return course


@quizzes_hooks.holds_certificate.provide  # who may give another attempt asks it
def holds_certificate(user_id: int, course_id: int) -> bool:
    """Whether she holds a valid (not revoked) certificate of the course."""
    return db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.revoked_at.is_(None))) > 0


def certificates_of(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.issued_at.desc())))


def revoke(certificate: Certificate, reason: str, admin: User | None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise certificate_errors("reason_required")
    if certificate.revoked_at is not None:
        raise certificate_errors("already_revoked")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason[:1000]
    certificate.revoked_by_id = admin.id if admin else None
    db.session.flush()
    status.refresh(certificate)  # the bit every verifier reads; the credential stays as issued
    notify(certificate.user_id, "certificate_revoked", code=certificate.code,
           course_title=certificate.course_title)
    certificate_changed.send(None, change="revoked", user_id=certificate.user_id,
                             course_id=certificate.course_id)
    db.session.flush()


def reissue(certificate: Certificate) -> Certificate:
    """An admin's explicit new certificate after a revocation (never automatic)."""
    latest = db.session.scalar(select(func.max(Certificate.generation)).where(
        Certificate.user_id == certificate.user_id, Certificate.course_id == certificate.course_id))
    if certificate.revoked_at is None or certificate.generation != latest:
        raise certificate_errors("not_revoked")
    user = db.session.get(User, certificate.user_id)
    course = db.session.get(Course, certificate.course_id)
    fresh = Certificate(code=new_code(), user_id=user.id, course_id=course.id,
                        generation=latest + 1, learner_name=user.display_name,
                        course_title=course.title, completed_at=certificate.completed_at)
    db.session.add(fresh)
    db.session.flush()
    status.ensure_list(fresh.id)  # a new certificate, a new bit: the old one stays revoked
    notify(user.id, "certificate_issued", code=fresh.code, course_title=course.title)
    certificate_changed.send(None, change="reissued", user_id=user.id, course_id=course.id)
    db.session.flush()
    return fresh


def backfill(min_age_seconds: int = 60) -> list[tuple[int, int]]:
    """Repair "completed a certificate course, holds no certificate, nothing on its way":
    write the missing issue into the outbox and start it. Completions younger than
    min_age_seconds are left to the relay that is already handling them. Returns the
    (user id, course id) pairs repaired. A revoked certificate is a decision, not a gap."""
    cutoff = utcnow() - timedelta(seconds=min_age_seconds)
    gaps = db.session.execute(
        select(Enrolment.user_id, Enrolment.course_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.completed_at.is_not(None), Enrolment.completed_at <= cutoff,
               Course.grants_certificate.is_(True),
               ~exists().where(Certificate.user_id == Enrolment.user_id,
                               Certificate.course_id == Enrolment.course_id))
        .order_by(Enrolment.completed_at)).all()
    repaired = [(user_id, course_id) for user_id, course_id in gaps
                if not outbox.pending(ISSUE_TASK, user_id, course_id)]
    for user_id, course_id in repaired:
        outbox.add(ISSUE_TASK, user_id, course_id)
    db.session.flush()
    return repaired
