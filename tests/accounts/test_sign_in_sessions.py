"""Server-side sign-in sessions: a copied cookie dies with the session it belongs to."""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.transactions import unit_of_work
from app import ConfigurationError, create_app
from app.accounts import signins
from app.accounts.models import SignInSession, User
from app.extensions import db
from tests.conftest import PASSWORD, Auth, csrf_token

IPHONE_WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI")
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/124.0.0.0 Mobile Safari/537.36")


class Clock:
    """The sessions' clock, moved by the test instead of waiting."""

    def __init__(self):
        self.at = datetime(2026, 12, 1, 8, 0, 0)

    def __call__(self):
        return self.at

    def advance(self, **delta):
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(signins, "now", clock)
    return clock


def device(app, login="lin@example.com", **environ):
    client = app.test_client()
    client.environ_base.update(environ)  # every request of this browser
    response = Auth(client).login(login)
    assert response.status_code == 302
    return client


def copy_of(app, client):
    """A second browser holding a copy of the first one's cookies (a stolen cookie jar)."""
    thief = app.test_client()
    cookie = client.get_cookie("smallb_session")
    assert cookie is not None
    thief.set_cookie("smallb_session", cookie.value, domain=cookie.domain or "localhost")
    return thief


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_logout_ends_every_copy_of_the_cookie(app, make_user):
    make_user("lin@example.com")
    owner = device(app)
    thief = copy_of(app, owner)
    assert signed_in(thief)
    assert Auth(owner).logout().status_code == 302
    assert not signed_in(owner)
    assert not signed_in(thief)
    # The replayed cookie gets the login page, not the account.
    page = thief.get("/account", follow_redirects=True)
    assert page.request.path == "/login"


def test_the_other_device_stays_signed_in_after_one_logs_out(app, make_user):
    make_user("lin@example.com")
    phone, laptop = device(app), device(app)
    copied = copy_of(app, phone)
    Auth(phone).logout()
    assert not signed_in(copied)
    assert signed_in(laptop)


def test_sign_out_of_all_devices_ends_every_session_and_bumps_the_version(app, make_user):
    user_id = make_user("lin@example.com")
    phone, laptop = device(app), device(app)
    copies = [copy_of(app, phone), copy_of(app, laptop)]
    with unit_of_work(app):
        version = db.session.get(User, user_id).session_version
    response = phone.post("/account/sessions/end-all", data={"csrf_token": csrf_token(phone, "/account")})
    assert response.status_code == 303
    for client in (phone, laptop, *copies):
        assert not signed_in(client)
    with unit_of_work(app):
        assert db.session.get(User, user_id).session_version == version + 1
        assert db.session.scalar(select(SignInSession.id).where(
            SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))) is None
    assert device(app)  # the password still works


def _session_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'action="/account/sessions/(\d+)/end"', page)]


def test_the_account_page_lists_sessions_and_signs_out_one_of_them(app, make_user):
    make_user("lin@example.com")
    laptop = device(app, HTTP_USER_AGENT=ANDROID_CHROME, REMOTE_ADDR="101.6.8.77")
    phone = device(app, HTTP_USER_AGENT=IPHONE_WECHAT, REMOTE_ADDR="192.168.1.20")
    stolen = copy_of(app, laptop)
    page = phone.get("/account").get_data(as_text=True)
    assert "iPhone · 微信" in page and "安卓手机 · Chrome" in page
    assert "来自网络地址 101.6.8.*" in page and "来自局域网（192.168.1.*）" in page
    assert "101.6.8.77" not in page  # the network, not the line
    assert page.count("本机") == 1
    ids = _session_ids(page)
    assert len(ids) == 2
    with unit_of_work(app):
        laptop_id = db.session.scalar(select(SignInSession.id).where(SignInSession.device == "android"))
    response = phone.post(f"/account/sessions/{laptop_id}/end",
                          data={"csrf_token": csrf_token(phone, "/account")})
    assert response.status_code == 303
    assert not signed_in(laptop) and not signed_in(stolen)
    assert signed_in(phone)
    assert _session_ids(phone.get("/account").get_data(as_text=True)) == [i for i in ids if i != laptop_id]
    english = phone.get("/account", headers={"Accept-Language": "en"})
    assert english.status_code == 200


def test_nobody_can_sign_out_someone_elses_session(app, make_user):
    make_user("lin@example.com")
    make_user("wang@example.com")
    lin, wang = device(app), device(app, "wang@example.com")
    with unit_of_work(app):
        wang_session = db.session.scalar(select(SignInSession.id).join(User, User.id == SignInSession.user_id)
                                         .where(User.email == "wang@example.com"))
    response = lin.post(f"/account/sessions/{wang_session}/end",
                        data={"csrf_token": csrf_token(lin, "/account")})
    assert response.status_code == 404
    assert signed_in(wang)


def test_an_idle_session_ends_after_the_idle_timeout(app, make_user, clock):
    app.config["SESSION_IDLE_MINUTES"] = 60
    make_user("lin@example.com")
    owner = device(app)
    copied = copy_of(app, owner)
    clock.advance(minutes=50)
    assert signed_in(owner)  # a visit moves last seen on…
    clock.advance(minutes=50)
    assert signed_in(owner)  # …so 100 minutes after sign-in it is still alive
    clock.advance(minutes=61)
    assert not signed_in(owner)
    assert not signed_in(copied)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, make_user, clock):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_MAX_DAYS=1)
    make_user("lin@example.com")
    owner = device(app)
    for _ in range(35):  # a visit every 50 minutes: never idle
        clock.advance(minutes=50)
        alive = signed_in(owner)
        if clock.at - datetime(2026, 12, 1, 8) <= timedelta(days=1):
            assert alive
        else:
            assert not alive
            break
    else:
        pytest.fail("the session outlived SESSION_MAX_DAYS")


def test_last_seen_is_recorded_at_most_every_five_minutes(app, make_user, clock):
    make_user("lin@example.com")
    owner = device(app)

    def last_seen():
        with unit_of_work(app):
            return db.session.scalar(select(SignInSession.last_seen_at))

    start = last_seen()
    clock.advance(minutes=4)
    owner.get("/account")
    assert last_seen() == start
    clock.advance(minutes=2)
    owner.get("/account")
    assert last_seen() == clock.at


def test_a_get_never_fails_or_waits_when_the_database_is_busy(app, make_user, clock):
    """The last-seen stamp of a GET must not turn a held write lock into a 500 or a hang."""
    make_user("lin@example.com")
    owner = device(app)
    clock.advance(minutes=10)  # the next page wants to record activity
    with unit_of_work(app):
        before = db.session.scalar(select(SignInSession.last_seen_at))
        db.session.remove()  # this test's own transaction holds no lock
        held, release = threading.Event(), threading.Event()

        def hold_the_lock():
            with app.app_context(), db.engine.connect() as conn:
                if conn.dialect.name == "sqlite":
                    conn.execution_options(write_transaction=True)
                with conn.begin():
                    if conn.dialect.name == "sqlite":
                        conn.execute(text("UPDATE sign_in_sessions SET device = device"))
                    else:
                        conn.execute(text("SELECT id FROM sign_in_sessions FOR UPDATE"))
                    held.set()
                    release.wait(10)

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        assert held.wait(5)
        try:
            started = time.perf_counter()
            response = owner.get("/account")
            elapsed = time.perf_counter() - started
        finally:
            release.set()
            holder.join()
        assert response.status_code == 200
        assert elapsed < 2, f"the page waited {elapsed:.2f} s for the write lock"
        db.session.remove()
        assert db.session.scalar(select(SignInSession.last_seen_at)) == before  # skipped
    owner.get("/account")  # the lock is free again: the stamp goes in
    with unit_of_work(app):
        assert db.session.scalar(select(SignInSession.last_seen_at)) == clock.at


def test_password_change_keeps_this_session_and_ends_the_others(app, make_user, auth, client):
    make_user("lin@example.com")
    assert auth.login("lin@example.com").status_code == 302
    other = device(app)
    copied = copy_of(app, client)
    response = client.post("/account", data={
        "password-current_password": PASSWORD, "password-new_password": "amber-falcon-harbour-77",
        "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other)
    # The copy carries the old version, so it is out too: only the browser that changed it stays.
    assert not signed_in(copied)


def test_deactivation_ends_every_session(app, make_user):
    user_id = make_user("lin@example.com")
    make_user("admin@example.com", role="admin")
    owner = device(app)
    admin = device(app, "admin@example.com")
    response = Auth(admin).post(f"/admin/users/{user_id}/status",
                                {"action": "deactivate", "reason": "left the programme"})
    assert response.status_code == 303
    assert not signed_in(owner)
    with unit_of_work(app):
        assert db.session.scalar(select(SignInSession.id).where(
            SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))) is None


def test_a_cookie_without_a_session_row_is_signed_out(app, make_user):
    """A cookie from before sign-in sessions (user id and version only) no longer works."""
    user_id = make_user("lin@example.com")
    owner = device(app)
    with owner.session_transaction() as cookie:
        cookie.pop(signins.SESSION_KEY)
        assert cookie["_user_id"] == f"{user_id}.1"
    assert not signed_in(owner)


@pytest.mark.parametrize("agent, expected", [
    (IPHONE_WECHAT, ("iphone", "wechat")),
    (ANDROID_CHROME, ("android", "chrome")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0 Safari/537.36 Edg/124.0", ("windows", "edge")),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4 Safari/605.1.15", ("mac", "safari")),
    ("curl/8.5", ("unknown", "unknown")),
])
def test_user_agents_become_words(agent, expected):
    assert signins.describe_user_agent(agent) == expected


def test_addresses_keep_only_their_network():
    assert signins.network_of("101.6.8.77") == "101.6.8.0/24"
    assert signins.network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert signins.network_of("not an address") == ""
    assert signins.network_kind("127.0.0.0/24") == "loopback"
    assert signins.network_kind("10.1.2.0/24") == "private"
    assert signins.network_kind("101.6.8.0/24") == "public"


@pytest.mark.parametrize("env, message", [
    ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES"),
    ({"SESSION_MAX_DAYS": "soon"}, "SESSION_MAX_DAYS"),
    ({"SESSION_IDLE_MINUTES": "50000", "SESSION_MAX_DAYS": "30"}, "longer than SESSION_MAX_DAYS"),
    ({"MAIL_SERVER": "smtp.example.com"}, "MAIL_FROM"),
    ({"MAIL_SERVER": "smtp.example.com", "MAIL_FROM": "a@example.com", "MAIL_USE_TLS": "true",
      "MAIL_USE_SSL": "true"}, "not both"),
])
def test_session_and_mail_settings_are_checked_at_start(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_cookie_expires_with_the_absolute_lifetime(monkeypatch):
    monkeypatch.setenv("SESSION_MAX_DAYS", "7")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.permanent_session_lifetime == timedelta(days=7)
