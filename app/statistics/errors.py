"""The statistics filters' problems: the page still shows figures, with the problem said."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

filter_errors = ErrorCatalog("statistics", {
    "bad_date": _l("A date was not understood; use the date picker (YYYY-MM-DD)."),
    "start_after_end": _l("The start date was after the end date; they have been swapped."),
    "range_too_long": _l("Date ranges are limited to two years; the start has been moved."),
    "unknown_course": _l("No such course; showing every course."),
    "unknown_tier": _l("No such tier; showing every tier."),
    "unknown_mentor": _l("No mentor with that id, phone, email or invite code."),
    "bad_week": _l("The sign-up week was not understood; use the form YYYY-Www, e.g. 2026-W47."),
})
