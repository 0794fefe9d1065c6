"""Checking a credential, the one way: `flask certificates verify` and the public /verify
page both call check(). Each check says what was looked at; the verdict follows from them.

Nothing here fetches from the network: the status list is this academy's own, read from
its database, and its signature is checked like any credential's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l

from ..clock import utcnow
from ..urls import public_base_url
from . import status
from .credential import VC_CONTEXT, Verification, did_key, issuer_key, verify_signature
from .models import Certificate
from .services import find_by_code

SIGNATURE_PROBLEMS = {
    "no_proof": _l("It carries no eddsa-rdfc-2022 Data Integrity proof."),
    "wrong_key": _l("The proof was made with a key that is not the issuer's."),
    "unreadable": _l("The proof cannot be checked: the credential is not readable as signed JSON-LD."),
    "mismatch": _l("The signature does not match: the credential was changed after it was signed, or signed by someone else."),
}


@dataclass
class Check:
    name: str  # signature, issuer, status, dates, register
    ok: bool | None  # None: not checked (an earlier check failed)
    message: object  # a lazy string: shown in the reader's language

    @property
    def label(self):
        return CHECK_LABELS[self.name]


CHECK_LABELS = {
    "signature": _l("Signature"),
    "issuer": _l("Issuer's key"),
    "status": _l("Status list (revocation)"),
    "dates": _l("Dates"),
    "register": _l("Certificate register"),
}


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    certificate: Certificate | None = None
    revoked: bool = False
    claims: dict = field(default_factory=dict)  # what the credential says, once its signature holds

    @property
    def verdict(self) -> str:
        if self.revoked:
            return "revoked"
        return "valid" if self.checks and all(c.ok for c in self.checks) else "invalid"

    @property
    def first_problem(self) -> Check | None:
        return next((c for c in self.checks if c.ok is False), None)


def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _one(value) -> dict:
    """A JSON-LD value written as an object or as a one-item list (the same to a signature)."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, dict) else {}


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _claims(credential: dict) -> dict:
    subject = _one(credential.get("credentialSubject"))
    return {"name": _text(_one(subject.get("identifier")).get("identityHash")),
            "achievement": _text(_one(subject.get("achievement")).get("name")),
            "valid_from": _moment(credential.get("validFrom"))}


def _day(moment: datetime) -> str:
    """The calendar day in the portal's time zone (TIMEZONE), as every page shows dates."""
    from flask_babel import format_date

    return format_date(moment, "yyyy-MM-dd")


def _code_of(credential: dict) -> str | None:
    prefix = public_base_url() + "/verify/"
    credential_id = credential.get("id")
    if isinstance(credential_id, str) and credential_id.startswith(prefix):
        return credential_id[len(prefix):]
    return None


def _signature_check(signature: Verification) -> Check:
    if signature.ok:
        return Check("signature", True, _l("The signature is valid and covers everything in the credential."))
    if signature.kind == "unsigned":
        return Check("signature", False, _l("Not covered by the signature (added after signing): %(paths)s",
                                            paths=signature.detail))
    return Check("signature", False, SIGNATURE_PROBLEMS.get(signature.kind, SIGNATURE_PROBLEMS["mismatch"]))


def _status_check(credential: dict, certificate: Certificate | None, report: Report) -> Check:
    entry = credential.get("credentialStatus")
    if entry is None:
        # Copies issued before status lists: the register answers instead.
        if certificate is None:
            return Check("status", False, _l("No status entry, and no such certificate in the register."))
        if certificate.revoked_at is not None:
            report.revoked = True
            return Check("status", False, _revoked_message(certificate))
        return Check("status", True, _l("This copy has no status entry (issued before status lists); the register says it is not revoked."))
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
            or entry.get("statusPurpose") != status.PURPOSE:
        return Check("status", False, _l("The status entry is not a revocation entry of a Bitstring Status List."))
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    prefix = public_base_url() + "/status/"
    number = url[len(prefix):] if isinstance(url, str) and url.startswith(prefix) else ""
    if not number.isdigit() or not isinstance(index, str) or not index.isdigit() \
            or len(index) > 7 or entry.get("id") != f"{url}#{index}":
        return Check("status", False, _l("The status entry does not point into this academy's status lists."))
    published = status.published(int(number))
    if published is None:
        return Check("status", False, _l("The status list it points to does not exist."))
    list_credential = published[0]
    checked = verify_signature(list_credential, contexts=[VC_CONTEXT])
    if not checked.ok or checked.issuer != did_key(issuer_key().public_key()):
        return Check("status", False, _l("The status list's own signature does not hold."))
    try:
        revoked = status.revoked_in(list_credential["credentialSubject"], int(index))
    except (ValueError, KeyError, TypeError):
        return Check("status", False, _l("The status list cannot be read."))
    if revoked:
        report.revoked = True
        return Check("status", False, _revoked_message(certificate))
    return Check("status", True, _l("Not revoked: bit %(index)s of status list %(number)s is clear (list signed %(date)s).",
                                    index=index, number=number,
                                    date=str(list_credential.get("validFrom", ""))[:10]))


def _revoked_message(certificate: Certificate | None):
    if certificate is not None and certificate.revoked_at is not None:
        return _l("Revoked on %(date)s: %(reason)s", date=_day(certificate.revoked_at),
                  reason=certificate.revoked_reason or "")
    return _l("Revoked: the status list has this certificate's bit set.")


def _dates_check(credential: dict) -> Check:
    now = utcnow()
    valid_from = _moment(credential.get("validFrom"))
    if valid_from is None:
        return Check("dates", False, _l("It has no readable issue date (validFrom)."))
    if valid_from > now:
        return Check("dates", False, _l("It is not valid yet (valid from %(date)s).", date=_day(valid_from)))
    if "validUntil" in credential:
        valid_until = _moment(credential["validUntil"])
        if valid_until is None or valid_until <= now:
            return Check("dates", False, _l("It has expired (valid until %(date)s).", date=str(credential["validUntil"])[:10]))
    return Check("dates", True, _l("Valid since %(date)s, with no end date.", date=_day(valid_from)))


def check(credential: dict) -> Report:
    """Every check a verifier makes, in order; later ones are skipped once the signature or
    the issuer's key fails (nothing else the document says can be trusted then). Never
    raises for what a document contains: an unreadable one is simply not valid."""
    try:
        return _check(credential)
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return Report(checks=[Check("signature", False, SIGNATURE_PROBLEMS["unreadable"])])


def _check(credential: dict) -> Report:
    report = Report()
    signature = verify_signature(credential)
    report.checks.append(_signature_check(signature))
    ours = did_key(issuer_key().public_key())
    if signature.ok:
        report.checks.append(Check("issuer", signature.issuer == ours,
                                   _l("Signed with this academy's key (%(key)s).", key=ours[:24] + "…")
                                   if signature.issuer == ours else
                                   _l("Signed with another key, not this academy's: %(key)s.", key=str(signature.issuer)[:60])))
    if not all(c.ok for c in report.checks):
        for name in ("issuer", "status", "dates", "register"):
            if not any(c.name == name for c in report.checks):
                report.checks.append(Check(name, None, _l("Not checked: the signature or key failed.")))
        return report
    report.claims = _claims(credential)
    code = _code_of(credential)
    report.certificate = find_by_code(code) if code else None
    report.checks.append(_status_check(credential, report.certificate, report))
    report.checks.append(_dates_check(credential))
    if report.certificate is not None:
        report.checks.append(Check("register", True, _l("Certificate %(code)s is in the register.",
                                                        code=report.certificate.code)))
    else:
        report.checks.append(Check("register", False, _l("The signature is good, but the register has no certificate with this id.")))
    return report


class StrictJSONError(ValueError):
    """JSON that parsers read differently: a name twice in one object, NaN or Infinity."""


def _no_twice(pairs):
    names = [name for name, _value in pairs]
    if len(set(names)) != len(names):
        raise StrictJSONError("a name appears twice in one object")
    return dict(pairs)


def _no_constant(name):
    raise StrictJSONError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):  # 1e999999: a number no reader can hold
        raise StrictJSONError(f"{text[:20]} is too large a number")
    return number


def load_credential_json(text: str):
    """The credential file as I-JSON (RFC 7493): refused where readers would disagree (which
    of two `credentialSubject`s counts?) — a file read two ways is never called valid."""
    return json.loads(text, object_pairs_hook=_no_twice, parse_constant=_no_constant,
                      parse_float=_finite)
