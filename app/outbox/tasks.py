"""The relay as a Celery beat task: start every due outbox row (the broker may have been
down when the request that wrote it tried)."""
from datetime import timedelta

from celery import shared_task

from . import services

RELAY_TASK = "outbox.relay"


@shared_task(name=RELAY_TASK, ignore_result=True)
def relay_outbox_task():
    report = services.drain()
    return {"started": len(report.started), "failed": len(report.failed)}


def schedule_relay(app) -> None:
    """Put the relay on celery beat's schedule (OUTBOX_RELAY_SECONDS, default 10)."""
    celery_app = app.extensions["celery"]
    schedule = dict(celery_app.conf.beat_schedule or {})
    # Expires: a relay run that waited longer than a period behind a stopped broker is
    # superseded by the next one.
    seconds = app.config["OUTBOX_RELAY_SECONDS"]
    schedule["outbox-relay"] = {"task": RELAY_TASK, "schedule": timedelta(seconds=seconds),
                                "options": {"expires": seconds}}
    celery_app.conf.beat_schedule = schedule
