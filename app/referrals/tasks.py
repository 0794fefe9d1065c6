"""Tier re-evaluation as Celery tasks, started by the events that can change a tier."""
from celery import shared_task
from sqlalchemy.exc import OperationalError

from ..certificates.signals import certificate_changed
from . import tiers


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=2,
             retry_backoff_max=300, max_retries=8)
def reevaluate_tier_task(user_id: int, reason: str):
    return tiers.reevaluate(user_id, reason)


@certificate_changed.connect
def _on_certificate_changed(_sender, user_id: int, change: str, **_event):
    reevaluate_tier_task.delay(user_id, f"certificate {change}")
