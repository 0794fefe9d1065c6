"""Tier-change webhooks: signed JSON with a delivery id, logged, sent again by admins."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.api.models import WebhookDelivery
from app.api.webhooks import backoff
from app.extensions import db
from app.referrals import services as tree
from app.referrals import tiers
from tests.conftest import Auth, csrf_token
from tests.referrals.test_tiers import CORE, certify


class Shop(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Shop.received.append((self.headers, body))  # case-insensitive lookups
        self.send_response(Shop.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def shop_server():
    Shop.received, Shop.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks"
    server.shutdown()
    server.server_close()


@pytest.fixture
def certified_person(app, imported):
    from app.learning.models import Course

    with app.app_context():
        for slug in CORE:
            db.session.add(Course(slug=slug, title={"en": slug}, grants_certificate=True))
        user = User(email="p@example.com", display_name="P", password_hash="-", external_id="shop-7")
        db.session.add(user)
        db.session.flush()
        tree.place_user(user, None)
        db.session.commit()
        certify(user.id, CORE)
        return user.id


def test_a_tier_change_is_posted_signed_with_a_delivery_id(app, certified_person, shop_server):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET="s3cret")
    with app.app_context():
        assert tiers.reevaluate(certified_person, "certificate issued") == [certified_person]
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "delivered" and delivery.attempts == 1
    headers, body = Shop.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-SmallB-Signature"] == expected
    assert headers["X-SmallB-Delivery"] == delivery.id
    event = json.loads(body)
    assert event["id"] == delivery.id and event["data"]["to_tier"] == "certified"
    assert event["data"]["external_id"] == "shop-7"


def test_a_shop_that_is_down_loses_nothing(app, certified_person, shop_server, make_user):
    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET="s3cret")
    Shop.status = 503
    with app.app_context():
        tiers.reevaluate(certified_person, "certificate issued")
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "pending" and delivery.last_error == "HTTP 503"
        delivery_id = delivery.id
    make_user("admin@example.com", role="admin")
    admin = app.test_client()
    Auth(admin).login("admin@example.com")
    assert delivery_id in admin.get("/admin/webhooks").get_data(as_text=True)
    Shop.status = 200
    token = csrf_token(admin, "/admin/webhooks")
    assert admin.post(f"/admin/webhooks/{delivery_id}/retry", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).status == "delivered"
    assert len(Shop.received) == 2
    assert {h["X-SmallB-Delivery"] for h, _ in Shop.received} == {delivery_id}  # same id: idempotent


def test_no_webhook_url_no_deliveries(app, certified_person):
    with app.app_context():
        tiers.reevaluate(certified_person, "x")
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

    app.config.update(WEBHOOK_URL=shop_server, WEBHOOK_SECRET="s3cret")
    Shop.status = 500
    delays = []
    with app.app_context():
        tiers.reevaluate(certified_person, "certificate issued")  # try 1, at once
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
