"""In Chromium at 360 px, following the visible text: a mentee hands in her group's welcome
message, her mentor asks for a revision, she revises, the mentor approves, and the work is in
her My templates. Served by gunicorn on loopback, on the shipped curriculum (the group
course's modules opened for the journey, so it can start at the welcome-message lesson)."""
import os
import shutil

import pytest

from tests import engines
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, ROOT, Server, serve, sync_playwright

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not os.path.exists(CHROMIUM),
    reason=f"needs the playwright package and Chromium at {CHROMIUM}")

PASSWORD = "lantern-meadow-quiet-58"
MENTEE, MENTOR, LATE = "13800000411", "13800000412", "13800000413"
LESSON = "/courses/group-building/the-welcome-message"
TITLE = "作业：给你自己的群写一条欢迎语"
FIRST = "欢迎新朋友！"
REVISED = ("欢迎@小美 ～小美是我们小区的邻居。咱们群专聊宝宝辅食，群规在群公告里，不发广告哦。"
           "小美，你家宝宝现在爱吃什么？")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("assignment-e2e")
    courses = home / "courses"
    shutil.copytree(ROOT / "courses", courses)
    course_md = courses / "group-building" / "course.md"
    course_md.write_text(course_md.read_text(encoding="utf-8").replace(
        "gating: sequential", "gating: open"), encoding="utf-8")
    database = home / "e2e.sqlite3"
    port = engines.free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEST_DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{database}", SECRET_KEY="e2e-assignment-secret",
               INSTANCE_PATH=str(home / "instance"), COURSES_PATH=str(courses),
               WEB_CONCURRENCY="2", HOST="127.0.0.1", PORT=str(port),
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", LOGIN_RATE_LIMIT="100 per minute")
    srv = Server(f"http://127.0.0.1:{port}", env, database)
    srv.flask("db", "upgrade")
    srv.flask("courses", "import")
    srv.flask("users", "create", "--login", MENTEE, "--name", "小周", "--password", PASSWORD)
    srv.flask("users", "create", "--login", MENTOR, "--name", "陈姐", "--password", PASSWORD)
    srv.flask("users", "create", "--login", LATE, "--name", "小丽", "--password", PASSWORD)
    # 陈姐 holds the mentor tier (whose rules say it reviews assignments); 小周 is her mentee.
    [(mentor_id, mentor_path)] = srv.sql(
        "SELECT t.user_id, t.path FROM tree_nodes t JOIN users u ON u.id = t.user_id "
        "WHERE u.phone = ?", "+86" + MENTOR)
    srv.sql("UPDATE tree_nodes SET tier = 'mentor', tier_rank = 2 WHERE user_id = ?", mentor_id)
    [(mentee_id,)] = srv.sql("SELECT id FROM users WHERE phone = ?", "+86" + MENTEE)
    srv.sql("UPDATE tree_nodes SET mentor_id = ?, path = ?, depth = 1 WHERE user_id = ?",
            mentor_id, f"{mentor_path}{mentee_id}/", mentee_id)
    yield from serve(srv, home, env)


def _phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  has_touch=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


def _sign_in(page, base: str, login: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _fits(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"assignment-360-{name}.png"), full_page=True)


def _score(page, levels: list[str]) -> None:
    for text in levels:
        page.get_by_label(text, exact=False).check()


def test_hand_in_revise_approve_and_keep(server, browser):
    base = server.base_url
    mentee, mentor = _phone(browser), _phone(browser)
    try:
        _sign_in(mentee, base, MENTEE)
        mentee.goto(base + LESSON)
        mentee.get_by_role("link", name=TITLE).click()
        mentee.wait_for_load_state()
        _fits(mentee, "1-write")
        mentee.get_by_label("在这里写你的作业").fill(FIRST)
        mentee.get_by_role("button", name="交给导师批改").click()
        mentee.wait_for_load_state()
        assert mentee.get_by_text("已交上。批改好了会发消息告诉你。").is_visible()
        assert mentee.get_by_role("heading", name="等待批改").is_visible()

        _sign_in(mentor, base, MENTOR)
        mentor.goto(base + "/mentor")
        assert mentor.get_by_text("1 份作业等你批改").is_visible()
        _fits(mentor, "2-my-mentees")
        mentor.get_by_role("link", name="小周：给你自己的群写一条欢迎语").click()
        mentor.wait_for_load_state()
        assert mentor.get_by_text(FIRST).first.is_visible()
        _score(mentor, ["没有点名，像群发通知", "没说群是干什么的", "没有问题，她看完不知道说什么",
                        "没提群规，或者一进群就发链接"])
        mentor.get_by_label("给她的评语").fill("叫出她的名字，说说群是聊什么的，再问一个她好回答的问题。")
        _fits(mentor, "3-review")
        mentor.get_by_role("button", name="请她修改").click()
        mentor.wait_for_load_state()
        assert mentor.get_by_text("批改已保存：已请她修改后再交。").is_visible()

        mentee.goto(base + "/notifications")
        mentee.get_by_role("link", name="看批改").click()
        mentee.wait_for_load_state()
        assert mentee.get_by_text("叫出她的名字，说说群是聊什么的").is_visible()
        assert mentee.get_by_role("heading", name="你的修改稿").is_visible()
        mentee.get_by_label("在这里写你的作业").fill(REVISED)
        # The autosave answers a moment after she stops typing.
        mentee.locator(".save-status", has_text="已保存").wait_for(timeout=15000)
        mentee.reload()
        assert mentee.get_by_label("在这里写你的作业").input_value() == REVISED  # kept
        mentee.get_by_role("button", name="交给导师批改").click()
        mentee.wait_for_load_state()
        _fits(mentee, "4-revised")

        mentor.goto(base + "/reviews")
        mentor.get_by_role("link", name="小周：给你自己的群写一条欢迎语").click()
        mentor.wait_for_load_state()
        _score(mentor, ["点名欢迎，还说了一句只属于她的话", "一句话说清群的主题和对她有什么用",
                        "最后有一个她张口就能答的问题", "告诉她群规在哪儿，语气友好"])
        mentor.get_by_role("button", name="通过").click()
        mentor.wait_for_load_state()
        assert mentor.get_by_text("批改已保存：作业通过了。").is_visible()

        mentee.goto(base + "/")
        mentee.get_by_text("菜单").click()
        mentee.get_by_role("link", name="我的模板").click()
        mentee.wait_for_load_state()
        assert mentee.get_by_role("heading", name="给你自己的群写一条欢迎语").is_visible()
        assert mentee.get_by_text("小美是我们小区的邻居").is_visible()
        assert mentee.get_by_role("button", name="复制").first.is_visible()
        _fits(mentee, "5-my-templates")
        assert mentee.console_errors == [] and mentor.console_errors == []
    finally:
        mentee.context.close()
        mentor.context.close()


def test_a_hand_in_after_the_session_ended_keeps_her_text(server, browser):
    """Her session ends while she writes (the cookie is gone); she hands in, signs in again
    and finds her text in the box: the phone keeps it until a page says the server has it."""
    base = server.base_url
    mentee = _phone(browser)
    text = "欢迎@小丽 ～这条是在登录过期以后写的，不能丢。群规在群公告里。"
    try:
        _sign_in(mentee, base, LATE)
        mentee.goto(base + "/courses/group-building")
        mentee.get_by_role("link", name=TITLE).first.click()
        mentee.wait_for_load_state()
        mentee.context.clear_cookies()
        box = mentee.get_by_label("在这里写你的作业")
        box.fill(text)
        mentee.get_by_role("button", name="交给导师批改").click()
        mentee.wait_for_load_state()
        assert "/login" in mentee.url
        mentee.get_by_label("手机号或邮箱").fill(LATE)
        mentee.get_by_label("密码").fill(PASSWORD)
        mentee.get_by_role("button", name="登录").click()
        mentee.wait_for_load_state()
        if "/assignment/" not in mentee.url:
            mentee.goto(base + "/courses/group-building")
            mentee.get_by_role("link", name=TITLE).first.click()
            mentee.wait_for_load_state()
        assert mentee.get_by_label("在这里写你的作业").input_value() == text
        mentee.get_by_role("button", name="交给导师批改").click()
        mentee.wait_for_load_state()
        assert mentee.get_by_role("heading", name="等待批改").is_visible()
        # Handed in: the phone's copy is gone, so the box never comes back with it.
        kept = mentee.evaluate("Object.keys(window.localStorage)"
                               ".filter(k => k.startsWith('assignment-'))")
        assert kept == []
    finally:
        mentee.context.close()
