"""End-to-end: the portal served by gunicorn on loopback, driven in Debian's Chromium.

Never downloads a browser: Playwright's Python package drives /usr/bin/chromium. Skipped, with
the reason, where Playwright or Chromium is missing. Screenshots go to test-artifacts/.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import engines

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "laptop": {"width": 1280, "height": 800}}
MENTORS = {"phone": "13800000101", "laptop": "13800000102"}
MENTOR_PASSWORD = "harbour-lantern-quiet-31"
E2E_RULES = """tiers:
  - key: trainee
    name: {zh: 见习店主, en: Trainee}
    requires: {}
    benefits: {commission: {zh: 基础佣金, en: Base commission}}
  - key: certified
    name: {zh: 认证店主, en: Certified seller}
    requires: {certificates: [rules-and-integrity]}
    benefits: {commission: {zh: 基础佣金 +2%, en: Base commission +2%}}
  - key: mentor
    name: {zh: 导师, en: Mentor}
    requires: {direct_mentees: {count: 1, min_tier: certified}}
    benefits: {commission: {zh: 基础佣金 +4%, en: Base commission +4%}}
"""

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - reported as a skip
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not Path(CHROMIUM).exists(),
    reason=f"end-to-end tests need the playwright package and Chromium at {CHROMIUM} "
           "(Debian: apt-get install chromium chromium-driver)")


def _free_port() -> int:
    return engines.free_port()  # this worker's own block of ports


class Server:
    def __init__(self, base_url: str, env: dict, database: Path):
        self.base_url, self.env, self.database = base_url, env, database

    def flask(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                                env=self.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def sql(self, statement: str, *params):
        with sqlite3.connect(self.database) as conn:
            rows = conn.execute(statement, params).fetchall()
            conn.commit()
            return rows


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """gunicorn with the production settings file, on SQLite, set up by the README's commands."""
    home = tmp_path_factory.mktemp("e2e")
    database = home / "e2e.sqlite3"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{database}", SECRET_KEY="e2e-secret-key",
               INSTANCE_PATH=str(home / "instance"), COURSES_PATH=str(ROOT / "courses"),
               WEB_CONCURRENCY="2", HOST="127.0.0.1", PORT=str(port), LOGIN_RATE_LIMIT="100 per minute",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    # Shorter tier rules for the journey: Certified = the Rules course, Mentor = one mentee
    # Certified (a configuration the real rules file allows; the guard checks it too).
    rules = home / "tier_rules.yml"
    rules.write_text(E2E_RULES, encoding="utf-8")
    env["TIER_RULES_PATH"] = str(rules)
    srv = Server(f"http://127.0.0.1:{port}", env, database)
    srv.flask("db", "upgrade")
    srv.flask("courses", "import")
    for viewport, phone in MENTORS.items():
        srv.flask("users", "create", "--login", phone, "--name", f"王姐{viewport}",
                  "--password", MENTOR_PASSWORD)
        # The mentor is already certified (her certificate row, as issuing would write it).
        srv.sql("INSERT INTO certificates (code, user_id, course_id, generation, learner_name, course_title, issued_at) "
                "SELECT ?, u.id, c.id, 1, u.display_name, c.title, '2026-01-01' FROM users u, courses c "
                "WHERE u.phone = ? AND c.slug = 'rules-and-integrity'", f"MENTOR-{viewport}-CERT-0000000000", "+86" + phone)
    srv.flask("tiers", "recompute")
    srv.flask("users", "create", "--login", "trainer@example.com", "--name", "王老师",
              "--role", "trainer", "--password", "quiet-harbour-lamp-71")
    srv.flask("users", "create", "--login", "admin@example.com", "--name", "运营",
              "--role", "admin", "--password", "amber-meadow-kite-52")
    yield from serve(srv, home, env)


def serve(srv: "Server", home, env: dict):
    """Run the portal under gunicorn (the production shape) until the generator is closed."""
    log = (home / "gunicorn.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:create_app()", "-c",
                                "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(srv.base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("gunicorn did not start: " + (home / "gunicorn.log").read_text())
        time.sleep(0.3)
    try:
        yield srv
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request):
    return request.param


def new_page(browser, viewport: str, prefix: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.shot_prefix = prefix
    return page


@pytest.fixture
def page(browser, viewport, request):
    page = new_page(browser, viewport, f"{request.node.originalname}-{viewport}")
    yield page
    page.context.close()


@pytest.fixture
def mentor_page(browser, viewport, request, server):
    page = new_page(browser, viewport, f"{request.node.originalname}-{viewport}-mentor")
    page.goto(server.base_url + "/login")
    page.fill("#login", MENTORS[viewport])
    page.fill("#password", MENTOR_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    yield page
    page.context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{page.shot_prefix}-{name}.png"), full_page=True)


# Screens kept in git (.gitignore lets them in): a run overwrites them, never deletes them.
KEPT_SCREENS = ("next-step-", "trainer-journey-", "admin-journey-")


@pytest.fixture(scope="session", autouse=True)
def _clean_artifacts():
    if ARTIFACTS.exists():
        for old in ARTIFACTS.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
            elif not (old.name.startswith(KEPT_SCREENS) and old.suffix == ".png"):
                old.unlink()
    yield
