"""Staff journeys on the portal as `python app.py` starts it (the embedded default with its
demo accounts), on a 360 px phone, following only visible text: the demo trainer edits a
shipped course and sees every error of a broken quiz at once; the demo admin opens item
analysis below and then above the minimum sample."""
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.conftest import ROOT, _free_port, new_page, screenshot

BROKEN_QUIZ = (
    "---\npass_mark: 120\n---\n"                                 # line 2: pass mark
    "## 新人进群先做什么？ {#welcome type=single}\n- [ ] 发链接\n- [ ] 等她说话\n\n"  # line 4: no [x]
    "## 开单率要高于多少？ {#rate type=numeric}\n- 大概一半\n\n"     # line 9: not a number
    "## 排一排 {#steps type=order}\n1. 预告\n3. 预热\n"              # line 12: numbering
)
BROKEN_LINES = [2, 4, 9, 12]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`python app.py` in a fresh folder: it sets itself up and prints the demo accounts."""
    home = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY",
                        "PUBLIC_BASE_URL", "REDIS_URL")}
    env.update(INSTANCE_PATH=str(home / "instance"), COURSES_PATH=str(ROOT / "courses"),
               SMALLB_ENV="development", HOST="127.0.0.1", PORT=str(port), LOGIN_RATE_LIMIT="100 per minute")
    log = (home / "app.log").open("w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("python app.py did not start: " + (home / "app.log").read_text())
        time.sleep(0.5)
    accounts = {}
    for line in (home / "instance" / "demo-accounts.txt").read_text().splitlines():
        role, email, _label, password = line.split()
        accounts[role] = (email, password)

    def flask(*args):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    yield base, accounts, flask
    process.terminate()
    process.wait(timeout=20)
    log.close()


def sign_in(page, base, login, password):
    page.goto(base + "/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_demo_trainer_edits_a_shipped_course_and_sees_every_error_at_once(browser, demo):
    base, accounts, _flask = demo
    page = new_page(browser, "phone", "trainer-journey")
    page.context.close()
    # A real phone: touch, no hover (what hides the Ctrl+S hint).
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.dialogs, page.console_errors, page.shot_prefix = [], [], "trainer-journey"
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, base, *accounts["trainer"])
        page.get_by_text("菜单", exact=True).click()
        screenshot(page, "01-menu")
        page.get_by_role("link", name="编写", exact=True).click()
        page.get_by_role("link", name="社群搭建与运营").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("/author/courses/group-building")  # no 403: the course is hers
        # Lesson titles, each with its file name small.
        lesson = page.locator(".lesson-files li", has_text="朋友不多，第一批成员从哪里来")
        assert lesson.locator(".file-name").inner_text() == "01-where-members-come-from"
        screenshot(page, "02-course")
        first_module = page.locator(".file-tree > li.card").first
        first_module.locator("li", has_text="测验").get_by_role("link", name=re.compile("^zh")).click()
        page.wait_for_load_state()
        assert "Ctrl+S" not in page.locator("main").inner_text()  # no keyboard hint on touch
        page.get_by_label("Markdown 正文").fill(BROKEN_QUIZ)
        page.locator(".save-status", has_text="已保存").wait_for()  # the draft saved itself
        page.get_by_role("tab", name="预览").click()
        errors = page.locator(".problems .problem-error")
        errors.first.wait_for()
        lines = [int(re.search(r"第 (\d+) 行", text).group(1)) for text in errors.all_inner_texts()]
        assert lines == BROKEN_LINES, errors.all_inner_texts()
        screenshot(page, "03-every-error")
        page.get_by_role("link", name="社群搭建与运营").first.click()  # the breadcrumb
        page.get_by_role("link", name=re.compile("检查并发布")).click()
        page.wait_for_load_state()
        listed = page.locator(".problems .problem-error").all_inner_texts()
        assert [int(re.search(r"quiz\.zh\.md:(\d+)", t).group(1)) for t in listed
                if "quiz.zh.md" in t] == BROKEN_LINES, listed
        screenshot(page, "04-publish-refused")
        assert page.dialogs == [] and page.console_errors == []
    finally:
        page.context.close()


def test_demo_admin_opens_item_analysis_below_and_above_the_minimum_sample(browser, demo):
    base, accounts, flask = demo
    page = new_page(browser, "phone", "admin-journey")
    try:
        sign_in(page, base, *accounts["admin"])

        def open_first_item_analysis():
            page.get_by_text("菜单", exact=True).click()
            page.get_by_role("link", name="管理后台", exact=True).click()
            page.get_by_role("link", name="统计").first.click()
            page.get_by_role("link", name="社群搭建与运营").first.click()
            page.get_by_role("link", name="题目分析").first.click()
            page.wait_for_load_state()

        open_first_item_analysis()
        main = page.locator("main").inner_text()
        assert "请复查这道题" not in main  # nobody has answered: nothing to fix yet
        assert "作答太少，暂不评判" in main and "至少有 30 次首次作答" in main
        screenshot(page, "01-below-minimum")

        flask("demo", "generate", "--learners", "400", "--force")  # learners answer, refreshed
        page.goto(base + "/")
        open_first_item_analysis()
        main = page.locator("main").inner_text()
        assert "作答太少，暂不评判" not in main and "学员还太少" not in main
        counts = [int(c.replace(",", "")) for c in
                  page.locator("table.stats-table tbody td.num:nth-of-type(1)").all_inner_texts()]
        assert counts and min(counts) >= 30, counts
        assert "±" in main  # each facility with its margin
        screenshot(page, "02-above-minimum")
        assert page.dialogs == [] and page.console_errors == []
    finally:
        page.context.close()
