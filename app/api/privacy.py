"""What the shop API keeps about a person: the webhook payloads sent about her (our copy),
and the API tokens she created as an admin. Anonymising scrubs our copies and drops the
external id (the shop's key to her); the shop keeps what it received."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from .models import ApiToken, WebhookDelivery


def _deliveries(user):
    return db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.payload["user_id"].as_integer() == user.id).order_by(WebhookDelivery.created_at))


def export_personal_data(user) -> dict:
    return {
        "shared_with_the_shop": [
            {"event": d.event, "payload": d.payload, "status": d.status,
             "created_at": privacy.when(d.created_at)} for d in _deliveries(user)],
        "api_tokens_created_by_them": [
            {"name": t.name, "prefix": t.prefix, "created_at": privacy.when(t.created_at),
             "revoked_at": privacy.when(t.revoked_at)}
            for t in db.session.scalars(select(ApiToken).where(ApiToken.created_by_id == user.id)
                                        .order_by(ApiToken.created_at))],
    }


def anonymise(user, traces: list[str]) -> None:
    for delivery in _deliveries(user):
        payload = privacy.scrub_json(dict(delivery.payload), traces)
        payload["external_id"] = None
        delivery.payload = payload


privacy.register("api", export=export_personal_data, anonymise=anonymise,
                 covers={"api_tokens.created_by_id"})
