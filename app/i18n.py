"""Which language a request is served in, and picking text for it from localized content."""
from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

from .config import DEFAULT_LANGUAGE, LANGUAGES


def current_language() -> str:
    """The learner's language: their saved setting, the switcher's choice, Accept-Language."""
    if not has_request_context():  # CLI commands and worker tasks: operators read English;
        return "en"  # what a person receives is rendered in her language with force_locale
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"])
    if best:
        return "zh" if best.startswith("zh") else "en"
    return DEFAULT_LANGUAGE


def select_locale() -> str:
    return LANGUAGES[current_language()]


def html_lang() -> str:
    return "zh-Hans" if current_language() == "zh" else "en"


def pick(texts: dict | None, language: str | None = None) -> str:
    """Text of a localized mapping in the current language, else any language it has."""
    if not texts:
        return ""
    language = language or current_language()
    if texts.get(language):
        return texts[language]
    for other in LANGUAGES:
        if texts.get(other):
            return texts[other]
    return ""
