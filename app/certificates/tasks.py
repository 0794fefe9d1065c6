"""Background work for certificates. Tasks take ids and are safe to run more than once."""
from celery import shared_task
from sqlalchemy.exc import OperationalError

from ..learning.signals import course_completed
from . import services


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=2,
             retry_backoff_max=300, retry_jitter=True, max_retries=8)
def issue_certificate_task(self, user_id: int, course_id: int):
    # acks_late: a worker killed mid-task leaves the message unacknowledged, so the broker
    # hands it to another worker; issue_certificate is idempotent, so running twice is safe.
    certificate = services.issue_certificate(user_id, course_id)
    return certificate.code if certificate else None


@course_completed.connect
def _on_course_completed(_app, user_id: int, course_id: int, grants_certificate: bool, **_event):
    if grants_certificate:
        issue_certificate_task.delay(user_id, course_id)
