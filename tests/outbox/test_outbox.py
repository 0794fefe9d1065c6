"""The outbox: a completion commits with the certificate it is owed, a broker outage loses
nothing, a slow shop never slows a learner, and the reconciler repairs what is missing."""
from __future__ import annotations

import shutil
import signal
import subprocess
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.certificates.models import Certificate
from app.extensions import db
from app.learning.models import Course, Enrolment
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage
from tests.certificates.conftest import complete_gamma
from tests import engines
from tests.conftest import Auth, make_app
from tests.quizzes.conftest import RIGHT, Learner

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
GAMMA_RULES = """tiers:
  - key: trainee
    name: {zh: 见习店主, en: Trainee}
    requires: {}
    benefits: {commission: {zh: 基础佣金, en: Base commission}}
  - key: certified
    name: {zh: 认证店主, en: Certified seller}
    requires: {certificates: [gamma]}
    benefits: {commission: {zh: 基础佣金 +2%, en: Base commission +2%}}
"""


def counts(app) -> tuple[int, int]:
    """(certificates, outbox rows not yet started)"""
    with unit_of_work(app):
        result = (db.session.scalar(select(func.count()).select_from(Certificate)),
                  db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.sent_at.is_(None))))
        db.session.rollback()
        return result


def test_a_completion_commits_with_the_certificate_it_is_owed(app, client, quiz_learner):
    complete_gamma(quiz_learner)
    with unit_of_work(app):
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.task == "certificates.issue"))
        assert row is not None and row.sent_at is not None and row.attempts == 1
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
        # The certificate's own follow-up (the tier to re-evaluate) went the same way.
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.task == "referrals.reevaluate_tier")) == 1


def test_the_reconciler_repairs_a_hand_made_gap_and_says_what_it_did(app, make_user, imported):
    user_id = make_user("gap@example.com")
    with unit_of_work(app):
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "gamma"))
        db.session.add(Enrolment(user_id=user_id, course_id=course_id, completed_at=func.now()))
        db.session.commit()  # completed, no certificate, nothing on its way: the lost kind
    result = app.test_cli_runner().invoke(args=["certificates", "backfill", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert f"repaired: user {user_id}, course {course_id}" in result.output
    assert "1 missing certificate(s) repaired" in result.output
    assert counts(app) == (1, 0)
    again = app.test_cli_runner().invoke(args=["certificates", "backfill", "--min-age", "0"])
    assert "0 missing certificate(s) repaired" in again.output and counts(app) == (1, 0)


def test_the_reconciler_leaves_revoked_and_on_their_way_alone(app, make_user, imported):
    from app.clock import utcnow
    from app.certificates.services import backfill

    waiting, revoked = make_user("waiting@example.com"), make_user("revoked@example.com")
    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == "gamma"))
        for user_id in (waiting, revoked):
            db.session.add(Enrolment(user_id=user_id, course_id=course.id, completed_at=func.now()))
        outbox.add("certificates.issue", waiting, course.id, delay_seconds=3600)  # on its way
        db.session.add(Certificate(code="REVOKED-0000", user_id=revoked, course_id=course.id,
                                   generation=1, learner_name="r", course_title=course.title,
                                   issued_at=utcnow(), revoked_at=utcnow(), revoked_reason="x"))
        db.session.commit()
        assert backfill(min_age_seconds=0) == []


# A shop that answers slowly ------------------------------------------------------------

class SlowShop(BaseHTTPRequestHandler):
    received: list = []
    delay = 3.0

    def do_POST(self):  # noqa: N802
        time.sleep(SlowShop.delay)
        SlowShop.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_shop():
    SlowShop.received = []
    with engines.loopback_server(SlowShop) as url:
        yield url


def test_in_the_embedded_default_a_slow_shop_never_slows_the_submit(app, client, quiz_learner,
                                                                     slow_shop, tmp_path):
    """No broker: the outbox runs in a thread of the web process after the response, so the
    submit that completes the course (certificate, tier, webhook) answers at once."""
    rules = tmp_path / "rules.yml"
    rules.write_text(GAMMA_RULES, encoding="utf-8")
    app.config.update(OUTBOX_RELAY="thread", WEBHOOK_URL=slow_shop, WEBHOOK_SECRET="whsec_" + "c2VjcmV0" * 4,
                      TIER_RULES_PATH=str(rules))
    quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
    quiz_learner.read("gamma", "more")
    attempt_id = quiz_learner.start_attempt_id(module="next")
    started = time.perf_counter()
    response = quiz_learner.submit(attempt_id, {"q-one": "a"})
    submit_seconds = time.perf_counter() - started
    print(f"submit with a 3 s shop, thread relay: {submit_seconds:.3f} s")
    assert response.status_code == 303
    assert submit_seconds < SlowShop.delay / 2, f"the submit took {submit_seconds:.2f} s"
    engines.wait_for(lambda: len(SlowShop.received) == 1, 30, "the webhook, after the response")
    assert counts(app) == (1, 0)


def test_a_web_process_sends_what_another_process_left_due(database_url, imported, slow_shop):
    """A row written by a CLI command (or by a worker since recycled) is sent by a web process
    that never wrote one itself: its relay thread polls from its first request on."""
    import uuid

    from app.api.models import WebhookDelivery

    SlowShop.delay = 0.1
    app = make_app(database_url, OUTBOX_RELAY="thread", OUTBOX_POLL_SECONDS=0.2,
                   WEBHOOK_URL=slow_shop, WEBHOOK_SECRET="whsec_" + "c2VjcmV0" * 4)
    try:
        with unit_of_work(app):  # as `flask certificates revoke` leaves it: committed, due
            delivery = WebhookDelivery(id=str(uuid.uuid4()), event="tier.changed", payload={})
            db.session.add(delivery)
            outbox.add("webhooks.deliver", delivery.id)
            db.session.commit()
            db.session.info.pop("outbox", None)
        assert app.test_client().get("/login").status_code == 200
        engines.wait_for(lambda: len(SlowShop.received) == 1, 30, "the row another process left")
    finally:
        SlowShop.delay = 3.0


# The broker stops between the completion and the certificate ---------------------------

class OwnRedis:
    """A Redis of the test's own on a spare port, to stop and start (never the machine's)."""

    def __init__(self):
        self.port, self.process = engines.free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--save", "",
                                         "--appendonly", "no", "--bind", "127.0.0.1"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        engines.wait_for(lambda: _pings(redis, self.url), 10, "our Redis")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _pings(redis, url) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture
def own_redis():
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(database_url, tmp_path, own_redis):
    processes, logs = [], []

    def start():
        logs.append((tmp_path / "worker.log").open("w"))
        processes.append(engines.start_worker(
            "outbox", logs[-1], DATABASE_URL=database_url, CELERY_BROKER_URL=own_redis.url,
            SECRET_KEY="test-secret", INSTANCE_PATH=str(tmp_path / "instance")))

    yield start
    for process in processes:
        engines.stop_worker(process)
    for log in logs:
        log.close()


def test_a_broker_outage_never_fails_the_learner_and_loses_no_certificate(
        app, database_url, imported, make_user, own_redis, worker):
    broker_app = make_app(database_url, CELERY_BROKER_URL=own_redis.url, OUTBOX_RELAY="celery")
    make_user("learner@example.com")
    client = broker_app.test_client()
    assert Auth(client).login("learner@example.com").status_code == 302
    person = Learner(client)
    assert person.read("gamma", "intro").status_code == 303
    person.submit(person.start_attempt_id(), RIGHT)
    person.read("gamma", "more")
    attempt_id = person.start_attempt_id(module="next")

    own_redis.stop()  # the broker goes away just before the course is finished
    started = time.perf_counter()
    response = person.submit(attempt_id, {"q-one": "a"})
    seconds = time.perf_counter() - started
    print(f"submit with the broker down: {seconds:.3f} s")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert client.get(response.headers["Location"]).status_code == 200
    assert seconds < 5, f"the submit took {seconds:.1f} s with the broker down"
    with broker_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.completed_at.is_not(None))) == 1
        db.session.rollback()

    def refused():  # the relay thread tried to publish after the response, and kept the row
        with broker_app.app_context():
            row = db.session.scalar(select(OutboxMessage).where(
                OutboxMessage.task == "certificates.issue"))
            db.session.rollback()
            return row.sent_at is None and bool(row.last_error)

    engines.wait_for(refused, 30, "the relay's failed try, kept with its reason")
    assert counts(app) == (0, 1)

    own_redis.start()
    worker()
    with broker_app.app_context():
        db.session.execute(OutboxMessage.__table__.update().values(available_at=func.now()))
        db.session.commit()
        report = outbox.drain()  # what beat's relay (or `flask outbox drain`) does
        assert not report.failed, report
    engines.wait_for(lambda: counts(app) == (1, 0), 60, "the certificate, from the worker")
    time.sleep(2)
    assert counts(app)[0] == 1  # exactly once


def test_a_broker_that_hangs_does_not_hold_the_submit(app, database_url, imported, make_user,
                                                       own_redis):
    """Paused (SIGSTOP) rather than stopped, the broker accepts connections and never
    answers: the submit that finishes the course still answers at once."""
    broker_app = make_app(database_url, CELERY_BROKER_URL=own_redis.url, OUTBOX_RELAY="celery")
    make_user("learner@example.com")
    client = broker_app.test_client()
    assert Auth(client).login("learner@example.com").status_code == 302
    person = Learner(client)
    person.read("gamma", "intro")
    person.submit(person.start_attempt_id(), RIGHT)
    person.read("gamma", "more")
    attempt_id = person.start_attempt_id(module="next")
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        started = time.perf_counter()
        response = person.submit(attempt_id, {"q-one": "a"})
        seconds = time.perf_counter() - started
        print(f"submit with the broker paused: {seconds:.3f} s")
        assert response.status_code == 303 and seconds < 2, seconds
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    outbox.stop_relay_threads()  # its try against the paused broker ends within the timeouts
    with broker_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.task == "certificates.issue")) == 1  # kept, whatever the try did


def test_with_redis_down_logging_in_still_works(database_url, imported, make_user, own_redis):
    """Rate limits and login back-off live in Redis when REDIS_URL is set: with it stopped,
    the right password gets in and a wrong one is told so (no 500), limits in memory."""
    limited = make_app(database_url, RATELIMIT_STORAGE_URI=own_redis.url)
    make_user("lin@example.com")
    own_redis.process.send_signal(signal.SIGSTOP)  # hangs first: each login pays little
    try:
        started = time.perf_counter()
        assert Auth(limited.test_client()).login("lin@example.com").status_code == 302
        assert Auth(limited.test_client()).login("lin@example.com").status_code == 302
        hung = time.perf_counter() - started
        print(f"two logins with Redis hanging: {hung:.2f} s")
        assert hung < 6, hung
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    own_redis.stop()
    client = limited.test_client()
    assert Auth(client).login("lin@example.com", "wrong-password-1").status_code == 401
    assert Auth(client).login("lin@example.com").status_code == 302
    statuses = [Auth(limited.test_client()).login("lin@example.com", f"wrong-{n}-xyzzy").status_code
                for n in range(7)]
    assert 429 in statuses and 500 not in statuses  # the per-address limit, from memory
    make_app(database_url)  # bind the shared limiter to memory again before Redis goes


def test_a_row_that_cannot_start_is_parked_and_can_be_retried_or_discarded(app):
    """An unknown task (renamed in a deploy) is parked at once; one that keeps failing after
    MAX_ATTEMPTS; neither is tried forever, both are listed, put back or dropped by hand."""
    runner = app.test_cli_runner()

    @app.extensions["celery"].task(name="tests.always_fails")
    def always_fails(n):
        raise RuntimeError(f"broken {n}")

    with unit_of_work(app):
        outbox.add("no.such.task", 1)
        outbox.add("tests.always_fails", 2)
        db.session.commit()
        failing_id = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.task == "tests.always_fails"))
        db.session.execute(OutboxMessage.__table__.update().where(
            OutboxMessage.id == failing_id).values(attempts=outbox.MAX_ATTEMPTS - 1))
        db.session.commit()
        outbox.drain()
    listed = runner.invoke(args=["outbox", "parked"])
    assert "no.such.task:1" in listed.output and "NotRegistered" in listed.output
    assert "2 parked row(s)" in listed.output
    assert "parked 2" in runner.invoke(args=["outbox", "status"]).output
    assert "0 started, 0 failed" in runner.invoke(args=["outbox", "drain"]).output  # left alone
    with unit_of_work(app):
        unknown_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.task == "no.such.task"))
    assert "1 row(s) back in line" in runner.invoke(args=["outbox", "retry", str(failing_id)]).output
    assert "1 parked row(s) discarded" in runner.invoke(args=["outbox", "discard", str(unknown_id)]).output
    # Ids a database cannot hold, or ids with --all, are a usage error, not a traceback.
    for args in (["retry", str(2**64)], ["discard", "0"], ["retry", "-5"], ["retry", "3", "--all"]):
        refused = runner.invoke(args=["outbox", *args])
        assert refused.exit_code == 2 and refused.exception is None or isinstance(refused.exception, SystemExit), args
        assert "Traceback" not in refused.output and "Error" in refused.output, args


def test_a_published_task_that_no_worker_finishes_is_published_again(app, database_url, imported,
                                                                      make_user, own_redis):
    """Handed to the broker is not done: the row waits IN_FLIGHT for a worker to report it
    done, and is published again when none does (a task lost after the broker took it)."""
    broker_app = make_app(database_url, CELERY_BROKER_URL=own_redis.url, OUTBOX_RELAY="celery")
    user_id = make_user("gap@example.com")
    with broker_app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "gamma"))
        row = outbox.add("certificates.issue", user_id, course_id)
        db.session.commit()
        assert outbox.drain().started  # published; no worker is listening
        stored = db.session.get(OutboxMessage, row.id)
        assert stored.sent_at is None and stored.locked_until is not None and stored.attempts == 1
        assert outbox.drain().started == []  # in flight: not again yet
        stored.locked_until = stored.created_at  # the in-flight time has run out
        db.session.commit()
        assert outbox.drain().started and db.session.get(OutboxMessage, row.id).attempts == 2
        outbox.mark_done(row.id)  # what the worker's task does when it ends
        assert db.session.get(OutboxMessage, row.id).sent_at is not None


def test_a_task_published_again_and_again_is_parked_and_counted_as_failing(
        app, database_url, make_user, own_redis):
    broker_app = make_app(database_url, CELERY_BROKER_URL=own_redis.url, OUTBOX_RELAY="celery")
    with broker_app.app_context():
        row = outbox.add("certificates.issue", 1, 1)
        db.session.commit()
        outbox.drain()
        stored = db.session.get(OutboxMessage, row.id)
        stored.attempts, stored.locked_until = 2, stored.created_at  # no worker said done
        db.session.commit()
        outbox.drain()
        assert outbox.status()["failing"] == 1  # republished: counted, with why
        stored = db.session.get(OutboxMessage, row.id)
        stored.attempts, stored.locked_until = outbox.MAX_ATTEMPTS - 1, stored.created_at
        db.session.commit()
        outbox.drain()
        assert db.session.get(OutboxMessage, row.id).parked_at is not None
        assert outbox.status()["parked"] == 1
