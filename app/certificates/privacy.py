"""What certificates keep about a person: her certificates (the name on them is a trace of
her identity) and those she revoked as an admin. Anonymising keeps them valid — they record
training that happened, and mentors' tiers count them — with a placeholder for the name."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from ..learning.models import Course
from .models import Certificate


def export_personal_data(user) -> dict:
    slugs = dict(db.session.execute(select(Course.id, Course.slug)).all())
    return {
        "certificates": [
            {"code": c.code, "course": slugs[c.course_id], "name_on_certificate": c.learner_name,
             "generation": c.generation, "issued_at": privacy.when(c.issued_at),
             "completed_at": privacy.when(c.completed_at), "revoked_at": privacy.when(c.revoked_at),
             "revoked_reason": c.revoked_reason}
            for c in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                        .order_by(Certificate.issued_at))],
        "certificates_revoked_by_them": [
            {"code": c.code, "revoked_at": privacy.when(c.revoked_at), "reason": c.revoked_reason}
            for c in db.session.scalars(select(Certificate).where(Certificate.revoked_by_id == user.id)
                                        .order_by(Certificate.revoked_at))],
    }


def traces(user) -> set[str]:
    return set(db.session.scalars(select(Certificate.learner_name).where(Certificate.user_id == user.id)))


def anonymise(user, traces: list[str]) -> None:
    for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)):
        certificate.learner_name = privacy.ANONYMISED_NAME
        certificate.revoked_reason = privacy.scrub(certificate.revoked_reason, traces)


privacy.register("certificates", export=export_personal_data, anonymise=anonymise, traces=traces,
                 covers={"certificates.user_id", "certificates.revoked_by_id"})
