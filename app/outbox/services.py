"""Write side effects into the outbox with the fact; start them after the commit.

`add()` puts a task and its arguments in the session, so the row commits (or rolls back)
with the fact it follows from. After the unit of work commits (app/transactions.py: the
request, task or command), `release()` starts what it wrote. How depends on OUTBOX_RELAY:

- celery: publish each task to the broker, from a thread of the web process after the
  response (outside requests: in place); a row the broker refused stays due, and the
  thread, beat's relay or `flask outbox drain` sends it later.
- thread: the embedded default without a broker. A thread in the web process runs the
  tasks after the response, so a learner's request never waits for a shop's webhook.
  Outside a request (commands, the thread itself) the tasks run in place.
- inline: run the tasks in place right away (the test suite: results are visible at once).

Every task started this way must be safe to run twice: a relay that dies between starting
a task and stamping sent_at starts it again when its claim runs out.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import delete, func, inspect, or_, select, update

from .. import transactions
from ..clock import utcnow
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

MODES = ("celery", "thread", "inline")
LEASE = timedelta(seconds=120)  # longer than any task takes (a webhook try is 10 s)
# A task handed to the broker is republished if no worker reports it done by then: longer
# than the visibility timeout plus a task's own retries (8, at most a minute apart).
IN_FLIGHT = timedelta(minutes=15)
MAX_ATTEMPTS = 20  # 5 s doubling to 10 min: about two and a half hours of tries
POLL_SECONDS = 15  # the web-process thread looks for due rows this often when idle


def key_of(task: str, args) -> str:
    return ":".join([task, *(str(arg) for arg in args)])[:200]


def add(task: str, *args, delay_seconds: int = 0) -> OutboxMessage:
    """Record that `task(*args)` must run once this transaction commits."""
    now = utcnow()
    message = OutboxMessage(task=task, args=list(args), key=key_of(task, args), created_at=now,
                            available_at=now + timedelta(seconds=delay_seconds))
    db.session.add(message)
    db.session.info.setdefault("outbox", []).append(message)
    return message


def pending(task: str, *args) -> bool:
    """Whether `task(*args)` is written down and not yet done (nor given up on)."""
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.key == key_of(task, args), OutboxMessage.sent_at.is_(None),
        OutboxMessage.parked_at.is_(None))) > 0


def mode(app=None) -> str:
    return (app or current_app).config["OUTBOX_RELAY"]


def release() -> None:
    """Start what this session's committed transaction wrote. Never raises: what cannot be
    started now stays due for the relay, and the caller's request goes on."""
    # The ids from the identity map: reading m.id after the commit would open a transaction.
    ids = [state.identity[0] for state in map(inspect, db.session.info.pop("outbox", []))
           if state.identity]
    if not ids:
        return
    if _queue.active:  # a task run by a drain in this thread wrote more: that drain goes on
        _queue.ids.extend(ids)
        return
    if has_request_context() and mode() in ("thread", "celery"):
        # Never in the request itself: not the tasks (thread), and not even the publishing
        # (celery) — a broker that hangs instead of refusing held a submit past 60 s.
        relay_thread(current_app._get_current_object()).wake()
        return
    try:
        drain(ids)
    except Exception:  # the facts are committed; the rows wait for the relay
        log.exception("outbox: could not start %d task(s) now; the relay will", len(ids))
        db.session.rollback()


def forget() -> None:
    """The transaction rolled back: what it wrote into the outbox is gone with it."""
    db.session.info.pop("outbox", None)


transactions.after_commit(release)
transactions.after_rollback(forget)


@dataclass
class Report:
    started: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class _Queue(threading.local):
    active = False
    ids: list


_queue = _Queue()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


def drain(ids: list[int] | None = None, limit: int = 500) -> Report:
    """Start due rows (those given, or all due), each once; tasks they run may add more."""
    report = Report()
    if ids is None:
        now = utcnow()
        ids = list(db.session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_(None),
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
            .order_by(OutboxMessage.id).limit(limit)))
        db.session.commit()  # the relay is its own unit of work, row by row
    _queue.active, _queue.ids = True, list(ids)
    try:
        while _queue.ids:
            _start(_queue.ids.pop(0), report)
    finally:
        _queue.active, _queue.ids = False, []
    return report


def _claim(message_id: int):
    """Take the row for LEASE, or None when it was sent or another relay holds it."""
    now = utcnow()
    claimed = db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
        OutboxMessage.parked_at.is_(None), OutboxMessage.available_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(locked_until=now + LEASE, attempts=OutboxMessage.attempts + 1)).rowcount
    row = None
    if claimed == 1:
        row = db.session.execute(select(OutboxMessage.task, OutboxMessage.args,
                                        OutboxMessage.attempts)
                                 .where(OutboxMessage.id == message_id)).one()
    # Plain values, and no transaction left open while the task runs (on SQLite an open
    # write transaction here would block the task's own).
    db.session.commit()
    return row


def _start(message_id: int, report: Report) -> None:
    row = _claim(message_id)
    if row is None:
        return
    task_name, args, attempts = row
    label = key_of(task_name, args)
    try:
        published = _run(task_name, args, message_id)
    except Exception as error:
        db.session.rollback()
        from celery.exceptions import NotRegistered

        give_up = isinstance(error, NotRegistered) or attempts >= MAX_ATTEMPTS
        (log.error if give_up else log.warning)(
            "outbox: %s failed (attempt %d)%s: %s", label, attempts,
            ", parked" if give_up else "", error)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
            locked_until=None, available_at=utcnow() + backoff(attempts),
            parked_at=utcnow() if give_up else None,
            last_error=f"{type(error).__name__}: {error}"[:1000]))
        report.failed.append(label)
    else:
        # Ran here: done. Published: held IN_FLIGHT until the worker says done (mark_done),
        # else published again — a task lost after the broker took it is not lost for good.
        if not published:
            values = {"sent_at": utcnow(), "locked_until": None, "last_error": None}
        elif attempts > 1 and attempts >= MAX_ATTEMPTS:  # published that often, never done
            values = {"parked_at": utcnow(), "locked_until": None,
                      "last_error": f"published {attempts} times; no worker reported it done"}
        else:
            values = {"locked_until": utcnow() + IN_FLIGHT, "last_error": None if attempts == 1
                      else f"published again (try {attempts}): no worker reported it done"}
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(**values))
        report.started.append(label)
    db.session.commit()


def _run(task_name: str, args: list, message_id: int) -> bool:
    """Start the task; True when it went to the broker (done later), False when it ran."""
    celery_app = current_app.extensions["celery"]
    task = celery_app.tasks[task_name]
    if mode() == "celery":
        # No publish retries: a broker that is down fails fast, and the row stays due.
        task.apply_async(args=args, kwargs={OUTBOX_KWARG: message_id}, retry=False)
        return True
    task(*args)  # in place, in its own app context; exceptions come back here
    return False


OUTBOX_KWARG = "_outbox_id"  # background.FlaskTask takes it off and calls mark_done


def mark_done(message_id: int) -> None:
    """A worker ran the row's task to the end."""
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=utcnow(), locked_until=None))  # committed with the task's own work


def parked() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.parked_at.is_not(None), OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)))


def retry(ids: list[int] | None) -> int:
    """Put parked rows (these, or all) back in line, with a fresh count."""
    statement = update(OutboxMessage).where(OutboxMessage.parked_at.is_not(None),
                                            OutboxMessage.sent_at.is_(None))
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    return db.session.execute(statement.values(parked_at=None, attempts=0,
                                               available_at=utcnow())).rowcount


def discard(ids: list[int]) -> int:
    """Delete parked rows: their side effect is abandoned (say why in the operator's log)."""
    return db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.parked_at.is_not(None))).rowcount


def status() -> dict:
    """What the relay still has to do: due rows, the oldest one's age, rows failing, and
    rows parked (given up on, waiting for an operator)."""
    now = utcnow()
    due = (OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_(None))
    count, oldest = db.session.execute(select(func.count(), func.min(OutboxMessage.created_at))
                                       .where(*due)).one()
    failing = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        *due, OutboxMessage.last_error.is_not(None)))
    parked_count = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_not(None)))
    return {"pending": count, "failing": failing, "parked": parked_count,
            "oldest_seconds": int((now - oldest).total_seconds()) if oldest else 0}


def prune(older_than_days: int = 30) -> int:
    """Drop rows sent long ago (the facts themselves are kept in their own tables)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    return db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff)).rowcount


# The web process's relay thread (OUTBOX_RELAY=thread) ---------------------------------

class RelayThread:
    def __init__(self, app):
        self.app, self.pid, self.stopped = app, os.getpid(), False
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.event.set()

    def stop(self) -> None:
        self.stopped = True
        self.event.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        poll = self.app.config.get("OUTBOX_POLL_SECONDS", POLL_SECONDS)
        while not self.stopped:
            self.event.wait(poll)
            self.event.clear()
            if self.stopped:
                break
            with self.app.app_context():
                try:
                    drain()
                except Exception:
                    log.exception("outbox relay thread: drain failed; trying again later")
                finally:
                    db.session.remove()


_threads: dict[int, RelayThread] = {}
_threads_lock = threading.Lock()


def relay_thread(app) -> RelayThread:
    """This process's thread for the app (started on first use: after a fork, anew)."""
    with _threads_lock:
        thread = _threads.get(id(app))
        if thread is None or thread.pid != os.getpid() or not thread.thread.is_alive():
            thread = _threads[id(app)] = RelayThread(app)
        return thread


def start_relay_with_requests(app) -> None:
    """OUTBOX_RELAY=thread: every web process polls from its first request on, not only once
    it has written a row itself, so rows another process left due (a CLI command's, a retry
    of a worker since recycled) are sent too."""
    if mode(app) != "thread":
        return

    @app.before_request
    def _relay_polls():
        thread = _threads.get(id(app))
        if thread is None or thread.pid != os.getpid():
            relay_thread(app)


def stop_relay_threads() -> None:
    """Stop this process's relay threads (tests, between apps)."""
    with _threads_lock:
        threads = list(_threads.values())
        _threads.clear()
    for thread in threads:
        thread.stop()
