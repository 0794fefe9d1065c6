"""Background work for certificates. Tasks take ids and are safe to run more than once."""
from datetime import timedelta

from celery import shared_task
from sqlalchemy.exc import OperationalError

from ..learning.signals import course_completed
from ..outbox import services as outbox
from . import services

ISSUE_TASK = services.ISSUE_TASK
BACKFILL_TASK = "certificates.backfill"


@shared_task(name=ISSUE_TASK, acks_late=True, autoretry_for=(OperationalError,),
             retry_backoff=2, retry_backoff_max=60, retry_jitter=True, max_retries=8)
def issue_certificate_task(user_id: int, course_id: int):
    # acks_late: a worker killed mid-task leaves the message unacknowledged, so the broker
    # hands it to another worker; issue_certificate is idempotent, so running twice is safe.
    certificate = services.issue_certificate(user_id, course_id)
    return certificate.code if certificate else None


@shared_task(name=BACKFILL_TASK, ignore_result=True)
def backfill_certificates_task():
    return len(services.backfill())


@course_completed.connect
def _on_course_completed(_app, user_id: int, course_id: int, grants_certificate: bool, **_event):
    # Inside the completion's transaction: the certificate to issue commits with it.
    if grants_certificate:
        outbox.add(ISSUE_TASK, user_id, course_id)


def schedule_backfill(app) -> None:
    """Beat runs the reconciler every CERTIFICATE_BACKFILL_MINUTES (default 10)."""
    celery_app = app.extensions["celery"]
    schedule = dict(celery_app.conf.beat_schedule or {})
    schedule["certificates-backfill"] = {
        "task": BACKFILL_TASK,
        "schedule": timedelta(minutes=app.config["CERTIFICATE_BACKFILL_MINUTES"])}
    celery_app.conf.beat_schedule = schedule
