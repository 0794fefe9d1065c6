"""Sent when a certificate is issued, revoked or re-issued, inside that transaction:
receivers only write rows (the tier to re-evaluate, into the outbox)."""
from blinker import Namespace

_signals = Namespace()

# kwargs: user_id, course_id, change ("issued" | "revoked" | "reissued")
certificate_changed = _signals.signal("certificate-changed")
