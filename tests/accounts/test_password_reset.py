"""Password reset: by mail through a real SMTP server on loopback, or handed over by a mentor/admin."""
from __future__ import annotations

import email
import re
import socket
import statistics
import time
from datetime import datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.transactions import unit_of_work
from app import mail
from app.accounts import signins
from app.accounts.models import AccountAudit, PasswordReset, User
from app.domain_errors import DomainError
from app.extensions import db
from tests.conftest import PASSWORD, Auth, client_at, csrf_token

NEW_PASSWORD = "amber-falcon-harbour-77"


class LoopbackSMTP(Controller):
    """aiosmtpd on 127.0.0.1 with a port the system picks (port=0), read back once it listens."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def inbox(app):
    handler = Inbox()
    server = LoopbackSMTP(handler, hostname="127.0.0.1", port=0)
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_FROM="SmallB Academy <academy@example.com>", MAIL_TIMEOUT_SECONDS=2)
    yield handler
    mail.wait_for_background()
    server.stop()


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        at = datetime(2026, 12, 1, 8, 0, 0)

        def __call__(self):
            return self.at

    clock = Clock()
    monkeypatch.setattr(signins, "now", clock)
    return clock


def ask_for_reset(app, login: str, address: str = "198.51.100.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.post("/password/forgot", data={
        "login": login, "csrf_token": csrf_token(client, "/password/forgot")})
    return response


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/password/reset/\S+", text).group(0)


def set_password(app, link: str, password: str = NEW_PASSWORD):
    client = app.test_client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    return client.post("/" + path, data={"new_password": password,
                                         "csrf_token": csrf_token(client, "/" + path)})


def mailed_link(app, inbox, login="lin@example.com") -> str:
    assert ask_for_reset(app, login).status_code == 200
    mail.wait_for_background()
    assert len(inbox.messages) == 1
    return link_in(inbox.messages[-1])


def test_forgot_password_is_linked_from_the_login_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert client.get("/password/forgot").status_code == 200


def test_a_mailed_link_works_once(app, inbox, make_user):
    make_user("lin@example.com")
    link = mailed_link(app, inbox)
    message = inbox.messages[0]
    assert message["X-Envelope-To"] == "lin@example.com"
    assert message["Subject"] == "设置新密码"  # her language
    assert message.get_body(("html",)) is not None and link in message.get_body(("html",)).get_content()
    assert "30 分钟内有效" in message.get_body(("plain",)).get_content()
    assert set_password(app, link).status_code == 303
    assert Auth(app.test_client()).login("lin@example.com", NEW_PASSWORD).status_code == 302
    assert Auth(app.test_client()).login("lin@example.com", PASSWORD).status_code == 401
    again = set_password(app, link, "another-quiet-password-9")
    assert again.status_code == 410
    assert "已过期或已被使用" in again.get_data(as_text=True)
    assert Auth(app.test_client()).login("lin@example.com", "another-quiet-password-9").status_code == 401


def test_single_use_is_enforced_by_the_database(app, inbox, make_user):
    """Even a request that read the link as unused before the other one spent it is refused."""
    from app.accounts import resets

    make_user("lin@example.com")
    key = mailed_link(app, inbox).rsplit("/", 1)[1]
    with app.test_request_context(method="POST"):
        reset = resets.usable_reset(key)
        db.session.execute(PasswordReset.__table__.update().values(used_at=datetime(2026, 1, 1)))
        db.session.commit()
        original = resets.usable_reset
        try:
            resets.usable_reset = lambda _key: reset  # the stale read a racing request had
            with pytest.raises(DomainError):
                resets.complete_reset(key, NEW_PASSWORD)
        finally:
            resets.usable_reset = original


def test_a_mailed_link_expires_after_30_minutes(app, inbox, make_user, clock):
    make_user("lin@example.com")
    link = mailed_link(app, inbox)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    clock.at += timedelta(minutes=29)
    assert app.test_client().get(path).status_code == 200
    clock.at += timedelta(minutes=2)
    assert app.test_client().get(path).status_code == 410
    assert set_password(app, link).status_code == 410


def test_a_password_change_makes_older_links_useless(app, inbox, make_user, auth, client):
    make_user("lin@example.com")
    link = mailed_link(app, inbox)
    auth.login("lin@example.com")
    response = client.post("/account", data={
        "password-current_password": PASSWORD, "password-new_password": "river-stone-garden-31",
        "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert set_password(app, link).status_code == 410


def test_a_reset_ends_every_session(app, inbox, make_user):
    make_user("lin@example.com")
    phone = app.test_client()
    Auth(phone).login("lin@example.com")
    assert phone.get("/account").status_code == 200
    assert set_password(app, mailed_link(app, inbox)).status_code == 303
    assert phone.get("/account").status_code == 302


def test_the_link_uses_public_base_url(app, inbox, make_user):
    app.config["PUBLIC_BASE_URL"] = "https://academy.example.com"
    make_user("lin@example.com", locale="en")
    link = mailed_link(app, inbox)
    assert link.startswith("https://academy.example.com/password/reset/")
    assert inbox.messages[0]["Subject"] == "Set a new password"


def _page(response) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", response.get_data(as_text=True))


def test_the_reset_request_looks_the_same_for_every_address(app, inbox, make_user):
    for n in range(4):
        make_user(f"lin{n}@example.com")
    make_user("+8613800138000")
    timings = {"known": [], "unknown": []}
    pages = set()
    for n in range(4):
        for kind, login in (("known", f"lin{n}@example.com"), ("unknown", f"nobody{n}@example.com")):
            started = time.perf_counter()
            response = ask_for_reset(app, login, address=f"198.51.100.{n * 2 + (kind == 'known')}")
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
            pages.add(_page(response))
    for login in ("13800138000", "13900139000"):  # phone accounts: the same page, no mail
        response = ask_for_reset(app, login, address="198.51.100.50")
        assert response.status_code == 200
        pages.add(_page(response))
    assert len(pages) == 1
    mail.wait_for_background()
    assert sorted(m["X-Envelope-To"] for m in inbox.messages) == [f"lin{n}@example.com" for n in range(4)]
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    assert abs(known - unknown) < 0.05, (known, unknown)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_or_hanging_mail_server_never_holds_the_page(app, make_user, caplog):
    make_user("lin@example.com")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never says a word
    try:
        for port in (_closed_port(), silent.getsockname()[1]):
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="a@example.com",
                              MAIL_TIMEOUT_SECONDS=1)
            started = time.perf_counter()
            response = ask_for_reset(app, "lin@example.com", address=f"198.51.100.{port % 200}")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and elapsed < 0.5, elapsed
            assert "链接已在路上" in response.get_data(as_text=True)
            mail.wait_for_background()
    finally:
        silent.close()
    assert "Could not send the password-reset mail" in caplog.text


def test_without_a_mail_server_the_page_says_to_ask_a_mentor(app, make_user):
    make_user("lin@example.com")
    page = ask_for_reset(app, "lin@example.com").get_data(as_text=True)
    mail.wait_for_background()
    assert "本门户不发送邮件" in page and "导师或管理员" in page


# Hand-over links: a direct mentor or an admin makes one for a person without email.

@pytest.fixture
def people(app, make_user):
    ids = {"mentee": make_user("+8613800138000", name="小美"), "mentor": make_user("mentor@example.com"),
           "other_mentor": make_user("other@example.com"), "admin": make_user("admin@example.com", role="admin")}
    with unit_of_work(app):
        from app.referrals import services as tree

        for key in ("mentor", "other_mentor", "mentee", "admin"):
            tree.place_user(db.session.get(User, ids[key]), None)
        db.session.commit()
        tree.reassign_mentor(ids["mentee"], ids["mentor"], "test", None)
        db.session.commit()
    return ids


def signed_in_as(app, login):
    client = app.test_client()
    assert Auth(client).login(login).status_code == 302
    return client


def handover(client, url, reason="她忘了密码，打电话来问"):
    return client.post(url, data={"reason": reason, "csrf_token": csrf_token(client, "/")})


def test_a_direct_mentor_hands_over_a_one_time_link(app, people, clock):
    mentor = signed_in_as(app, "mentor@example.com")
    assert "生成重设链接" in mentor.get("/mentor").get_data(as_text=True)
    response = handover(mentor, f"/mentor/mentees/{people['mentee']}/reset-link")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    link = re.search(r"<code>(http[^<]+)</code>", response.get_data(as_text=True)).group(1)
    with unit_of_work(app):
        entry = db.session.scalar(select(AccountAudit).where(AccountAudit.action == "reset_link_issued"))
        assert (entry.user_id, entry.actor_id) == (people["mentee"], people["mentor"])
        assert entry.created_at is not None and link.rsplit("/", 1)[1] not in str(entry.details)
    assert set_password(app, link).status_code == 303
    assert Auth(app.test_client()).login("13800138000", NEW_PASSWORD).status_code == 302
    assert set_password(app, link, "yet-another-pass-55").status_code == 410


def test_a_handed_over_link_expires_after_the_setting(app, people, clock):
    admin = signed_in_as(app, "admin@example.com")
    response = handover(admin, f"/admin/users/{people['mentee']}/reset-link")
    assert response.status_code == 200
    link = re.search(r"<code>(http[^<]+)</code>", response.get_data(as_text=True)).group(1)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    clock.at += timedelta(hours=23, minutes=59)
    assert app.test_client().get(path).status_code == 200
    clock.at += timedelta(minutes=2)
    assert app.test_client().get(path).status_code == 410


def test_only_a_direct_mentor_or_an_admin_may_make_a_link(app, people):
    other = signed_in_as(app, "other@example.com")
    assert handover(other, f"/mentor/mentees/{people['mentee']}/reset-link").status_code == 404
    assert handover(other, f"/admin/users/{people['mentee']}/reset-link").status_code in (403, 404)
    mentee = signed_in_as(app, "13800138000")
    assert handover(mentee, f"/mentor/mentees/{people['mentee']}/reset-link").status_code == 404
    with unit_of_work(app):
        assert db.session.scalar(select(PasswordReset.id)) is None


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_a_mentor_cannot_take_over_a_mentee_who_became_staff(app, people, role):
    with unit_of_work(app):
        db.session.get(User, people["mentee"]).role = role
        db.session.commit()
    mentor = signed_in_as(app, "mentor@example.com")
    response = handover(mentor, f"/mentor/mentees/{people['mentee']}/reset-link")
    assert response.status_code == 303
    assert "只有管理员" in mentor.get(response.headers["Location"]).get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.scalar(select(PasswordReset.id)) is None
    # An admin still can, and it is audited as before.
    admin = signed_in_as(app, "admin@example.com")
    assert handover(admin, f"/admin/users/{people['mentee']}/reset-link").status_code == 200


def test_a_link_needs_a_reason(app, people):
    admin = signed_in_as(app, "admin@example.com")
    response = handover(admin, f"/admin/users/{people['mentee']}/reset-link", reason="  ")
    assert response.status_code == 400
    with unit_of_work(app):
        assert db.session.scalar(select(PasswordReset.id)) is None


def test_the_mailed_link_ignores_the_host_the_request_names(app, inbox, make_user):
    """Host-header poisoning: a forgot-password request naming another Host still mails a
    link to the portal's own address (PUBLIC_BASE_URL; in tests the derived default)."""
    make_user("lin@example.com")
    client = client_at(app, "http://evil.example")
    client.post("/password/forgot", data={"login": "lin@example.com",
                                          "csrf_token": csrf_token(client, "/password/forgot")})
    mail.wait_for_background()
    (message,) = inbox.messages
    assert link_in(message).startswith(app.config["PUBLIC_BASE_URL"] + "/password/reset/")
    assert "evil.example" not in message.as_string()


def test_a_mentor_makes_no_link_for_a_mentee_with_an_email(app, people, inbox):
    """She resets by mail herself; a mentor's link would let the mentor into her account.
    An admin's link still works, and the owner is told by mail when it is used."""
    with unit_of_work(app):
        db.session.get(User, people["mentee"]).email = "xiaomei@example.com"
        db.session.commit()
    mentor = signed_in_as(app, "mentor@example.com")
    assert "忘记密码" in mentor.get("/mentor").get_data(as_text=True)
    assert 'reset-link"' not in mentor.get("/mentor").get_data(as_text=True)
    response = handover(mentor, f"/mentor/mentees/{people['mentee']}/reset-link")
    assert response.status_code == 303
    assert "邮箱" in mentor.get(response.headers["Location"]).get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.scalar(select(PasswordReset.id)) is None
    admin = signed_in_as(app, "admin@example.com")
    page = handover(admin, f"/admin/users/{people['mentee']}/reset-link").get_data(as_text=True)
    link = re.search(r"<code>(http[^<]+)</code>", page).group(1)
    assert set_password(app, link).status_code == 303
    mail.wait_for_background()
    (notice,) = inbox.messages
    assert notice["X-Envelope-To"] == "xiaomei@example.com"
    body = notice.get_body(("plain",)).get_content()
    assert "密码" in body and "/password/forgot" in body and link not in body


def test_strangers_cannot_block_or_flood_the_owner_reset(app, inbox, make_user):
    """The page answers the same to every address; mails per account are capped quietly,
    so six requests from six addresses send three mails and no one gets a 429."""
    make_user("lin@example.com")
    statuses = [ask_for_reset(app, "lin@example.com", address=f"203.0.113.{n}").status_code
                for n in range(6)]
    mail.wait_for_background()
    assert statuses == [200] * 6
    assert len(inbox.messages) == 3
