"""Tier-change webhooks to the shop: Standard Webhooks signatures, retries, a log.

Each try carries `webhook-id` (the delivery's id, the same on every retry: the receiver
deduplicates on it), `webhook-timestamp` (this try's time, so the receiver can refuse old
replays) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
secret in WEBHOOK_SECRET, space-separated, so secrets can be rotated).

Deliveries are rows written in the same transaction as the tier change, each with its
sending in the outbox (so none is lost, whatever the broker does); a try that fails writes
the next try into the outbox, with exponential backoff, up to MAX_ATTEMPTS — retries wait in
the database, not in the broker. What still fails stays in the log for admins, who can send
it again.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..clock import utcnow
from ..config import WEBHOOK_SECRET_PREFIX, webhook_signing_keys
from ..extensions import db
from ..outbox import services as outbox
from ..referrals.signals import tier_changed
from .models import WebhookDelivery

DELIVER_TASK = "webhooks.deliver"

clock = time.time  # the signing time (a test sets the sender's clock apart from the receiver's)
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 ... minutes, then hourly: about 7 hours in all
TIMEOUT = 10  # seconds for a whole try: connecting, sending and the answer's status line


def _post(url: str, body: bytes, headers: dict) -> int:
    """POST once and return the status. Redirects are answers, never followed (a 302 must not
    turn the signed POST into a GET elsewhere), and the whole try has TIMEOUT seconds: a
    watchdog closes the socket of a receiver that drips its answer a byte at a time."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=TIMEOUT)
    cut = threading.Event()
    watchdog = threading.Timer(TIMEOUT, _cut, (connection, cut))
    watchdog.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    finally:
        watchdog.cancel()
        connection.close()
    if cut.is_set():  # a cut answer may still parse (EOF ends the headers): it is no answer
        raise TimeoutError(f"no complete answer within {TIMEOUT} s")
    return status


def _cut(connection, cut: threading.Event) -> None:
    cut.set()
    if connection.sock is not None:
        with contextlib.suppress(OSError):  # the answer came and the socket closed meanwhile
            connection.sock.shutdown(socket.SHUT_RDWR)


def backoff(retries: int) -> int:
    return min(30 * 2 ** retries, 3600)


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<sig>` per key, space-separated: the webhook-signature header."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
                    for key in keys)


def signed_headers(keys: list[bytes], msg_id: str, body: bytes, now: float | None = None) -> dict:
    timestamp = int(clock() if now is None else now)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(keys, msg_id, timestamp, body)}


@tier_changed.connect
def _record(_sender, change, rules_digest: str, **_):
    if not current_app.config.get("WEBHOOK_URL"):
        return
    user = db.session.get(User, change.user_id)
    if change.id is None:
        db.session.flush()  # its id orders a learner's events (data.sequence)
    delivery = WebhookDelivery(id=str(uuid.uuid4()), event="tier.changed", payload={
        "user_id": change.user_id, "external_id": user.external_id if user else None,
        "from_tier": change.from_tier, "to_tier": change.to_tier, "reason": change.reason,
        "rules_version": rules_digest, "sequence": change.id,
        "changed_at": change.changed_at.replace(microsecond=0).isoformat() + "Z"})
    db.session.add(delivery)
    outbox.add(DELIVER_TASK, delivery.id)


def attempt(delivery_id: str) -> str:
    """Send once: 'delivered', 'retry' (the next try is in the outbox), 'failed' (no tries
    left) or 'done' (already delivered, unknown, or no WEBHOOK_URL)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    url = current_app.config.get("WEBHOOK_URL")
    if delivery is None or delivery.status == "delivered" or not url:
        db.session.rollback()
        return "done"
    body = json.dumps({"id": delivery.id, "event": delivery.event, "data": delivery.payload},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    result = {"last_status_code": None, "last_error": None}
    try:
        keys = webhook_signing_keys(current_app.config.get("WEBHOOK_SECRET"))
    except ValueError as error:  # never send unsigned: the try counts, the log says why
        keys, result["last_error"] = None, str(error)
    # The timestamp is this try's: a retry hours later is fresh to the receiver, and its
    # unchanged webhook-id tells the receiver it is the same delivery.
    headers = keys and {"Content-Type": "application/json", "User-Agent": "SmallB-Academy-Webhooks/2",
                        **signed_headers(keys, delivery.id, body)}
    # No transaction stays open while the shop answers (on SQLite it would hold the write
    # lock for every learner for up to TIMEOUT seconds).
    db.session.rollback()
    try:
        if headers:
            status = _post(url, body, headers)
            result["last_status_code"] = status
            if 200 <= status < 300:  # only a 2xx from WEBHOOK_URL itself
                result.update(status="delivered", delivered_at=utcnow())
            else:
                result["last_error"] = f"HTTP {status}"
    except (http.client.HTTPException, OSError, TimeoutError, ValueError) as error:
        result["last_error"] = (str(error) or type(error).__name__)[:500]
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery.status == "delivered":  # a twin run got there first
        db.session.rollback()
        return "done"
    for name, value in result.items():
        setattr(delivery, name, value)
    delivery.attempts += 1
    outcome = "delivered" if delivery.status == "delivered" else "retry"
    if outcome == "retry":
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, outcome = "failed", "failed"
        else:  # the next try waits in the outbox, committed with this one's result
            outbox.add(DELIVER_TASK, delivery.id, delay_seconds=backoff(delivery.attempts - 1))
    return outcome  # the task commits this try's result


@shared_task(name=DELIVER_TASK, acks_late=True)
def deliver_webhook_task(delivery_id: str):
    # A delivery already made is not made again (attempt() checks), so running twice is safe.
    return attempt(delivery_id)


def recent(limit: int = 100) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(
        WebhookDelivery.created_at.desc()).limit(limit)))


def send_again(delivery_id: str) -> bool:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "delivered":
        return False
    delivery.status, delivery.attempts = "pending", 0
    outbox.add(DELIVER_TASK, delivery.id)
    return True
