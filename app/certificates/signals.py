"""Sent after a certificate is issued, revoked or re-issued (committed): tiers listen."""
from blinker import Namespace

_signals = Namespace()

# kwargs: user_id, course_id, change ("issued" | "revoked" | "reissued")
certificate_changed = _signals.signal("certificate-changed")
