"""The certificates room's errors: revoking and re-issuing that can't be done (400)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

certificate_errors = ErrorCatalog("certificates", {
    "reason_required": _l("Please give the reason for revoking."),
    "already_revoked": _l("This certificate is already revoked."),
    "not_revoked": _l("Only the latest certificate, once revoked, can be re-issued."),
})
