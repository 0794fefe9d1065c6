"""Errors a person can cause, in one registry: a code, an HTTP status and a message.

Each room declares its errors once, in its own errors.py (`ErrorCatalog`): the code, the
status the request answers with, and the message, a lazy string translated when shown.
Services raise `catalog("code")`, a DomainError; a view that shows the problem on its own
page (a form field, a filter box) reads `error.message` and `error.status`. Any DomainError
a view lets through is answered by one handler (app/errors.py): JSON for the API and for
scripts, else the message flashed on the page the view names with `going_back(url)`, or
on the error page. Codes are per room: the same code may read differently in two rooms.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorKind:
    room: str
    code: str
    message: Any  # a lazy string (flask_babel.lazy_gettext): the reader's language when shown
    status: int = 400


_KINDS: dict[tuple[str, str], ErrorKind] = {}


class DomainError(Exception):
    """A request a person made that can't be done; `code` names it in its room's catalog."""

    back: str | None = None  # where the error handler sends a page request, with the message

    def __init__(self, room: str, code: str, detail=None, **params):
        """`params` fill the message's placeholders; `detail` is a fact for the view that
        words it itself (e.g. a time to show in the reader's time zone)."""
        if (room, code) not in _KINDS:
            raise LookupError(f"no error {room}.{code} is defined (its room's errors.py)")
        super().__init__(code)
        self.room, self.code, self.detail, self.params = room, code, detail, params

    @property
    def kind(self) -> ErrorKind:
        return _KINDS[(self.room, self.code)]

    @property
    def status(self) -> int:
        return self.kind.status

    @property
    def message(self) -> str:
        text = str(self.kind.message)
        return text % self.params if self.params else text

    def message_in(self, catalog: ErrorCatalog) -> str:
        """The message a page of another room gives this code (its own wording), if it has
        one; else this error's own."""
        return catalog.message(self.code, **self.params) if self.code in catalog else self.message


class ErrorCatalog:
    """One room's errors: `define` each once at import; `catalog("code")` makes the error."""

    def __init__(self, room: str, messages: dict | None = None, status: int = 400):
        """`messages`: {code: message, or (message, status)}; `status` for the plain ones."""
        self.room = room
        for code, entry in (messages or {}).items():
            message, own_status = entry if isinstance(entry, tuple) else (entry, status)
            self.define(code, message, own_status)

    def define(self, code: str, message, status: int = 400) -> None:
        if (self.room, code) in _KINDS:
            raise ValueError(f"error {self.room}.{code} is defined twice")
        _KINDS[(self.room, code)] = ErrorKind(self.room, code, message, status)

    def __call__(self, code: str, detail=None, **params) -> DomainError:
        return DomainError(self.room, code, detail, **params)

    def __contains__(self, code: str) -> bool:
        return (self.room, code) in _KINDS

    def message(self, code: str, **params) -> str:
        return self(code, **params).message


@contextmanager
def going_back(url: str):
    """A DomainError raised inside is answered by the message flashed on `url` (303)."""
    try:
        yield
    except DomainError as error:
        error.back = url
        raise


def defined_kinds() -> list[ErrorKind]:
    return list(_KINDS.values())
