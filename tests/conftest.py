"""Fixtures: app per test on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), client, auth."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="smallb-instance-"))
for _name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
    os.environ.pop(_name, None)

from app import create_app  # noqa: E402
from app.config import database_url_from_env  # noqa: E402
from app.extensions import db, limiter  # noqa: E402
from app.transactions import unit_of_work  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "quiet-river-lantern-42"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        url = database_url_from_env(TEST_DATABASE_URL, "")
        engine = create_engine(url)
        with engine.begin() as conn:  # a clean slate, whatever an earlier run left
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


_APPS = []


def make_app(database_url: str, **overrides):
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
              "GET_WRITES_FORBIDDEN": True,  # a GET or HEAD that writes fails the test
              "RATELIMIT_STORAGE_URI": "memory://", "COURSES_PATH": str(FIXTURES / "courses")}
    config.update(overrides)
    app = create_app(config)
    _APPS.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_engines():
    """Every app a test made gives back its database connections (PostgreSQL counts them)."""
    yield
    from app.outbox.services import stop_relay_threads

    stop_relay_threads()  # a test's relay thread must not drain the next test's rows
    from app.accounts import throttle

    throttle._storage_down_until = 0.0  # a test's dead Redis is not the next test's
    while _APPS:
        with _APPS.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _schema(database_url):
    app = make_app(database_url)
    with unit_of_work(app):
        db.create_all()
        db.engine.dispose()


@pytest.fixture
def app(_schema, database_url):
    app = make_app(database_url)
    yield app
    with unit_of_work(app):
        db.session.remove()
        with db.engine.begin() as conn:
            tables = db.metadata.sorted_tables
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)
                                  + " RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("UPDATE quizzes SET current_version_id = NULL"))  # a cycle
                for table in reversed(tables):
                    conn.execute(table.delete())
        db.engine.dispose()
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"login": login, "password": password,
                                                "csrf_token": csrf_token(self.client)}, **kwargs)

    def register(self, login: str, name: str = "测试小B", password: str = PASSWORD,
                 language: str = "zh", invite_code: str = "", **kwargs):
        return self.client.post("/register", data={
            "login": login, "display_name": name, "password": password, "language": language,
            "invite_code": invite_code, "csrf_token": csrf_token(self.client, "/register")}, **kwargs)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})

    def post(self, url: str, data: dict | None = None, token_from: str = "/", **kwargs):
        data = dict(data or {}, csrf_token=csrf_token(self.client, token_from))
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def make_user(app):
    from app.accounts.services import register_user
    from app.referrals.services import place_user

    def make(login: str = "learner@example.com", role: str = "learner", name: str = "小林",
             locale: str = "zh", password: str = PASSWORD):
        with unit_of_work(app):
            user = register_user(login, name, password, locale=locale, role=role)
            place_user(user, None)  # as every road that makes an account does
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """A private copy of the small test curriculum that a test may edit."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", target)
    return target


@pytest.fixture
def imported(app, courses_dir):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(courses_dir)
        db.session.commit()  # the test is the unit of work here
    return courses_dir


@pytest.fixture
def learner(make_user, auth):
    make_user("learner@example.com")
    response = auth.login("learner@example.com")
    assert response.status_code == 302
    return "learner@example.com"


def client_at(app, origin: str):
    """A test client whose every request names `origin` as its Host (a browser that reached
    our server under another name, cookies and all): for Host-header poisoning tests."""
    from flask.testing import FlaskClient

    class ClientAt(FlaskClient):
        def open(self, *args, **kwargs):
            kwargs.setdefault("base_url", origin)
            return super().open(*args, **kwargs)

    return ClientAt(app, app.response_class, use_cookies=True)
