"""Fixtures: one app per session (per xdist worker) on SQLite (default) or PostgreSQL
(TEST_DATABASE_URL); each test runs inside a transaction of its own that is rolled back.

Two databases are set up once: an empty one, and one with the test curriculum imported
(tests that ask for `imported` get that one). A test joins its database through one
connection in an open transaction; `db.session` is bound to it with
join_transaction_mode="create_savepoint", so the app's own commits and rollbacks release or
roll back SAVEPOINTs and nothing outlives the test (SQLAlchemy's "Joining a Session into an
External Transaction" recipe). Tests whose data must be seen by other connections, threads or
processes are marked `real_db`: they get a fresh app on the real (empty) database, emptied
again afterwards, as every test did before.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask_sqlalchemy.session import Session as FsaSession
from sqlalchemy import create_engine, text

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under pytest -n
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="smallb-instance-"))
if WORKER:  # each worker its own instance folder (keys, media, the SQLite files' neighbours)
    os.environ["INSTANCE_PATH"] = os.path.join(os.environ["INSTANCE_PATH"], WORKER)
for _name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
    os.environ.pop(_name, None)

from app import create_app  # noqa: E402
from app.config import database_url_from_env  # noqa: E402
from app.extensions import db, limiter  # noqa: E402
from app.transactions import unit_of_work  # noqa: E402

# Argon2id at the production cost is about 30 ms of a core per hash and per check, and most
# tests sign someone up and in: the tests' own process hashes with the lightest parameters
# instead (Django's test-hasher idea). Tests about the production parameters are marked
# `real_password_hashing`; servers started as subprocesses (e2e) hash at the real cost.
from argon2 import PasswordHasher, Type  # noqa: E402

from app.accounts import passwords as _passwords  # noqa: E402

_REAL_ARGON2 = _passwords.ARGON2
_passwords.ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16,
                                   salt_len=16, type=Type.ID)
_REAL_DUMMY_HASH, _passwords._DUMMY_HASH = (_passwords._DUMMY_HASH,
                                            _passwords.ARGON2.hash("timing-equaliser"))

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "quiet-river-lantern-42"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e/ is an end-to-end test (`-m "not e2e"` leaves them out)."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        if e2e in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite'}"


def _postgres_database(url: str, name: str) -> str:
    """`url` with the database `name`, created when missing (one per xdist worker)."""
    from sqlalchemy.engine import make_url

    target = make_url(url).set(database=name)
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(target)
    with engine.begin() as conn:  # a clean slate, whatever an earlier run left
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, str]:
    """The empty database and the one with the test curriculum, this worker's own."""
    if TEST_DATABASE_URL:
        from sqlalchemy.engine import make_url

        url = database_url_from_env(TEST_DATABASE_URL, "")
        name = make_url(url).database + (f"_{WORKER}" if WORKER else "")
        return {"empty": _postgres_database(url, name),
                "curriculum": _postgres_database(url, name + "_curriculum")}
    folder = tmp_path_factory.mktemp("db")
    return {"empty": "sqlite:///" + str(folder / "test.sqlite3"),
            "curriculum": "sqlite:///" + str(folder / "curriculum.sqlite3")}


@pytest.fixture(scope="session")
def database_url(database_urls) -> str:
    """The (empty) test database: what `real_db` tests and apps made with make_app use."""
    return database_urls["empty"]


_APPS = []
_JOINED: dict = {}  # while a test runs in a transaction: the database URLs it joins -> Joined


def test_config(database_url: str, **overrides) -> dict:
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
              "GET_WRITES_FORBIDDEN": True,  # a GET or HEAD that writes fails the test
              "RATELIMIT_STORAGE_URI": "memory://", "COURSES_PATH": str(FIXTURES / "courses")}
    config.update(overrides)
    return config


def make_app(database_url: str, **overrides):
    """An app of the test's own (its configuration differs from the session's). In a test
    that runs in a transaction, on the test's database, it works in that transaction too."""
    app = create_app(test_config(database_url, **overrides))
    _APPS.append(app)
    joined = _JOINED.get(database_url)
    if joined is not None:
        joined.adopt(app)
    return app


class JoinedSession(FsaSession):
    """Flask-SQLAlchemy's session, but every statement goes through the test's connection
    (Flask-SQLAlchemy would otherwise pick the app's engine and ignore `bind`)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind

    def close(self):
        # A GET's session ends by rolling back its SAVEPOINT, which would take with it what
        # write_aside() wrote inside it; in production that write is committed on a connection
        # of its own. A reading request has written nothing itself (GET_WRITES_FORBIDDEN), so
        # its SAVEPOINT is released instead and the aside write stays, as it would.
        aside = self.bind.info.pop("written_aside", False)
        if (aside and self.in_transaction() and not (self.new or self.dirty or self.deleted)
                and has_app_context() and g.get("reading")):
            self.commit()
        super().close()


class BorrowedConnection:
    """What `db.engine.connect()` hands out during a test: the test's own connection, where
    begin() is a SAVEPOINT, execution options are put back and close() closes nothing."""

    def __init__(self, connection):
        self._connection = connection
        self._changed: dict = {}

    def __getattr__(self, name):
        return getattr(self._connection, name)

    @contextlib.contextmanager
    def begin(self):
        with self._connection.begin_nested() as savepoint:
            yield savepoint
        self._connection.info["written_aside"] = True  # committed, as on a connection of its own

    def execution_options(self, **options):
        options.pop("isolation_level", None)  # the test's transaction stays one transaction
        before = self._connection.get_execution_options()
        for key in options:
            self._changed.setdefault(key, before.get(key))
        self._connection.execution_options(**options)
        return self

    def close(self):
        if self._changed:
            self._connection.execution_options(**self._changed)
            self._changed = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class BorrowedEngine:
    """Stands in for the app's engine during a test (write_aside, status list reads)."""

    def __init__(self, engine, connection):
        self._engine, self._connection = engine, connection

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def connect(self):
        return BorrowedConnection(self._connection)

    @contextlib.contextmanager
    def begin(self):
        with BorrowedConnection(self._connection) as connection, connection.begin():
            yield connection

    def dispose(self, *args, **kwargs):
        pass


class Base:
    """A session-wide app on one of the two databases, and the join of a test into it."""

    def __init__(self, url: str):
        self.url = url
        self.app = create_app(test_config(url))
        self.engine = db._app_engines[self.app][None]

    def join(self, others) -> "Joined":
        return Joined(self, others)


class Joined:
    """One test's connection and transaction (rolled back at the end)."""

    def __init__(self, base: Base, others):
        self.base = base
        self.connection = base.engine.connect()
        self.transaction = self.connection.begin()
        self.session = db._make_scoped_session({
            "class_": JoinedSession, "bind": self.connection,
            "join_transaction_mode": "create_savepoint"})
        self.borrowed = BorrowedEngine(base.engine, self.connection)
        self.adopted: list = []  # (engines dict, the app's own engine)
        self.saved_session = db.session
        db.session = self.session
        for other in others:  # a task run in the test pushes the default Celery app's context
            self.adopt(other.app, own=False)

    def adopt(self, app, own: bool = True) -> None:
        engines = db._app_engines[app]
        self.adopted.append((engines, engines[None], own))
        engines[None] = self.borrowed

    def end(self) -> None:
        db.session = self.saved_session
        try:
            for session in list(self.session.registry.registry.values()):  # every app context's
                session.close()
        finally:
            for engines, engine, own in self.adopted:
                engines[None] = engine
                if own:
                    engine.dispose()
            if self.transaction.is_active:
                self.transaction.rollback()
            self.connection.close()


@pytest.fixture(scope="session")
def _bases(database_urls):
    from app.authoring.services import import_curriculum

    bases = {}
    for key, url in database_urls.items():
        base = Base(url)
        with base.app.app_context():
            db.create_all()
            if key == "curriculum":
                import_curriculum(FIXTURES / "courses")
            db.session.commit()  # the set-up is the unit of work: import only flushes
            db.session.remove()
        bases[key] = base
    bases["empty"].app.extensions["celery"].set_default()
    _STATE["limiter"] = dict(limiter.__dict__)
    yield bases
    for base in bases.values():
        base.engine.dispose()


_STATE: dict = {}


def _empty_database(app) -> None:
    with app.app_context():
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


@pytest.fixture(autouse=True)
def _password_hashing(request, monkeypatch):
    """The production Argon2id parameters for tests marked `real_password_hashing`."""
    if request.node.get_closest_marker("real_password_hashing"):
        monkeypatch.setattr(_passwords, "ARGON2", _REAL_ARGON2)
        monkeypatch.setattr(_passwords, "_DUMMY_HASH", _REAL_DUMMY_HASH)


@pytest.fixture(autouse=True)
def _between_tests(_bases):
    """What lives outside the database is put back after every test: the outbox relay
    threads, the login throttle's memory of a dead Redis, the rate limiter (storage emptied,
    and bound to the session's memory storage again when a test's own app rebound it), the
    default Celery app, and every app a test made gives back its connections."""
    yield
    from app.outbox.services import stop_relay_threads

    stop_relay_threads()  # a test's relay thread must not drain the next test's rows
    from app.accounts import throttle

    throttle._storage_down_until = 0.0  # a test's dead Redis is not the next test's
    # The in-process content caches: a rolled-back test's rows may come back under the same
    # ids (SQLite reuses them), which a cached outline or quiz version would not notice.
    for base in _bases.values():
        for cache in ("learning_cache", "quiz_versions"):
            base.app.extensions.pop(cache, None)
    made_apps = bool(_APPS)
    while _APPS:
        made = _APPS.pop()
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
    if made_apps:
        limiter.__dict__.clear()
        limiter.__dict__.update(_STATE["limiter"])
        _bases["empty"].app.extensions["celery"].set_default()
    limiter.reset()


@pytest.fixture
def app(request, _bases, database_urls):
    if request.node.get_closest_marker("real_db"):
        app = make_app(database_urls["empty"])
        yield app
        _empty_database(app)
        return
    key = "curriculum" if "imported" in request.fixturenames else "empty"
    base = _bases[key]
    configs = {other: dict(other.app.config) for other in _bases.values()}  # put back after
    joined = base.join(_bases.values())
    _JOINED[database_urls["empty"]] = _JOINED[base.url] = joined
    # Tasks run eagerly in the test run in the test's app, as when every test made its own.
    base.app.extensions["celery"].set_default()
    try:
        if request.node.get_closest_marker("own_app"):
            yield make_app(base.url)  # joined into the same transaction by make_app
        else:
            yield base.app
    finally:
        _JOINED.clear()
        joined.end()
        for other, config in configs.items():
            other.app.config.clear()
            other.app.config.update(config)


@pytest.fixture
def _schema(app):
    """The tables exist (kept for tests that name it)."""

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
    from tests import factories

    def make(login: str = "learner@example.com", role: str = "learner", name: str = "小林",
             locale: str = "zh", password: str = PASSWORD):
        return factories.account(app, login, role=role, name=name, locale=locale,
                                 password=password)

    return make


@pytest.fixture(scope="session")
def shipped_curriculum() -> tuple:
    """The shipped courses/ folder read once per worker (a few seconds of parsing): the
    content tests only read it."""
    from app.authoring.curriculum import read_curriculum

    return tuple(read_curriculum(Path(__file__).parents[1] / "courses"))


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """A private copy of the small test curriculum that a test may edit."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", target)
    return target


@pytest.fixture
def imported(request, app, courses_dir):
    """The test curriculum, imported (once per session, except for `real_db` tests)."""
    if request.node.get_closest_marker("real_db"):
        from app.authoring.services import import_curriculum

        with unit_of_work(app):
            import_curriculum(courses_dir)
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
