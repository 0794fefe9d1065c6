"""Production serving: health check, fingerprinted assets, proxy headers, JSON logs."""
import json
import logging
import re

from app.transactions import unit_of_work
from tests.conftest import make_app


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "ok"


def test_healthz_reports_a_broker_that_is_down_but_stays_ready(database_url, _schema):
    """Requests still work without the broker (the outbox keeps side effects): readiness
    says "degraded" and stays 200, so the load balancer keeps sending traffic."""
    app = make_app(database_url, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz/ready")
    assert response.status_code == 200 and response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["broker"].startswith("error")


def test_assets_have_content_names_and_year_long_caching(client):
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/assets/[0-9a-f]{12}/css/app.css)"', page).group(1)
    response = client.get(href)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    response.close()
    stale = client.get("/assets/000000000000/css/app.css")
    assert stale.headers["Cache-Control"] == "no-cache"
    stale.close()
    assert client.get("/assets/000000000000/../../config.py").status_code == 404


def test_proxy_fix_trusts_forwarded_https_when_configured(database_url, _schema):
    app = make_app(database_url, PROXY_FIX_HOPS=1)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    plain = make_app(database_url).test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers


def test_json_log_lines():
    from app.logs import JsonFormatter

    record = logging.LogRecord("smallb", logging.INFO, __file__, 1, "证书 %s", ("ok",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "证书 ok" and line["level"] == "INFO"


def test_gunicorn_config_reads_the_environment(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "9000")
    settings = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    assert settings["workers"] == 3 and settings["bind"].endswith(":9000")
    assert settings["worker_class"] == "sync" and settings["accesslog"] == "-"


ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def _capture(formatter):
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
    return stream, handler


def test_a_learners_failing_request_carries_one_id_from_page_to_log(app, client, make_user, auth):
    """The error page shows the id, the response says it, and the app's JSON line about the
    failure names it with her user id: what the README tells operators to search for."""
    from flask_login import login_required

    from app.accounts.models import User
    from app.extensions import db
    from app.logs import JsonFormatter, TextFormatter

    @login_required  # as every learner page: her user is known before the view runs
    def broken():
        raise RuntimeError("the shop's tier service answered nonsense")

    app.add_url_rule("/broken", "broken", broken)  # before the first request
    learner = "learner@example.com"
    make_user(learner)
    assert auth.login(learner).status_code == 302
    stream, handler = _capture(JsonFormatter())
    text, text_handler = _capture(TextFormatter())
    try:
        response = client.get("/broken")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().removeHandler(text_handler)
    with unit_of_work(app):
        user_id = db.session.query(User.id).filter(User.email == learner).scalar()
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500 and re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert request_id in response.get_data(as_text=True)  # "Reference for support: …"
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines() if "Unhandled" in x]
    assert line["request_id"] == request_id and line["user_id"] == user_id
    assert (line["method"], line["path"]) == ("GET", "/broken")
    assert "answered nonsense" in line["exception"] and re.fullmatch(ISO, line["time"])
    (plain,) = [x for x in text.getvalue().splitlines() if "Unhandled" in x]
    assert re.match(ISO + rf" ERROR app \[{request_id} user={user_id}\]: Unhandled error", plain)
    # Every request gets its own id; a client cannot choose it without a proxy in front.
    again = client.get("/login", headers={"X-Request-ID": "chosen-by-the-client"})
    assert again.headers["X-Request-ID"] not in (request_id, "chosen-by-the-client")


def test_the_proxys_request_id_is_kept_behind_a_proxy(database_url, _schema):
    app = make_app(database_url, PROXY_FIX_HOPS=1)
    client = app.test_client()
    assert client.get("/login", headers={"X-Request-ID": "5f0c1e2d3a4b5c6d"}).headers[
        "X-Request-ID"] == "5f0c1e2d3a4b5c6d"
    # Not an id (too short, spaces, a log injection): replaced by one of ours.
    for bad in ("x", "a b c d e f g h", "id\" FAKE=\"line", "x" * 65):
        assert client.get("/login", headers={"X-Request-ID": bad}).headers["X-Request-ID"] != bad


def test_a_request_killed_by_the_worker_timeout_leaves_a_line_with_its_id(caplog):
    from app.logs import RequestIds

    def stuck(environ, start_response):
        raise SystemExit(1)  # what gunicorn's SIGABRT handler raises inside the request

    middleware = RequestIds(stuck, trust_incoming=True)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/quiz/7/submit",
               "HTTP_X_REQUEST_ID": "0123456789abcdef"}
    with caplog.at_level(logging.ERROR, logger="smallb.requests"):
        try:
            middleware(environ, lambda *a: None)
        except SystemExit:
            pass
    (record,) = caplog.records
    assert "POST /quiz/7/submit ended without an answer" in record.getMessage()


def test_gunicorn_logs_iso_times_request_ids_and_users(tmp_path):
    """The production settings file, in a real gunicorn: the access line of a signed-in
    learner's request has an ISO time, the id the response carried and her user id; the
    error log's own lines have ISO times."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar
    from pathlib import Path

    root = Path(__file__).parents[1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'logs.sqlite3'}", SECRET_KEY="logs-test",
               INSTANCE_PATH=str(tmp_path / "instance"), PUBLIC_BASE_URL="http://127.0.0.1",
               BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", LOG_FORMAT="json")
    for command in (["db", "upgrade"], ["users", "create", "--login", "lin@example.com",
                                        "--name", "Lin", "--password", "quiet-harbour-lamp-71"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=root,
                       env=env, check=True, capture_output=True, timeout=120)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:create_app()", "-c",
                                   "gunicorn.conf.py"], cwd=root, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                page = opener.open(base + "/login", timeout=5).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, log_path.read_text()
                time.sleep(0.3)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        opener.open(base + "/login", urllib.parse.urlencode(
            {"login": "lin@example.com", "password": "quiet-harbour-lamp-71", "csrf_token": token}
        ).encode(), timeout=30).read()
        try:
            opener.open(base + "/courses/no-such-course", timeout=30)
        except urllib.error.HTTPError as error:
            failing_id = error.headers["X-Request-ID"]
            assert error.code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = log_path.read_text().splitlines()
    (access,) = [line for line in lines if failing_id in line]
    assert re.fullmatch(ISO + rf' {failing_id} user=1 127\.0\.0\.1 "GET /courses/no-such-course '
                        r'HTTP/1\.1" 404 \d+ \d+ms "Python-urllib/[\d.]+"', access)
    booting = [line for line in lines if "Booting worker" in line]
    assert booting and re.match(ISO + r" \[\d+\] \[INFO\] Booting worker", booting[0])
