"""Account events for the rooms above accounts (referrals places every newcomer in the tree).

Accounts imports no other room: what registration means elsewhere travels through these
signals, with plain values (no ORM objects), sent synchronously inside the registration's
transaction, so whatever the receivers write commits with the account or not at all.

user_registering: sent before the account is made (kwargs: invite_code, as typed, possibly
empty; invite_required). A receiver refuses the sign-up by raising the accounts DomainError of a code
the registration form knows (services.INVITE_CODE_ERRORS name the invite code's problems);
nothing has been written yet.

user_registered: sent once the account row exists, before the commit (kwargs: user_id,
invite_code, or None where the account was made without one, as by `flask users create`).
Referrals gives the newcomer her place under her mentor, so no account is ever committed
without one. A receiver may refuse the same way; the caller rolls back.
"""
from blinker import Namespace

_signals = Namespace()
user_registering = _signals.signal("user-registering")
user_registered = _signals.signal("user-registered")
