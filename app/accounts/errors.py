"""The accounts room's errors: sign-up, sign-in, passwords, reset links, and the
administration's refusals (400, or 410 for a spent reset link)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

account_errors = ErrorCatalog("accounts", {
    "bad_login": _l("Enter a mobile phone number (e.g. 138 0013 8000) or an email address."),
    "no_name": _l("Please enter your name."),
    "too_short": _l("The password needs at least 8 characters."),
    "too_long": _l("The password can have at most 128 characters."),
    "too_common": _l("This password is too common and easy to guess. Please choose another."),
    "personal": _l("The password must not contain your phone number, email or name."),
    "taken": _l("This phone number or email is already registered. Please log in instead."),
    "wrong_password": _l("The current password is not right."),
    "code_required": _l("You need an invite code from your mentor to sign up."),
    "unknown_code": _l("We don't know this invite code. Please check it with your mentor."),
    "inactive_code": _l("This invite code is no longer active. Please ask your mentor or another mentor for a new one."),
    "self_invite": _l("You cannot invite yourself."),
    "reset_invalid": (_l("This link to set a new password has expired or was already used. Ask for a new one."), 410),
    "reset_unavailable": _l("This account cannot get a reset link (it is deactivated or anonymised)."),
    "reset_staff_account": _l("Only an admin can make a reset link for a trainer's or an admin's account."),
    "reset_use_email": _l("This person logs in with an email address: “Forgot password” on the login page mails her a link. Only an admin can make one to hand over."),
    # The administration's refusals (the admin's user pages).
    "reason_required": _l("Please give the reason (kept in the audit record)."),
    "reason_too_long": _l("The reason can have at most 1,000 characters."),
    "unknown_role": _l("Choose one of the roles: learner, trainer or admin."),
    "same_role": _l("This person already has that role."),
    "own_admin_role": _l("You cannot remove your own admin role. Ask another admin to do it."),
    "own_account": _l("You cannot do this to your own account. Ask another admin to do it."),
    "already_active": _l("This account is already active."),
    "already_inactive": _l("This account is already deactivated."),
    "anonymised": _l("This account was anonymised; nothing about it can be changed any more."),
    "confirm_anonymise": _l("To confirm, type the person's user number exactly as shown."),
})
