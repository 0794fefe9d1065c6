"""Checker messages that keep their catalog template: plain values, no Flask (rendering and
the readers build them; they are translated where they are shown)."""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks a checker message for the catalog; it is translated where it is shown."""
    return message


class Reason(str):
    """A checker message in English that keeps its catalog template and values, so code that
    passes problems around as text (line, reason) still lets them be shown translated."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        reason = super().__new__(cls, template % params if params else template)
        reason.template, reason.params = template, params
        return reason

    def __reduce__(self):  # picklable: the zip checks run in a child process
        return _reason, (self.template, self.params)


def _reason(template: str, params: dict) -> Reason:
    return Reason(template, **params)
