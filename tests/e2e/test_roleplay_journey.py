"""In Chromium at 360 px, following the visible text: a learner plays a shipped role-play
badly, then well, and sees her rubric profile. The portal is served by gunicorn on loopback
(as in tests/e2e), on the port E2E_PRACTICE_PORT names."""
import os

import pytest

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, ROOT, Server, serve, sync_playwright

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not os.path.exists(CHROMIUM),
    reason=f"needs the playwright package and Chromium at {CHROMIUM}")

PORT = int(os.environ.get("E2E_PRACTICE_PORT", "44100"))
PASSWORD = "lantern-harbour-quiet-47"
COURSE = "/courses/rules-and-integrity"
# courses/rules-and-integrity/01-honest-claims/roleplay-cures-colds.zh.md, by visible text.
BADLY = ["“治”不能说，不过可以说“预防感冒”，这样应该没问题。",
         "对，就这么说，大家都这么写的。",
         "一天两包就行，喝一周就好了。"]
WELL = ["闺女感冒了你肯定心疼。先说实话：姜枣茶是食品，不是药，治不了感冒，我不能这么说。孩子咳嗽、发烧的话，先带去看医生。",
        "好处是实在的：配料就是红糖、生姜、红枣，热水一冲就能喝，天冷喝一杯暖乎乎的。孩子能不能喝、喝多少，先问问医生。",
        "天冷了，我家早上会冲一杯红糖姜枣茶：配料就是红糖、生姜、红枣，20 包 29.9。它是饮品不是药，家里有人感冒发烧，还是先看医生哈。",
        "闺女没大事就好！两盒的链接发你，在平台下单就行。孩子好点了吗？"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("practice-e2e")
    database = home / "e2e.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEST_DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{database}", SECRET_KEY="e2e-practice-secret",
               INSTANCE_PATH=str(home / "instance"), COURSES_PATH=str(ROOT / "courses"),
               WEB_CONCURRENCY="2", HOST="127.0.0.1", PORT=str(PORT),
               PUBLIC_BASE_URL=f"http://127.0.0.1:{PORT}", LOGIN_RATE_LIMIT="100 per minute")
    srv = Server(f"http://127.0.0.1:{PORT}", env, database)
    srv.flask("db", "upgrade")
    srv.flask("courses", "import")
    srv.flask("users", "create", "--login", "13800000311", "--name", "小周",
              "--password", PASSWORD)
    yield from serve(srv, home, env)


@pytest.fixture(scope="module")
def page(server, browser):
    # The suite's one Chromium (tests/e2e/conftest.py): a second sync_playwright() in the
    # same process is refused while the first is open.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"roleplay-360-{name}.png"), full_page=True)


def _not_wider_than_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _small_tap_targets(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll(
        'main button, main a.button, .replies button')].filter(e => {
          const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44;
        }).map(e => e.textContent.trim().slice(0, 30))""")


def _reply(page, text: str) -> None:
    page.get_by_role("button", name=text).click()
    page.wait_for_load_state()


def test_play_badly_then_well_and_see_the_profile(server, page):
    base = server.base_url
    page.goto(base + "/login")
    page.fill("#login", "13800000311")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    page.goto(base + COURSE)
    page.get_by_role("link", name="角色扮演：能不能说治感冒").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="开始对话").click()
    page.wait_for_load_state()
    assert page.locator(".chat .customer").count() >= 1
    _not_wider_than_the_phone(page)
    assert _small_tap_targets(page) == []
    _shot(page, "first-decision")

    for text in BADLY:
        _reply(page, text)
        assert page.locator(".chat .reply").last.inner_text().endswith(text)
        assert page.locator(".chat .feedback").last.is_visible()
    assert page.get_by_text("不好的结局").is_visible()
    assert page.get_by_text("这次没有通过。").is_visible()
    _not_wider_than_the_phone(page)
    _shot(page, "badly")

    # Reload: nothing changes, the ending stays.
    page.reload()
    assert page.get_by_text("不好的结局").is_visible()

    page.get_by_role("button", name="再试一次").click()
    page.wait_for_load_state()
    assert page.locator(".chat .reply").count() == 0  # a new play, from the start
    for number, text in enumerate(WELL):
        _reply(page, text)
        if number == 1:  # leave mid-way and come back: the conversation resumes
            page.goto(base + COURSE)
            page.get_by_role("link", name="角色扮演：能不能说治感冒").click()
            page.get_by_role("button", name="继续对话").click()
            page.wait_for_load_state()
            assert page.locator(".chat .reply").count() == 2
    assert page.get_by_text("好结局").first.is_visible()
    assert page.get_by_text("总分：100%").is_visible()
    profile = page.locator(".profile-table tbody tr")
    assert profile.count() >= 2
    assert all(row.endswith("100") for row in profile.all_inner_texts())
    assert page.locator("svg.profile-chart rect").count() == 2 * profile.count()
    _not_wider_than_the_phone(page)
    assert _small_tap_targets(page) == []
    _shot(page, "well")

    page.goto(base + COURSE)
    assert page.get_by_text("已通过（最好成绩 100%）").is_visible()
