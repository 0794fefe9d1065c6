"""Tier re-evaluation as a Celery task, started (through the outbox) by the events that
can change a tier."""
from celery import shared_task
from sqlalchemy.exc import OperationalError

from ..certificates.signals import certificate_changed
from ..outbox import services as outbox
from . import tiers
from .services import REEVALUATE_TASK


@shared_task(name=REEVALUATE_TASK, acks_late=True, autoretry_for=(OperationalError,),
             retry_backoff=2, retry_backoff_max=60, max_retries=8)
def reevaluate_tier_task(user_id: int, reason: str):
    return tiers.reevaluate(user_id, reason)


@certificate_changed.connect
def _on_certificate_changed(_sender, user_id: int, change: str, **_event):
    # Inside the certificate's transaction: the re-evaluation commits with it.
    outbox.add(REEVALUATE_TASK, user_id, f"certificate {change}")
