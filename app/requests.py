"""Reading form bodies strictly: a field whose text cannot be decoded is refused.

Werkzeug keeps a percent-escape that is not UTF-8 (`%ff%fe`) as the literal text `%FF%FE`,
and leaves a malformed one (`%zz`) as it is, so `%ff%fe@example.com` became an account's
email. A browser never sends either (it escapes `%` itself as `%25` and encodes form text
as UTF-8), so such a body was written by hand or garbled on the way: it is refused with a
400 that says why, before any form or view sees it (every form of the portal goes through
here). Query strings keep Werkzeug's lenient reading: a GET never writes, and a shared link
with a stray `%` or a GBK-escaped search term should still open its page.
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
        pairs.append((decoded[0], decoded[1]))
    return pairs


class StrictFormDataParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        # The stream is already limited to max_content_length (as in Werkzeug's own).
        return stream, self.cls(decode_pairs(stream.read())), self.cls()


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
