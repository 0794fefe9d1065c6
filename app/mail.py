"""Outgoing mail over SMTP (the standard library), sent off the request thread.

A slow or dead mail server must never hold a page or turn it into an error, and whether a
mail is sent at all (a password reset for an address that has an account) must not show in
how long the page took. So the page hands the work to a small thread pool and answers at
once; failures are logged. A worker that dies loses what it had queued: the person asks again.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()


def mail_configured(config) -> bool:
    return bool(config.get("MAIL_SERVER"))


def build_message(config, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A plain-text mail with an HTML alternative."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2].strip("> ")
                                       or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_message(config, message: EmailMessage) -> None:
    """Deliver one message through MAIL_SERVER (STARTTLS or SSL when set); raises on failure."""
    host, timeout = config["MAIL_SERVER"], config["MAIL_TIMEOUT_SECONDS"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, config["MAIL_PORT"] or 465, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, config["MAIL_PORT"] or 25, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def run_in_background(app, work, *args) -> Future:
    """Run work(*args) inside an app context on the mail thread pool; exceptions are logged."""
    global _executor

    def run():
        with app.app_context():
            try:
                work(*args)
            except Exception:  # noqa: BLE001 - nothing may escape a background mail job
                log.exception("Background mail job %s failed", getattr(work, "__name__", work))
            finally:
                from .extensions import db

                db.session.remove()

    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
        future = _executor.submit(run)
        _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def wait_for_background(timeout: float = 30) -> None:
    """Block until the queued mail jobs are done (tests; an orderly shutdown)."""
    with _lock:
        futures = list(_pending)
    wait(futures, timeout=timeout)
