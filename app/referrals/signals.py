"""Tier events for other rooms (the shop webhooks).

tier_changed: sent inside the transaction that changes a tier (kwargs: change, a TierChange),
so a receiver records what it must do (into the outbox) in the same transaction — nothing
is lost. The code that commits then releases the outbox.
"""
from blinker import Namespace

_signals = Namespace()
tier_changed = _signals.signal("tier-changed")
