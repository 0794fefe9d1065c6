"""A quiz in a real browser when the session ends mid-way (logout on another device, an expired
cookie) or the connection drops: the page says which it is and no answer is lost."""
import re

import pytest

from tests.e2e.conftest import new_page, screenshot
from tests.e2e.test_journeys import COURSE, KEYS, plain, read_module_and_open_quiz, right_answer

PASSWORD = "willow-ferry-candle-64"
SIGNED_OUT = "你已退出登录——请重新登录后继续。"
OFFLINE = "网络断了"
MODULE = next(iter(KEYS))
QUESTIONS = {q["id"]: q for q in KEYS[MODULE]["questions"]}
# An attempt shows the quiz's draw from its pool, not every question.
DRAWN = KEYS[MODULE]["settings"]["draw"] or len(QUESTIONS)


def answer(fieldset, question: dict) -> None:
    labels = right_answer(question)
    if question["type"] == "order":
        for select, label in zip(fieldset.locator("select").all(), labels):
            select.select_option(label=label)
    else:
        for label in labels:
            fieldset.get_by_label(label, exact=True).check()


def shows_answer(fieldset, question: dict) -> bool:
    labels = right_answer(question)
    if question["type"] == "order":
        chosen = [s.evaluate("el => el.options[el.selectedIndex].text.trim()")
                  for s in fieldset.locator("select").all()]
        return chosen == labels
    boxes = fieldset.locator("input[type=radio], input[type=checkbox]")
    picked = {plain({"zh": box.evaluate("el => el.closest('label').innerHTML")})
              for box in boxes.all() if box.is_checked()}
    return picked == set(labels)


def sign_in(page, login: str) -> None:
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def open_quiz(page, server, login: str) -> int:
    """A new learner signs in, reads the first module of the Rules course and starts its quiz."""
    server.flask("users", "create", "--login", login, "--name", "宝妈小周", "--password", PASSWORD)
    page.goto(server.base_url + "/login")
    sign_in(page, login)
    page.goto(f"{server.base_url}/courses/{COURSE}")
    page.get_by_role("link", name=re.compile("开始学习")).click()
    read_module_and_open_quiz(page)
    page.get_by_role("button", name=re.compile("开始测验")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def fieldsets(page):
    return [(fs, QUESTIONS[fs.get_attribute("data-question")])
            for fs in page.locator("fieldset[data-question]").all()]


def saved_answers(server, attempt_id: int) -> int:
    return server.sql("SELECT count(*) FROM quiz_answers WHERE attempt_id = ? AND response IS NOT NULL "
                      "AND response != '{}'", attempt_id)[0][0]


def wait_saved(fieldset) -> None:
    fieldset.locator(".save-status", has_text="已保存").wait_for()


@pytest.mark.parametrize("ending", ["logout-elsewhere", "cookie-expired"])
def test_session_ending_mid_quiz_loses_no_answer(browser, server, viewport, ending):
    login = {"phone": "139000002", "laptop": "139000004"}[viewport] + {"logout-elsewhere": "01",
                                                                       "cookie-expired": "02"}[ending]
    page = new_page(browser, viewport, f"session-loss-{ending}-{viewport}")
    try:
        attempt_id = open_quiz(page, server, login)
        questions = fieldsets(page)
        assert len(questions) == DRAWN >= 4
        first, rest = questions[:3], questions[3:]
        for fieldset, question in first:
            answer(fieldset, question)
        for fieldset, _ in first:
            wait_saved(fieldset)

        if ending == "logout-elsewhere":
            # The same cookies on another device; she presses 退出登录 there.
            other = browser.new_context(viewport=page.viewport_size, locale="zh-CN")
            other.add_cookies(page.context.cookies())
            elsewhere = other.new_page()
            elsewhere.goto(server.base_url + "/")
            elsewhere.get_by_text("菜单", exact=True).click()  # the phone menu holds 退出登录
            elsewhere.get_by_role("button", name="退出登录").click()
            elsewhere.wait_for_load_state()
            assert elsewhere.get_by_role("button", name="退出登录").count() == 0
            other.close()
        else:
            page.context.clear_cookies()  # what an expired cookie looks like

        for fieldset, question in rest:
            answer(fieldset, question)
        banner = page.get_by_text(SIGNED_OUT)
        banner.wait_for()
        for fieldset, _ in rest:
            fieldset.locator(".save-status", has_text="已暂存在这台设备上").wait_for()
        assert page.get_by_text(OFFLINE).count() == 0  # the network is fine: it must not say so
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width
        screenshot(page, "01-signed-out")

        # Submitting now cannot work: the page says why and stays, with every answer on it.
        page.get_by_role("button", name="交卷").click()
        banner.wait_for()
        assert re.search(rf"/attempts/{attempt_id}$", page.url)
        assert saved_answers(server, attempt_id) == len(first)

        page.get_by_role("link", name="重新登录").click()
        page.wait_for_url(re.compile(r"/login\?"))
        sign_in(page, login)
        assert re.search(rf"/attempts/{attempt_id}$", page.url), page.url
        kept = [q["id"] for _, q in rest]
        for fieldset, question in fieldsets(page):
            assert shows_answer(fieldset, question), question["id"]
            if question["id"] in kept:
                wait_saved(fieldset)
        assert saved_answers(server, attempt_id) == DRAWN  # replayed to the server
        assert page.get_by_text(SIGNED_OUT).is_hidden()
        screenshot(page, "02-restored")

        page.get_by_role("button", name="交卷").click()
        page.wait_for_url(re.compile(r"/result$"))
        assert "100%" in page.inner_text(".score")
        assert page.locator(".verdict", has_text="正确").count() == DRAWN
        assert page.get_by_text("未作答").count() == 0
        screenshot(page, "03-result")
        # Graded: nothing of the attempt stays on the device.
        assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('smallb.quiz.'))") == []
        assert page.dialogs == []
        # Chromium logs each refused autosave ("status of 401"); nothing else may go wrong.
        assert [e for e in page.console_errors if "401" not in e] == []
    finally:
        page.context.close()


def test_lost_connection_mid_quiz_says_so_and_keeps_the_answers(browser, server, viewport):
    login = {"phone": "13900000281", "laptop": "13900000391"}[viewport]
    page = new_page(browser, viewport, f"offline-{viewport}")
    context = page.context
    try:
        attempt_id = open_quiz(page, server, login)
        questions = fieldsets(page)
        answer(*questions[0])
        wait_saved(questions[0][0])

        context.set_offline(True)
        for fieldset, question in questions[1:3]:
            answer(fieldset, question)
        for fieldset, _ in questions[1:3]:
            fieldset.locator(".save-status", has_text=OFFLINE).wait_for()
        assert page.get_by_text(SIGNED_OUT).is_hidden()  # it is the network, not the session
        page.get_by_role("button", name="交卷").click()
        page.get_by_text("没有网络，交卷没有发出").wait_for()
        assert re.search(rf"/attempts/{attempt_id}$", page.url)
        screenshot(page, "01-offline")
        assert saved_answers(server, attempt_id) == 1

        # The browser is closed while offline; later, online again, she opens the quiz.
        page.close()
        context.set_offline(False)
        page = context.new_page()
        page.goto(f"{server.base_url}/attempts/{attempt_id}")
        for fieldset, question in fieldsets(page)[:3]:
            assert shows_answer(fieldset, question), question["id"]
        for fieldset, _ in fieldsets(page)[1:3]:
            wait_saved(fieldset)
        assert saved_answers(server, attempt_id) == 3
        assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('smallb.quiz.'))") == []
    finally:
        context.close()
