"""Start-up: production refuses without SECRET_KEY; the embedded default sets itself up."""
import sqlite3
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigurationError, database_url_from_env
from tests.conftest import FIXTURES


@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "SMALLB_ENV", "REDIS_URL", "PUBLIC_BASE_URL",
                 "TRUSTED_HOSTS", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COURSES_PATH", str(FIXTURES / "courses"))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://academy.example.com")
    return tmp_path / "instance"


def test_production_without_secret_key_refuses_to_start(bare_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()


def test_production_without_public_base_url_refuses_to_start(bare_env, monkeypatch):
    """Links that leave the site (reset mail, QR codes, credentials) need a configured
    origin: the request's Host is the client's to choose."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL is not set"):
        create_app()
    for bad in ("academy.example.com", "ftp://academy.example.com", "https://x.example/?a=1"):
        monkeypatch.setenv("PUBLIC_BASE_URL", bad)
        with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL must look like"):
            create_app()


def test_development_derives_public_base_url_once_from_where_it_serves(bare_env, monkeypatch):
    monkeypatch.setenv("SMALLB_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    monkeypatch.delenv("PUBLIC_BASE_URL")
    monkeypatch.setenv("PORT", "5123")
    assert create_app().config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5123"


def test_production_with_secret_key_starts(bare_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://academy.example.com/")
    app = create_app()
    assert app.config["PUBLIC_BASE_URL"] == "https://academy.example.com"
    assert app.config["SECRET_KEY"] == "a" * 64 and not app.config["AUTO_SETUP"]
    assert not app.debug


@pytest.mark.parametrize("name", ["STATISTICS_TEAM_MINIMUM", "STATISTICS_REFRESH_MINUTES",
                                  "STATISTICS_ITEM_MINIMUM"])
def test_statistics_settings_must_be_positive_whole_numbers(bare_env, monkeypatch, name):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    for bad in ("0", "-5", "2k"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigurationError, match=f"{name} must be a whole number"):
            create_app()
    monkeypatch.setenv(name, "500")
    assert create_app().config[name] == 500


def test_embedded_default_sets_itself_up_once(bare_env, monkeypatch, capsys):
    monkeypatch.setenv("SMALLB_ENV", "development")
    app = create_app()
    printed = capsys.readouterr().out
    for role in ("learner", "trainer", "admin"):
        assert f"{role}@demo.example.com" in printed
    password = next(line.split("password: ")[1] for line in printed.splitlines()
                    if "learner@demo" in line)
    database = bare_env / "smallb.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM courses").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 3
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
        # The demo trainer is given every shipped course, so the editor opens on them.
        assert conn.execute("SELECT count(*) FROM course_grants g JOIN users u ON u.id = g.user_id "
                            "WHERE u.email = 'trainer@demo.example.com'").fetchone()[0] == 3
    key = (bare_env / "secret_key").read_text()
    assert len(key) == 64 and (bare_env / "secret_key").stat().st_mode & 0o777 == 0o600
    # The printed credentials work.
    client = app.test_client()
    import re
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"login": "learner@demo.example.com", "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302
    trainer_password = next(line.split("password: ")[1] for line in printed.splitlines()
                            if "trainer@demo" in line)
    trainer = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', trainer.get("/login").get_data(as_text=True)).group(1)
    trainer.post("/login", data={"login": "trainer@demo.example.com", "password": trainer_password,
                                 "csrf_token": token})
    with sqlite3.connect(database) as conn:
        slug = conn.execute("SELECT slug FROM courses ORDER BY id").fetchone()[0]
    assert trainer.get(f"/author/courses/{slug}").status_code == 200

    create_app()  # second start: nothing duplicated, nothing printed
    assert "demo.example.com" not in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    assert (bare_env / "secret_key").read_text() == key


def test_with_database_url_nothing_is_automatic(bare_env, monkeypatch):
    monkeypatch.setenv("SMALLB_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "other.db"))
    create_app()
    assert not (bare_env / "smallb.sqlite3").exists()
    with sqlite3.connect(bare_env / "other.db") as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='users'").fetchone() is None


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_urls_use_psycopg_3(given, expected):
    assert database_url_from_env(given, "/x") == expected


def test_app_py_is_a_thin_entry():
    source = (Path(__file__).parents[1] / "app.py").read_text()
    assert len(source.splitlines()) < 15 and "create_app()" in source
