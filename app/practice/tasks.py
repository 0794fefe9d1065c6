"""Review reminders on celery beat: work waiting longer than REVIEW_REMINDER_DAYS reminds its
reviewers once per period (`flask assignments remind` does the same from cron)."""
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from .assignments import remind_waiting

REMIND_TASK = "practice.remind_reviewers"


@shared_task(name=REMIND_TASK, acks_late=True, autoretry_for=(OperationalError,),
             retry_backoff=5, retry_backoff_max=60, max_retries=3)
def remind_reviewers_task() -> int:
    # Safe twice: a reminder row per (version, period) is unique, so a rerun sends nothing.
    return remind_waiting(current_app.config["REVIEW_REMINDER_DAYS"])


def schedule_reminders(app) -> None:
    """Look for waiting reviews every hour; each period of N days reminds once."""
    celery_app = app.extensions["celery"]
    schedule = dict(celery_app.conf.beat_schedule or {})
    schedule["review-reminders"] = {"task": REMIND_TASK, "schedule": timedelta(hours=1)}
    celery_app.conf.beat_schedule = schedule
