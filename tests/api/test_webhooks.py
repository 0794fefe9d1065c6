"""Tier-change webhooks: Standard Webhooks signatures, verified by a real receiver on
loopback that runs the README's own verification code and the `standardwebhooks` package."""
import base64
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app import transactions
from app.transactions import unit_of_work
from app.accounts.models import User
from app.api import webhooks
from app.api.models import WebhookDelivery
from app.api.webhooks import backoff
from app.extensions import db
from app.referrals import services as tree
from app.referrals import tiers
from tests.conftest import Auth, csrf_token
from tests.referrals.test_tiers import CORE, certify

OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


def readme_verifier():
    """verify_webhook as the README documents it (the code block that defines it)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
               if "def verify_webhook" in block]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (our own README)
    return namespace["verify_webhook"]


class Shop(BaseHTTPRequestHandler):
    """A shop that verifies like the README says: 200 processed, 200 duplicate (not
    processed again), 400 for anything that fails verification."""

    received: ClassVar[list] = []   # (headers, body, answer) of every request
    processed: ClassVar[list] = []  # event ids the shop acted on
    secrets: ClassVar[list] = [OLD]
    seen: ClassVar[set] = set()
    status = None                   # force an answer (a shop that is down)
    verify = staticmethod(readme_verifier())

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Shop.status:
            code, answer = Shop.status, "down"
        else:
            try:
                event_id = Shop.verify(Shop.secrets, self.headers, body, Shop.seen)
                Shop.processed.append(event_id)
                Shop.seen.add(event_id)  # recorded with the work it caused, as the README says
                code, answer = 200, "processed"
            except LookupError:
                code, answer = 200, "duplicate"
            except ValueError as error:
                code, answer = 400, str(error)
        Shop.received.append((self.headers, body, answer))  # case-insensitive lookups
        self.send_response(code)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def shop_server():
    from tests.engines import loopback_server

    Shop.received, Shop.processed, Shop.seen, Shop.status, Shop.secrets = [], [], set(), None, [OLD]
    with loopback_server(Shop) as url:
        yield url


def post(url, headers, body):
    """Send a request to the shop as an attacker would: any headers, any body."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def signed(headers) -> dict:
    return {name: headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}


@pytest.fixture
def certified_person(app, imported):
    from app.learning.models import Course

    with unit_of_work(app):
        for slug in CORE:
            db.session.add(Course(slug=slug, title={"en": slug}, grants_certificate=True))
        user = User(email="p@example.com", display_name="P", password_hash="-", external_id="shop-7")
        db.session.add(user)
        db.session.flush()
        tree.place_user(user, None)
        db.session.commit()
        certify(user.id, CORE)
        return user.id


def test_a_tier_change_is_delivered_signed_and_the_shop_verifies_it(app, certified_person,
                                                                      shop_server):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    with unit_of_work(app):
        assert tiers.reevaluate(certified_person, "certificate issued") == [certified_person]
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "delivered" and delivery.attempts == 1
        delivery_id = delivery.id
    headers, body, answer = Shop.received[0]
    assert answer == "processed" and Shop.processed == [delivery_id]
    assert headers["webhook-id"] == delivery_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    assert "X-SmallB-Delivery" not in headers and "X-SmallB-Signature" not in headers
    # The independent implementation agrees.
    assert Webhook(OLD).verify(body, dict(headers.items()))["id"] == delivery_id
    event = json.loads(body)
    assert event["id"] == delivery_id and event["data"]["to_tier"] == "certified"
    assert event["data"]["external_id"] == "shop-7"


def test_replayed_tampered_and_unsigned_deliveries_are_refused(app, certified_person, shop_server):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
    headers, body, _ = Shop.received[0]
    # Someone who recorded the request sends it again, within the tolerance: a duplicate.
    assert post(shop_server, signed(headers), body) == (200, "duplicate")
    # ... with another body under the same signature.
    tampered = body.replace(b'"certified"', b'"senior_mentor"')
    assert tampered != body
    assert post(shop_server, signed(headers), tampered) == (400, "bad signature")
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD).verify(tampered, signed(headers))
    # ... with a fresh timestamp but the old signature, or a new id to dodge the dedup.
    fresh = {**signed(headers), "webhook-timestamp": str(int(time.time()))}
    assert post(shop_server, {**fresh, "webhook-id": "x" + headers["webhook-id"]}, body)[0] == 400
    assert post(shop_server, {}, body) == (400, "missing webhook headers")
    assert len(Shop.processed) == 1


def test_a_stale_timestamp_is_refused(app, certified_person, shop_server, monkeypatch):
    """A delivery signed more than 5 minutes ago (a replay recorded earlier, or the sender's
    clock far off) is refused by the receiver, and the portal keeps it to try again."""
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    six_minutes_ago = time.time() - 6 * 60
    monkeypatch.setattr(webhooks, "clock", lambda: six_minutes_ago)
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "pending" and delivery.last_error == "HTTP 400"
    headers, body, answer = Shop.received[0]
    assert answer == "stale or future timestamp" and Shop.processed == []
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(OLD).verify(body, signed(headers))


def test_rotation_signs_with_both_secrets_until_the_old_one_is_removed(app, certified_person,
                                                                        shop_server, make_user):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=f"{NEW} {OLD}")
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
    headers, body, answer = Shop.received[0]
    assert answer == "processed"  # the shop still holds only OLD
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (NEW, OLD):  # either secret verifies, in both implementations
        assert readme_verifier()([secret], headers, body, set()) == headers["webhook-id"]
        Webhook(secret).verify(body, signed(headers))
    app.config.update(WEBHOOK_SECRET=NEW)  # the shop switched; the old secret is removed
    Shop.secrets = [NEW]
    with unit_of_work(app):
        mentee = make_user("mentee@example.com")
        tree.reassign_mentor(mentee, certified_person, "rotation", None)
        certify(mentee, CORE)
        tiers.reevaluate(mentee, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
    headers, body, answer = Shop.received[-1]
    assert answer == "processed" and len(headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD).verify(body, signed(headers))


def test_a_missing_or_malformed_secret_refuses_to_start_and_never_sends_unsigned(
        app, certified_person, shop_server, monkeypatch):
    from app import ConfigurationError, create_app

    monkeypatch.setenv("WEBHOOK_URL", shop_server)
    for value in ("", "s3cret", "whsec_" + base64.b64encode(b"short").decode(), "whsec_%%%"):
        monkeypatch.setenv("WEBHOOK_SECRET", value)
        with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
            create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET="s3cret")  # set behind its back
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "pending" and "whsec_" in delivery.last_error
    assert Shop.received == []


def test_the_cli_makes_secrets_in_the_standard_form(runner):
    result = runner.invoke(args=["api", "webhook-secret"])
    secret = result.output.strip()
    assert result.exit_code == 0 and secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    Webhook(secret)  # the independent implementation accepts it


def test_a_shop_that_is_down_loses_nothing(app, certified_person, shop_server, make_user):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    Shop.status = 503
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "pending" and delivery.last_error == "HTTP 503"
        delivery_id = delivery.id
    make_user("admin@example.com", role="admin")
    admin = app.test_client()
    Auth(admin).login("admin@example.com")
    assert delivery_id in admin.get("/admin/webhooks").get_data(as_text=True)
    Shop.status = None
    token = csrf_token(admin, "/admin/webhooks")
    assert admin.post(f"/admin/webhooks/{delivery_id}/retry", data={"csrf_token": token}).status_code == 303
    with unit_of_work(app):
        assert db.session.get(WebhookDelivery, delivery_id).status == "delivered"
    assert len(Shop.received) == 2
    # The same id on every try (the shop deduplicates on it), each try signed afresh.
    assert {h["webhook-id"] for h, _, _ in Shop.received} == {delivery_id}
    assert Shop.processed == [delivery_id]


def test_no_webhook_url_no_deliveries(app, certified_person):
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "x")
        transactions.commit()  # the event's unit ends: its delivery starts
        assert db.session.execute(select(WebhookDelivery)).first() is None


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in range(8)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff(20) == 3600


def test_retries_wait_in_the_outbox_with_backoff_then_give_up_visibly(app, certified_person,
                                                                      shop_server):
    """Each failed try writes the next one into the outbox, due after the backoff (not a
    broker countdown); after the last try the delivery is marked failed, not lost."""
    from app.api.webhooks import DELIVER_TASK, MAX_ATTEMPTS
    from app.outbox import services as outbox
    from app.outbox.models import OutboxMessage

    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    Shop.status = 500
    delays = []
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")  # try 1, at once
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery_id = db.session.execute(select(WebhookDelivery.id)).scalar_one()
        while True:
            waiting = db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.task == DELIVER_TASK, OutboxMessage.sent_at.is_(None))).all()
            if not waiting:
                break
            (row,) = waiting
            delays.append(round((row.available_at - row.created_at).total_seconds()))
            row.available_at = row.created_at  # as if the backoff had passed
            db.session.commit()
            outbox.drain()
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert delays == [backoff(n) for n in range(MAX_ATTEMPTS - 1)]
    assert len(Shop.received) == MAX_ATTEMPTS


class Hostile(BaseHTTPRequestHandler):
    """A receiver that redirects (to an 'internal' address) or drips its answer."""

    mode = "redirect"
    hits: ClassVar[list] = []

    def do_POST(self):  # noqa: N802
        Hostile.hits.append(("POST", self.path))
        self.rfile.read(int(self.headers["Content-Length"]))
        if Hostile.mode == "redirect":
            self.send_response(302)
            self.send_header("Location", self.path + "-internal")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")  # then one header line every half second
        for _ in range(40):
            time.sleep(0.5)
            try:
                self.wfile.write(b"X-Slow: yes\r\n")
                self.wfile.flush()
            except OSError:
                return

    def do_GET(self):  # noqa: N802
        Hostile.hits.append(("GET", self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_server():
    from tests.engines import loopback_server

    Hostile.hits = []
    with loopback_server(Hostile) as url:
        yield url


def test_a_redirect_is_a_failed_try_never_followed(app, certified_person, hostile_server):
    Hostile.mode = "redirect"
    app.config.update(WEBHOOK_URL=hostile_server, WEBHOOK_SECRET=OLD)
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status != "delivered" and delivery.last_status_code == 302
    assert Hostile.hits == [("POST", "/hooks")]  # nothing sent to where it pointed


def test_a_receiver_that_drips_its_answer_gets_one_try_of_ten_seconds(app, certified_person,
                                                                      hostile_server, monkeypatch):
    from app.api import webhooks

    monkeypatch.setattr(webhooks, "TIMEOUT", 2)
    Hostile.mode = "drip"
    app.config.update(WEBHOOK_URL=hostile_server, WEBHOOK_SECRET=OLD)
    started = time.monotonic()
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status != "delivered" and delivery.attempts == 1
    assert time.monotonic() - started < 6  # each header line came within the socket timeout


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://shop.example/hooks", "not a url",
                                 "https:///no-host"])
def test_a_webhook_url_that_is_not_http_refuses_to_start(url):
    from app.config import ConfigurationError
    from tests.conftest import make_app

    with pytest.raises(ConfigurationError, match="WEBHOOK_URL must be"):
        make_app("sqlite://", WEBHOOK_URL=url, WEBHOOK_SECRET=OLD)


def test_events_carry_a_sequence_that_grows_per_learner(app, certified_person, shop_server):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET=OLD)
    with unit_of_work(app):
        tiers.reevaluate(certified_person, "certificate issued")
        transactions.commit()  # the event's unit ends: its delivery starts
    first = json.loads(Shop.received[0][1])["data"]["sequence"]
    assert isinstance(first, int) and first > 0
