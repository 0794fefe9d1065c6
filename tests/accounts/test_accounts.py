"""Registration, login, logout, throttling, redirect safety, cookies, password rules."""
import re

import pytest
from sqlalchemy import select

from app.transactions import unit_of_work
from app.accounts.models import User
from app.accounts.passwords import password_problem
from app.accounts.services import parse_login_name
from app.extensions import db
from tests.conftest import PASSWORD, Auth, csrf_token


@pytest.mark.parametrize("raw, kind, value", [
    ("13800138000", "phone", "+8613800138000"),
    ("138 0013 8000", "phone", "+8613800138000"),
    ("+86 138-0013-8000", "phone", "+8613800138000"),
    ("+447911123456", "phone", "+447911123456"),
    ("  Xiao.Lin@Example.COM ", "email", "xiao.lin@example.com"),
])
def test_login_names_are_normalised(raw, kind, value):
    login = parse_login_name(raw)
    assert (login.kind, login.value) == (kind, value)


@pytest.mark.parametrize("raw", ["", "12345", "23800138000", "not an email@", "abc"])
def test_unusable_login_names_are_refused(raw):
    assert parse_login_name(raw) is None


@pytest.mark.real_password_hashing
def test_register_with_phone_logs_in_and_hashes_slowly(client, auth, app):
    response = auth.register("138 0013 8000", name="宝妈小林")
    assert response.status_code == 302
    assert "小林" in client.get("/").get_data(as_text=True)
    with unit_of_work(app):
        user = db.session.execute(select(User)).scalar_one()
        assert user.phone == "+8613800138000" and user.role == "learner"
        # Argon2id at OWASP's minimum (m=19 MiB, t=2, p=1) or above.
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in user.password_hash



@pytest.mark.real_password_hashing
def test_older_hashes_still_verify_and_become_argon2id_at_the_next_login(client, app, make_user):
    """Accounts made with the previous KDF (Werkzeug's scrypt) or weaker Argon2 parameters
    keep working; a successful login replaces the hash, a failed one changes nothing."""
    from argon2 import PasswordHasher
    from werkzeug.security import generate_password_hash

    from app.accounts.passwords import ARGON2, verify_password

    old_hashes = {"old@example.com": generate_password_hash(PASSWORD, method="scrypt"),
                  "weak@example.com": PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)}
    for email, old in old_hashes.items():
        user_id = make_user(email)
        with unit_of_work(app):
            db.session.get(User, user_id).password_hash = old
            db.session.commit()
        assert Auth(client).login(email, "wrong-password-1").status_code == 401
        with unit_of_work(app):
            assert db.session.get(User, user_id).password_hash == old
        assert Auth(client).login(email).status_code == 302
        Auth(client).logout()
        with unit_of_work(app):
            new = db.session.get(User, user_id).password_hash
        assert new != old and new.startswith("$argon2id$") and not ARGON2.check_needs_rehash(new)
        assert Auth(client).login(email).status_code == 302  # the new hash works
        Auth(client).logout()
    # Demo data's "!demo" and other non-hashes verify nothing, without an error.
    assert not verify_password("!demo", PASSWORD) and not verify_password("$argon2id$x", PASSWORD)
    assert not verify_password(None, PASSWORD)

def test_register_with_email_in_english(client, auth):
    response = auth.register("lin@example.com", language="en", follow_redirects=True)
    assert "Continue" in response.get_data(as_text=True) or "Start here" in response.get_data(as_text=True)



def _raw_register(client, login: bytes, name: bytes, language: bytes = b"zh", **kwargs):
    from urllib.parse import quote

    token = csrf_token(client, "/register").encode()
    body = (b"csrf_token=" + token + b"&login=" + login + b"&display_name=" + name
            + b"&password=" + quote(PASSWORD).encode() + b"&language=" + language)
    return client.post("/register", data=body, content_type="application/x-www-form-urlencoded",
                       **kwargs)


def test_sign_up_with_undecodable_percent_escapes_is_refused_and_makes_no_account(client, app):
    """`%ff%fe@example.com` used to become an account's email, kept as the literal text."""
    response = _raw_register(client, b"%ff%fe%40example.com", b"Lin")
    assert response.status_code == 400
    assert "无法识别" in response.get_data(as_text=True) and "没有保存" in response.get_data(as_text=True)
    english = _raw_register(client, b"lin%zz%40example.com", b"Lin", b"en",
                            headers={"Accept-Language": "en"})
    assert english.status_code == 400 and "could not be read" in english.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.execute(select(User)).first() is None


def test_sign_up_decodes_proper_percent_escapes(client, app):
    """What browsers send: UTF-8 escapes and + for spaces decode as before."""
    response = _raw_register(client, b"lin%40example.com", b"%E5%AE%9D%E5%A6%88+Lin")
    assert response.status_code == 302
    with unit_of_work(app):
        user = db.session.execute(select(User)).scalar_one()
        assert (user.email, user.display_name) == ("lin@example.com", "宝妈 Lin")

def test_duplicate_registration_is_refused_clearly(client, auth, make_user):
    make_user("13800138000")
    response = auth.register("138-0013-8000")
    assert response.status_code == 400
    assert "已经注册过了" in response.get_data(as_text=True)


@pytest.mark.parametrize("password, problem", [
    ("short1", "too_short"),
    ("password", "too_common"),
    ("12345678", "too_common"),
    ("woaini1314", "too_common"),
    ("qwertyuiop", "too_common"),
    ("aaaaaaaaaaaa", "too_common"),
    ("x" * 129, "too_long"),
])
def test_weak_passwords_are_refused(password, problem):
    assert password_problem(password) == problem


@pytest.mark.parametrize("password", ["correct horse battery", "长城很长很长的密码啊", "Tr0ub4dor&3x" * 5 + "!!!!"])
def test_good_passwords_of_8_to_64_plus_characters_are_accepted(password):
    assert password_problem(password) is None


def test_password_may_not_contain_the_phone_number():
    assert password_problem("13800138000abc", "8613800138000".lstrip("86")) == "personal"


def test_common_password_refused_on_the_form(auth):
    response = auth.register("lin@example.com", password="iloveyou")
    assert response.status_code == 400
    assert "太常见" in response.get_data(as_text=True)


def _message(page: str) -> str:
    return re.sub(r'value="[^"]+"', "", page)


def test_unknown_user_and_wrong_password_get_the_same_answer(auth, make_user):
    make_user("lin@example.com")
    wrong = auth.login("lin@example.com", "wrong-password-123")
    unknown = auth.login("nobody@example.com", "wrong-password-123")
    assert wrong.status_code == unknown.status_code == 401
    assert "手机号/邮箱或密码不正确" in wrong.get_data(as_text=True)
    assert _message(wrong.get_data(as_text=True)).replace("lin@example.com", "X") == \
        _message(unknown.get_data(as_text=True)).replace("nobody@example.com", "X")


def test_sixth_failed_login_within_a_minute_gets_429(auth, make_user):
    make_user("lin@example.com")
    for _ in range(5):
        assert auth.login("lin@example.com", "wrong-password-123").status_code == 401
    blocked = auth.login("lin@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert "失败次数太多" in blocked.get_data(as_text=True)  # and when to try again:
    assert "后再试" in blocked.get_data(as_text=True) and blocked.headers["Retry-After"].isdigit()


def test_failed_logins_on_one_account_make_the_failing_addresses_wait(app, make_user):
    make_user("lin@example.com")
    for i in range(6):  # five free failures, then the account's waits begin
        for _ in range(2):  # an unknown address that failed twice is no longer let through
            c = app.test_client()
            r = Auth(c).login("lin@example.com", "nope-nope-nope", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
            assert r.status_code in (401, 429)
    for i in (0, 5):  # every address that kept failing on the account waits …
        c = app.test_client()
        r = Auth(c).login("lin@example.com", PASSWORD, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert r.status_code == 429 and r.headers["Retry-After"].isdigit()
    c = app.test_client()  # … an address that never failed is still heard
    r = Auth(c).login("lin@example.com", "nope-nope-nope", environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert r.status_code == 401


def test_successful_logins_are_not_throttled(auth, make_user):
    make_user("lin@example.com")
    for _ in range(7):
        assert auth.login("lin@example.com").status_code == 302
        auth.logout()


def test_inactive_user_cannot_log_in(auth, make_user, app):
    user_id = make_user("lin@example.com")
    with unit_of_work(app):
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert auth.login("lin@example.com").status_code == 401


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\r\nLocation: http://evil.example", "\\\\evil.example",
])
def test_next_never_leaves_the_site(client, make_user, target):
    make_user("lin@example.com")
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"login": "lin@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client, make_user):
    make_user("lin@example.com")
    token = csrf_token(client)
    response = client.post("/login?next=/courses/alpha",
                           data={"login": "lin@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/courses/alpha"


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("lin@example.com")
    response = client.post("/login", data={"login": "lin@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/courses").status_code == 302  # still not logged in


def test_logout_is_post_only_and_ends_the_session(client, auth, learner):
    assert client.get("/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/courses").status_code == 302


def test_session_cookie_flags(client, auth, make_user):
    make_user("lin@example.com")
    cookie = auth.login("lin@example.com").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, make_user):
    make_user("lin@example.com")
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"login": "lin@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_changing_password_signs_out_other_devices(app, make_user):
    make_user("lin@example.com")
    phone, laptop = app.test_client(), app.test_client()
    Auth(phone).login("lin@example.com")
    Auth(laptop).login("lin@example.com")
    response = Auth(phone).post("/account", {"password-current_password": PASSWORD,
                                             "password-new_password": "a-brand-new-secret-77"},
                                token_from="/account")
    assert response.status_code == 302
    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302


def test_profile_updates_name_and_language(client, auth, learner, app):
    response = auth.post("/account", {"profile-display_name": "  Lin  ", "profile-language": "en"},
                         token_from="/account", follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    with unit_of_work(app):
        user = db.session.execute(select(User)).scalar_one()
        assert (user.display_name, user.locale) == ("Lin", "en")


def test_cli_creates_an_admin(runner, app):
    result = runner.invoke(args=["users", "create", "--login", "ops@example.com", "--name", "Ops",
                                 "--role", "admin", "--password", "long-enough-secret-9"])
    assert result.exit_code == 0, result.output
    with unit_of_work(app):
        assert db.session.execute(select(User.role)).scalar_one() == "admin"


def test_cli_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create", "--login", "ops@example.com", "--name", "Ops",
                                 "--password", "password123"])
    # A one-line error, not a traceback: the message is picked outside any request.
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Cannot create the account:" in result.output


def test_cli_refuses_a_taken_login_in_one_line(runner):
    args = ["users", "create", "--login", "13900000777", "--name", "Ops", "--password",
            "long-enough-secret-9"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Cannot create the account:" in result.output and "Traceback" not in result.output
