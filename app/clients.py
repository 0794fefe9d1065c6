"""What kind of browser asks: WeChat's in-app browser needs pages adapted to it."""
from __future__ import annotations

from flask import has_request_context, request


def in_wechat(user_agent: str | None = None) -> bool:
    """WeChat's in-app browser (its User-Agent says MicroMessenger): it blocks or buries file
    downloads such as a PDF, while long-pressing an image saves or forwards it."""
    if user_agent is None:
        user_agent = request.headers.get("User-Agent", "") if has_request_context() else ""
    return "micromessenger" in user_agent.lower()
