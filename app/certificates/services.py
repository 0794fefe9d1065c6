"""Issuing, finding, revoking and re-issuing certificates."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select

from ..accounts.models import User, utcnow
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..learning.models import Course, Enrolment
from ..notifications.services import notify
from .models import Certificate
from .signals import certificate_changed

CODE_BYTES = 18  # 144 random bits -> 24 URL-safe characters


class CertificateError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


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
        db.session.rollback()  # end the (write) transaction: nothing to issue
        return None
    code = new_code()
    inserted = insert_ignoring_duplicates(
        Certificate, code=code, user_id=user_id, course_id=course_id, generation=1,
        learner_name=user.display_name, course_title=course.title, issued_at=utcnow(),
        completed_at=completed_at)
    if inserted:
        notify(user_id, "certificate_issued", code=code, course_title=course.title)
    db.session.commit()
    if inserted:
        certificate_changed.send(None, user_id=user_id, course_id=course_id, change="issued")
    return db.session.execute(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.generation.desc()).limit(1)).scalar_one()


def find_by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.execute(select(Certificate).where(Certificate.code == code)).scalar_one_or_none()


def certificates_of(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.issued_at.desc())))


def revoke(certificate: Certificate, reason: str, admin: User | None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required")
    if certificate.revoked_at is not None:
        raise CertificateError("already_revoked")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason[:1000]
    certificate.revoked_by_id = admin.id if admin else None
    notify(certificate.user_id, "certificate_revoked", code=certificate.code,
           course_title=certificate.course_title)
    event = {"user_id": certificate.user_id, "course_id": certificate.course_id}
    db.session.commit()
    # Plain values: touching the expired row here would reopen a transaction that an eager
    # task started by a receiver would then wait on.
    certificate_changed.send(None, change="revoked", **event)


def reissue(certificate: Certificate) -> Certificate:
    """An admin's explicit new certificate after a revocation (never automatic)."""
    latest = db.session.scalar(select(func.max(Certificate.generation)).where(
        Certificate.user_id == certificate.user_id, Certificate.course_id == certificate.course_id))
    if certificate.revoked_at is None or certificate.generation != latest:
        raise CertificateError("not_revoked")
    user = db.session.get(User, certificate.user_id)
    course = db.session.get(Course, certificate.course_id)
    fresh = Certificate(code=new_code(), user_id=user.id, course_id=course.id,
                        generation=latest + 1, learner_name=user.display_name,
                        course_title=course.title, completed_at=certificate.completed_at)
    db.session.add(fresh)
    notify(user.id, "certificate_issued", code=fresh.code, course_title=course.title)
    event = {"user_id": user.id, "course_id": course.id}
    db.session.commit()
    certificate_changed.send(None, change="reissued", **event)
    return fresh
