"""The roll-up refresh as a Celery task, run by celery beat every few minutes (or cron)."""
from datetime import timedelta

from celery import shared_task
from sqlalchemy.exc import OperationalError

from .services.refresh import refresh_statistics

REFRESH_TASK = "statistics.refresh"


@shared_task(name=REFRESH_TASK, acks_late=False, autoretry_for=(OperationalError,),
             retry_backoff=5, retry_backoff_max=60, max_retries=3)
def refresh_statistics_task():
    # Acknowledged on receipt: a refresh can outlast the one-minute visibility timeout, and
    # a second copy running beside it would only compete; if its worker dies, beat starts
    # the next one within STATISTICS_REFRESH_MINUTES. Rebuilds everything from the raw
    # tables, so running it again is harmless.
    return refresh_statistics()


def schedule_refresh(app) -> None:
    """Put the refresh on celery beat's schedule (STATISTICS_REFRESH_MINUTES, default 15)."""
    minutes = app.config["STATISTICS_REFRESH_MINUTES"]
    celery_app = app.extensions["celery"]
    schedule = dict(celery_app.conf.beat_schedule or {})
    schedule["statistics-refresh"] = {"task": REFRESH_TASK, "schedule": timedelta(minutes=minutes)}
    celery_app.conf.beat_schedule = schedule
