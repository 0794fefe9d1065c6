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


@pytest.mark.slow
def test_embedded_default_sets_itself_up_once(bare_env, monkeypatch, capsys):
    monkeypatch.setenv("SMALLB_ENV", "development")
    app = create_app()
    printed = capsys.readouterr().out
    for role in ("learner", "trainer", "admin", "mentor"):
        assert f"{role}@demo.example.com" in printed
    password = next(line.split("password: ")[1] for line in printed.splitlines()
                    if "learner@demo" in line)
    database = bare_env / "smallb.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM courses").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 4  # and the mentor
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
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 4  # and the mentor
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


ROOT = Path(__file__).parents[1]


def _flask(args, env_overrides, tmp_path):
    """A `flask` command in a fresh process, as an operator runs it."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update({"SMALLB_ENV": "development", "INSTANCE_PATH": str(tmp_path / "instance"),
                **env_overrides})
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _said(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "alembic.runtime.migration" not in line]


@pytest.mark.slow
def test_a_missing_courses_folder_is_one_line_and_other_commands_keep_working(tmp_path):
    """The embedded default's first start imports COURSES_PATH; pointing it at a missing
    folder used to end every `flask` command in a traceback."""
    missing = {"COURSES_PATH": str(tmp_path / "no-such-folder")}
    tokens = _flask(["api", "tokens"], missing, tmp_path)
    assert tokens.returncode == 0, tokens.stderr
    assert "Traceback" not in tokens.stderr
    assert _said(tokens.stderr) == [
        f"SmallB Academy: no courses imported: COURSES_PATH={tmp_path / 'no-such-folder'} is not "
        f"a folder: point it at a folder of courses, or unset it for the shipped courses/ "
        f"({ROOT / 'courses'})"]
    assert "learner@demo.example.com" in tokens.stdout  # the accounts were still made
    # The command that needs the courses says so in one line and fails.
    imported = _flask(["courses", "import"], missing, tmp_path)
    assert imported.returncode == 1 and "Traceback" not in imported.stderr
    assert _said(imported.stderr)[-1].startswith("Error: COURSES_PATH=")
    assert len(_said(imported.stderr)) == 2  # the start's note, the command's error
    # A folder that holds no courses: one line too, naming the first problem.
    empty = tmp_path / "empty"
    empty.mkdir()
    other = _flask(["users", "--help"], {"COURSES_PATH": str(empty),
                                         "INSTANCE_PATH": str(tmp_path / "other")}, tmp_path)
    assert other.returncode == 0 and "Traceback" not in other.stderr
    (line,) = _said(other.stderr)
    assert "no courses imported: 1 problem(s)" in line and "courses check" in line


def test_an_empty_courses_path_means_the_shipped_curriculum(bare_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(bare_env / "x.db"))
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    for value in ("", "  "):
        monkeypatch.setenv("COURSES_PATH", value)
        assert create_app().config["COURSES_PATH"] == str(ROOT / "courses")


def test_courses_import_without_a_folder_is_one_line_in_the_cli_runner(app, runner, tmp_path):
    app.config["COURSES_PATH"] = str(tmp_path / "gone")
    result = runner.invoke(args=["courses", "import"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert result.output.strip().splitlines() == [
        f"Error: COURSES_PATH={tmp_path / 'gone'} is not a folder: point it at a folder of "
        f"courses, or unset it for the shipped courses/ ({ROOT / 'courses'}); or name the "
        f"folder: flask courses import PATH"]
    assert runner.invoke(args=["api", "tokens"]).exit_code == 0  # the rest still works


def test_a_configuration_error_is_one_line_for_flask_and_app_py(tmp_path):
    import subprocess
    import sys

    bad = {"MEDIA_STORAGE": "floppy", "COURSES_PATH": str(FIXTURES / "courses")}
    result = _flask(["users", "--help"], bad, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert _said(result.stderr) == ["Error: MEDIA_STORAGE must be database, local or s3"]
    served = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**_flask_env(tmp_path), **bad})
    assert served.returncode == 1
    assert served.stderr.strip() == "SmallB Academy: MEDIA_STORAGE must be database, local or s3"


def _flask_env(tmp_path) -> dict:
    import os

    return {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
            "INSTANCE_PATH": str(tmp_path / "instance")}


def test_the_readme_commands_make_and_use_a_venv_and_ci_runs_the_test_one():
    """Stock Debian refuses pip outside a virtual environment (PEP 668): each of the two
    commands is one line that makes .venv and uses it, and .ci/run runs the README's test
    command, not a copy that could drift."""
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The two commands"):readme.index("## Configuration")]
    serve, test, fast = re.findall(r"```sh\n(.*?)\n```", section)[:3]
    for line in (serve, test, fast):
        assert "\n" not in line and line.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert serve.endswith(".venv/bin/python app.py")
    assert fast == test + ' -m "not e2e and not slow"'  # the markers of pyproject.toml
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"TEST_COMMAND='{test}'" in ci and 'eval "$TEST_COMMAND' in ci
    assert re.search(r"Python 3\.11 or newer", readme[:400])
