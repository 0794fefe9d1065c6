"""The ledger's errors: filters and page links that make no sense (400)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

ledger_errors = ErrorCatalog("ledger", {
    "bad_date": _l("Enter dates as year-month-day, e.g. 2026-11-01."),
    "dates_reversed": _l("The end date is before the start date."),
    "bad_kind": _l("Unknown kind of event."),
    "unknown_course": _l("There is no such course."),
    "unknown_mentor": _l("No mentor with this invite code or user number."),
    "unknown_tier": _l("There is no such tier."),
    "bad_cursor": _l("This page link is damaged. Start again from the first page."),
})
