"""What notifications keep about a person: the messages she was sent."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from .models import Notification


def export_personal_data(user) -> dict:
    return {"notifications": [
        {"kind": n.kind, "payload": n.payload, "created_at": privacy.when(n.created_at),
         "read_at": privacy.when(n.read_at)}
        for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.created_at, Notification.id))]}


def anonymise(user, traces: list[str]) -> None:
    for notification in db.session.scalars(select(Notification).where(Notification.user_id == user.id)):
        notification.payload = privacy.scrub_json(notification.payload, traces)


privacy.register("notifications", export=export_personal_data, anonymise=anonymise,
                 covers={"notifications.user_id"})
