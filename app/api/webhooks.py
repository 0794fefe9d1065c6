"""Tier-change webhooks to the shop: HMAC-signed JSON, a delivery id, retries, a log.

Deliveries are rows written in the same transaction as the tier change (so none is lost),
then sent by a Celery task that retries with exponential backoff up to MAX_ATTEMPTS; what
still fails stays in the log for admins, who can send it again.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from ..accounts.models import User, utcnow
from ..extensions import db
from ..referrals.signals import tier_changed, tiers_committed
from .models import WebhookDelivery

MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 ... minutes, then hourly: about 7 hours in all
TIMEOUT = 10


def backoff(retries: int) -> int:
    return min(30 * 2 ** retries, 3600)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@tier_changed.connect
def _record(_sender, change, rules_digest: str, **_):
    if not current_app.config.get("WEBHOOK_URL"):
        return
    user = db.session.get(User, change.user_id)
    delivery = WebhookDelivery(id=str(uuid.uuid4()), event="tier.changed", payload={
        "user_id": change.user_id, "external_id": user.external_id if user else None,
        "from_tier": change.from_tier, "to_tier": change.to_tier, "reason": change.reason,
        "rules_version": rules_digest,
        "changed_at": change.changed_at.replace(microsecond=0).isoformat() + "Z"})
    db.session.add(delivery)
    db.session.info.setdefault("webhooks", []).append(delivery.id)


@tiers_committed.connect
def _dispatch(_sender, **_):
    for delivery_id in db.session.info.pop("webhooks", []):
        deliver_webhook_task.delay(delivery_id)


def attempt(delivery_id: str) -> str:
    """Send once: 'delivered', 'retry' or 'done' (already delivered / unknown)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    url, secret = current_app.config.get("WEBHOOK_URL"), current_app.config.get("WEBHOOK_SECRET") or ""
    if delivery is None or delivery.status == "delivered" or not url:
        db.session.rollback()
        return "done"
    body = json.dumps({"id": delivery.id, "event": delivery.event, "data": delivery.payload},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "SmallB-Academy-Webhooks/1",
        "X-SmallB-Event": delivery.event, "X-SmallB-Delivery": delivery.id,
        "X-SmallB-Signature": signature(secret, body)})
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            delivery.last_status_code = response.status
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
    except urllib.error.HTTPError as error:
        delivery.last_status_code, delivery.last_error = error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        delivery.last_status_code, delivery.last_error = None, str(getattr(error, "reason", error))[:500]
    outcome = "delivered" if delivery.status == "delivered" else "retry"
    if outcome == "retry" and delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    db.session.commit()
    return outcome


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1)
def deliver_webhook_task(self, delivery_id: str):
    outcome = attempt(delivery_id)
    if outcome == "retry":
        if self.request.is_eager:
            return "pending"  # no worker to wait with: it stays pending in the admin log
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=backoff(self.request.retries))
    return outcome


def recent(limit: int = 100) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(
        WebhookDelivery.created_at.desc()).limit(limit)))


def send_again(delivery_id: str) -> bool:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "delivered":
        return False
    delivery.status, delivery.attempts = "pending", 0
    db.session.commit()
    deliver_webhook_task.delay(delivery_id)
    return True
