"""Celery wired the Flask way: tasks run inside the app context; eager when no broker is set."""
from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_config(config) -> dict:
    broker = config.get("CELERY_BROKER_URL")
    return {
        "broker_url": broker or "memory://localhost/",
        "result_backend": None,
        "task_ignore_result": True,
        # Embedded default: run tasks in-process. A configuration, not a separate code path.
        "task_always_eager": not broker,
        "task_eager_propagates": True,
        # Tasks that must not be lost set acks_late; a killed worker then hands the task back.
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # Redis hands a task whose worker died to another worker once it has been
        # unacknowledged this long (checked every unacked_restore_interval seconds).
        "broker_transport_options": {
            "visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT", 60)),
            "unacked_restore_interval": min(10, int(config.get("CELERY_VISIBILITY_TIMEOUT", 60))),
            "unacked_restore_throttle": 1,
            # Publishing to a broker that is down fails after one quick retry instead of
            # kombu's default of about 6 s of retries: the outbox keeps the row and the
            # relay sends it later, so the request need not wait (a learner's submit did).
            "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
            # A broker that hangs (paused, a partition) rather than refuses: give up too.
            "socket_connect_timeout": 2, "socket_timeout": 5,
        },
        "task_default_queue": "smallb",
    }


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        typing = False  # the outbox adds _outbox_id, which no task's run() declares

        def __call__(self, *args, **kwargs):
            # Started from the outbox: say when it is done, so a task lost on the way is
            # published again (app/outbox/services.py).
            outbox_id = kwargs.pop("_outbox_id", None)
            # The task is one unit of work (app/transactions.py): its writes and the outbox
            # row's "done" commit together, or neither does.
            from .transactions import commit, rollback

            with app.app_context():
                try:
                    result = self.run(*args, **kwargs)
                    if outbox_id is not None:
                        from .outbox.services import mark_done

                        mark_done(outbox_id)
                except BaseException:
                    rollback()
                    raise
                commit()
                return result

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
