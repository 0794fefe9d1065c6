"""Production serving: health check, fingerprinted assets, proxy headers, JSON logs."""
import json
import logging
import re

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
    from app.ops import JsonFormatter

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
