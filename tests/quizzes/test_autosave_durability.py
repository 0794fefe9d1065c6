"""An answer the server said it saved survives `kill -9` of every gunicorn process.

The portal runs as in production (gunicorn, the settings file, two workers) on its own
database. A learner autosaves a text answer; the moment the 200 arrives, the whole process
group is killed with SIGKILL (no shutdown, no flush), and the database file is read
afresh. Three rounds, each a restart on the same database. On SQLite (WAL,
synchronous=NORMAL: a killed process loses nothing committed; only a power cut could) and,
with TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests import engines
from tests.conftest import PASSWORD, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_COURSES = ROOT / "tests" / "fixtures" / "courses"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL: set TEST_DATABASE_URL"))]


def _database(kind: str, home: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{home / 'portal.sqlite3'}"
    from sqlalchemy.engine import make_url

    from tests.conftest import _postgres_database

    name = make_url(TEST_DATABASE_URL).database + "_killed_" + (os.environ.get(
        "PYTEST_XDIST_WORKER") or "main")
    return _postgres_database(TEST_DATABASE_URL, name)


def _flask(env: dict, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _start(env: dict, base: str, log) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:create_app()", "-c",
                                "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    engines.wait_for(lambda: _answers(base), 60, "gunicorn to answer /healthz")
    return process


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _kill_everything(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # the master and both workers, mid-whatever
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers are reaped by init: wait until gone
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_a_saved_answer_survives_kill_9_of_every_worker(tmp_path, kind):
    port = engines.free_port()
    base = f"http://127.0.0.1:{port}"
    url = _database(kind, tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEST_DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DATABASE_URL=url, SECRET_KEY="durability-secret", INSTANCE_PATH=str(tmp_path / "i"),
               COURSES_PATH=str(FIXTURE_COURSES), WEB_CONCURRENCY="2", HOST="127.0.0.1",
               PORT=str(port), PUBLIC_BASE_URL=base)
    _flask(env, "db", "upgrade")
    _flask(env, "courses", "import")
    _flask(env, "users", "create", "--login", "lin@example.com", "--name", "小林",
           "--password", PASSWORD)
    session = requests.Session()
    saved = []
    with (tmp_path / "gunicorn.log").open("w") as log:
        for round_ in range(3):
            process = _start(env, base, log)
            try:
                if round_ == 0:
                    response = session.post(base + "/login", timeout=10, data={
                        "login": "lin@example.com", "password": PASSWORD,
                        "csrf_token": _token(session, base + "/login")})
                    assert response.ok and "/login" not in response.url
                    token = _token(session, base + "/courses/gamma")
                    session.post(base + "/courses/gamma/intro/read", data={"csrf_token": token},
                                 timeout=10)
                    started = session.post(base + "/courses/gamma/start/quiz/start", timeout=10,
                                           data={"csrf_token": token}, allow_redirects=False)
                    assert started.status_code == 303, started.text
                    attempt = int(re.search(r"/attempts/(\d+)", started.headers["Location"])[1])
                answer = f"开单率 round {round_} {time.time_ns()}"
                response = session.post(
                    f"{base}/attempts/{attempt}/answer", timeout=10,
                    data={"question_id": "rate", "q-rate": answer},
                    headers={"X-CSRFToken": _token(session, f"{base}/attempts/{attempt}"),
                             "Accept": "application/json"})
                assert response.status_code == 200 and response.json()["saved"] is True
            finally:
                _kill_everything(process)  # right after the 200 (or whatever went wrong)
            saved.append(answer)
            reader = create_engine(url)
            try:
                with reader.connect() as connection:
                    stored = connection.execute(text(
                        "SELECT response FROM quiz_answers WHERE attempt_id = :a "
                        "AND question_id = 'rate'"), {"a": attempt}).scalar_one()
            finally:
                reader.dispose()
            if isinstance(stored, str):  # SQLite's JSON column comes back as its text
                stored = json.loads(stored)
            assert stored == {"text": answer}, f"round {round_}"
    assert len(saved) == 3
