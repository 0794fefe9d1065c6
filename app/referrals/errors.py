"""The referrals room's errors: the mentor tree's refusals (the admin's tree pages), and a
mentor's reminders and reset links (her dashboard)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

_NO_ONE = _l("No such person or invite code.")

referral_errors = ErrorCatalog("referrals", {
    "cycle": _l("Refused: the new mentor is in this person's own team (that would make a loop)."),
    "self_invite": _l("Refused: nobody can be their own mentor."),
    "unknown_user": _NO_ONE,
    "reason_required": _l("Please give the reason (kept in the audit record)."),
    # An invite code's problems: at sign-up they are the accounts room's (receivers.py).
    "code_required": _NO_ONE,
    "unknown_code": _NO_ONE,
    "inactive_code": _NO_ONE,
    "no_code": _NO_ONE,
})

mentoring_errors = ErrorCatalog("mentoring", {
    "not_your_mentee": (_l("You can only remind your own direct mentees."), 404),
    "too_soon": (_l("You already sent a reminder in the last 24 hours. Give them a little time."), 429),
    "unknown_reminder": (_l("That reminder is not one we know. Please reload the page."), 400),
    "situation_changed": (_l("Her situation has changed since you opened the page. Look again and send the reminder that fits now."), 409),
    # The mentor's wording for the accounts room's reset-link refusals (message_in).
    "reason_required": _l("Please say briefly why (kept in the audit record)."),
    "reason_too_long": _l("The reason can have at most 1,000 characters."),
})
