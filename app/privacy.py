"""Personal data, room by room (Moodle's privacy providers): every domain that keeps rows
about a person registers what it exports for an access request and how it anonymises, and
names the columns pointing at users that it accounts for. accounts/privacy.py runs them all
in one transaction; a test fails when a column referring to users is covered by no provider.

This module is the base layer: it knows no domain, domains register themselves here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

# Bilingual like the issuer's name: it is stored data, shown to admins and on certificates.
ANONYMISED_NAME = "已匿名 · Anonymised"


@dataclass(frozen=True)
class Provider:
    name: str
    covers: frozenset[str]  # "table.column" foreign keys to users this provider accounts for
    export: Callable  # (user) -> {section: JSON-ready data}
    anonymise: Callable | None = None  # (user, traces) -> None; flushes, never commits
    traces: Callable | None = None  # (user) -> other forms the person's identity took here


_providers: dict[str, Provider] = {}


def register(name: str, *, covers: Iterable[str], export: Callable,
             anonymise: Callable | None = None, traces: Callable | None = None) -> None:
    _providers[name] = Provider(name, frozenset(covers), export, anonymise, traces)


def providers() -> list[Provider]:
    return list(_providers.values())


def when(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def scrub(text: str | None, traces: list[str]) -> str | None:
    """The text with every trace of the person (name, phone, email …) replaced."""
    if not text:
        return text
    for secret in traces:
        text = text.replace(secret, ANONYMISED_NAME)
    return text


def scrub_json(value, traces: list[str]):
    if isinstance(value, str):
        return scrub(value, traces)
    if isinstance(value, list):
        return [scrub_json(v, traces) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, traces) for k, v in value.items()}
    return value
