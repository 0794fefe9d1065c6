"""Reading form bodies strictly: a field whose text cannot be decoded is refused.

Werkzeug keeps a percent-escape that is not UTF-8 (`%ff%fe`) as the literal text `%FF%FE`,
and leaves a malformed one (`%zz`) as it is, so `%ff%fe@example.com` became an account's
email. A browser never sends either (it escapes `%` itself as `%25` and encodes form text
as UTF-8), so such a body was written by hand or garbled on the way: it is refused with a
400 that says why, before any form or view sees it (every form of the portal goes through
here). The same holds for the text fields of a multipart body (Werkzeug decodes those with
replacement characters). Control characters (NUL and the rest of C0 but tab and line breaks)
are refused in every field: nobody types them, and PostgreSQL cannot even store a NUL.
Query strings keep Werkzeug's lenient reading: a GET never writes, and a shared link
with a stray `%` or a GBK-escaped search term should still open its page; a NUL in a path or
query string, which no link has, is answered as a page that does not exist.
"""
from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

# A `%` not followed by two hex digits.
_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# C0 controls and DEL, except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UndecodableInput(BadRequest):
    """A form field that is not valid percent-escaped UTF-8."""

    description = _l("Some characters in what you sent could not be read (an invalid "
                     "percent-escape, or text that is not UTF-8). Nothing was saved: please type "
                     "it again and send it once more.")


def decode_pairs(raw: bytes) -> list[tuple[str, str]]:
    """`a=1&b=%E4%BD%A0` → [("a", "1"), ("b", "你")], or UndecodableInput."""
    pairs = []
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        try:
            decoded = []
            for part in (name, value):
                if _MALFORMED_ESCAPE.search(part):
                    raise UnicodeDecodeError("utf-8", part, 0, len(part), "malformed %-escape")
                decoded.append(unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8"))
        except UnicodeDecodeError:
            raise UndecodableInput() from None
        pairs.append((_text(decoded[0]), _text(decoded[1])))
    return pairs


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise UndecodableInput()
    return value


class StrictFormDataParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        # The stream is already limited to max_content_length (as in Werkzeug's own).
        return stream, self.cls(decode_pairs(stream.read())), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        stream, form, files = super()._parse_multipart(stream, mimetype, content_length, options)
        for name, value in form.items(multi=True):
            # Werkzeug put U+FFFD where the bytes were not UTF-8.
            if "\ufffd" in value or "\ufffd" in name:
                raise UndecodableInput()
            _text(name), _text(value)
        return stream, form, files


class StrictRequest(Request):
    form_data_parser_class = StrictFormDataParser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except UndecodableInput:
            # Empty from now on, so the error page (and anything else that looks) can read
            # request.form without meeting the same error again.
            self.__dict__.update(form=MultiDict(), files=MultiDict())
            raise


def refuse_nul_addresses(app) -> None:
    """A NUL in the path or query string names nothing here (no link has one; PostgreSQL
    would refuse it in a lookup): the page that does not exist, in the type asked."""

    @app.before_request
    def _nul_is_nothing():
        from flask import abort, request

        if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
            abort(404)
