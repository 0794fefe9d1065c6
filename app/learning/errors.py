"""The learning room's errors: a lesson whose module is not open yet (the locked page says
which quiz opens it)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

learning_errors = ErrorCatalog("learning", {
    "locked": (_l("This module is not open yet"), 403),
})
