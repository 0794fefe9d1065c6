"""The authoring room's error: a trainer's request that can't be done."""
from __future__ import annotations


class AuthoringError(ValueError):
    """A trainer's request that can't be done; the message is shown to them."""
