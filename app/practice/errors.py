"""The practice room's errors: plays that are not hers, replies that are not options, and
role-plays whose module is not open yet."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

practice_errors = ErrorCatalog("practice", {
    "not_found": (_l("We could not find that role-play."), 404),
    "unknown_option": _l("That reply is not one of the options. Please reload the page."),
    "locked": (_l("This role-play opens with its module: finish the module before it first."), 403),
})
