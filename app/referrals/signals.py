"""Tier events for other rooms (the shop webhooks).

tier_changed: sent inside the transaction that changes a tier (kwargs: change, a TierChange),
so a receiver can record what it must do in the same transaction — nothing is lost.
tiers_committed: sent after that transaction committed: start the work recorded.
"""
from blinker import Namespace

_signals = Namespace()
tier_changed = _signals.signal("tier-changed")
tiers_committed = _signals.signal("tiers-committed")
