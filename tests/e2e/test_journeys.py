"""User journeys in a real browser, on a phone-sized and a laptop viewport."""
import html
import io
import re
from pathlib import Path

from app.authoring.curriculum import read_curriculum
from tests.e2e.conftest import ROOT, new_page, screenshot

COURSE = "rules-and-integrity"
KEYS = {module.slug: module.quiz for course in read_curriculum(ROOT / "courses")
        if course.slug == COURSE for module in course.modules}
PHONES = {"phone": "13900000001", "laptop": "13900000002"}
PASSWORD = "lantern-river-quiet-88"


def plain(text: dict) -> str:
    """An option's Chinese text as the page shows it (the key is HTML)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text["zh"]))).strip()


def right_answer(question: dict) -> list[str]:
    """The labels a person who knows the answer chooses, in order (the browser sees no key)."""
    if question["type"] == "order":
        return [plain(item["text"]) for item in question["items"]]
    return [plain(option["text"]) for option in question["options"] if option["correct"]]


def answer_quiz(page, quiz: dict, right: bool) -> None:
    """Answer by the options' visible text, as a person who knows (or doesn't) would: the
    page's option ids are opaque, per attempt."""
    questions = {q["id"]: q for q in quiz["questions"]}
    for fieldset in page.locator("fieldset[data-question]").all():
        q = questions[fieldset.get_attribute("data-question")]
        kind = q["type"]
        if kind in ("single", "truefalse", "multiple"):
            labels = [plain(o["text"]) for o in q["options"] if o["correct"] == right]
            for label in labels[:1] if kind != "multiple" else labels:
                fieldset.get_by_label(label, exact=True).check()
        elif kind == "text":
            fieldset.locator("input[type=text]").fill(q["accepted"][0] if right else "不知道")
        elif kind == "numeric":
            value = q["ranges"][0].get("value", q["ranges"][0]["min"])
            fieldset.locator("input[type=text]").fill(f"{value:g}" if right else "-12345")
        elif kind == "order":
            labels = right_answer(q)
            for select, label in zip(fieldset.locator("select").all(),
                                     labels if right else labels[::-1]):
                select.select_option(label=label)


def read_module_and_open_quiz(page) -> None:
    """Mark lessons read until the app sends the learner to the module's quiz."""
    for _ in range(10):
        page.get_by_role("button", name=re.compile("标记已读")).click()
        page.wait_for_load_state()
        if "/quiz" in page.url:
            return
    raise AssertionError("the quiz never came")


def take_quiz(page, module: str, right: bool) -> None:
    page.get_by_role("button", name=re.compile("开始测验|再试一次|继续作答")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    answer_quiz(page, KEYS[module], right)
    page.locator(".save-status", has_text="已保存").first.wait_for()  # autosave reached the server
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(re.compile(r"/result$|/certificates/course/"))


def test_invited_small_b_learns_fails_passes_is_certified_and_the_mentor_sees_it(
        page, mentor_page, server, viewport):
    from pypdf import PdfReader

    base = server.base_url
    mentor_page.goto(base + "/tier")
    assert "认证店主" in mentor_page.content() and "0 位达到" in mentor_page.content(), mentor_page.inner_text("main")
    mentor_page.goto(base + "/invite")
    link = mentor_page.get_by_label("你的邀请链接").input_value()
    screenshot(mentor_page, "01-invite")

    page.goto(link)  # the mentor's invite link, as a newcomer would open it
    screenshot(page, "01-register-from-invite")
    assert page.locator("#invite_code").input_value() == link.rsplit("/", 1)[1]
    page.fill("#login", PHONES[viewport])
    page.fill("#display_name", "宝妈小林")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    assert "你好，宝妈小林" in page.content()

    page.goto(f"{base}/courses/{COURSE}")
    screenshot(page, "02-course")
    page.get_by_role("link", name=re.compile("开始学习")).click()
    screenshot(page, "03-lesson")
    read_module_and_open_quiz(page)

    modules = list(KEYS)
    take_quiz(page, modules[0], right=False)
    assert "这次没有通过" in page.content()
    screenshot(page, "04-failed")
    page.locator(".card.result ul a").first.click()  # "what to review"
    assert page.locator("article.lesson").is_visible()

    # Time passes (the first retry of a shipped quiz has no wait; later ones wait longer).
    server.sql("UPDATE quiz_attempts SET submitted_at = datetime(submitted_at, '-1 hour')")
    page.goto(f"{base}/courses/{COURSE}/{modules[0]}/quiz")
    take_quiz(page, modules[0], right=True)
    assert "通过了" in page.content()
    screenshot(page, "05-passed")

    for module in modules[1:]:
        page.goto(f"{base}/courses/{COURSE}")
        page.get_by_role("link", name=re.compile("继续学习")).click()
        read_module_and_open_quiz(page)
        take_quiz(page, module, right=True)
        assert "通过了" in page.content() or "/certificates/course/" in page.url
    # The last quiz lands on the course-end moment: her certificate and the next course.
    assert f"/certificates/course/{COURSE}?" in page.url
    assert "你学完了“规则与诚信”，真棒！" in page.content() and "开始下一门课" in page.content()

    page.goto(base + "/certificates")
    screenshot(page, "06-certificates")
    pdf_href = page.get_by_role("link", name="PDF 版").first.get_attribute("href")
    pdf = page.request.get(base + pdf_href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    assert "宝妈小林" in text
    qr_url = re.search(r"(http://\S+/verify/[A-Za-z0-9_-]+)", text).group(1)  # what the QR encodes
    page.goto(qr_url)
    assert "有效证书" in page.content() and "宝妈小林" in page.content()
    screenshot(page, "07-verify")
    poster = page.request.get(qr_url + ".png")
    assert poster.ok and poster.headers["content-type"] == "image/png"
    assert page.dialogs == [] and page.console_errors == []

    # The mentor sees the mentee's progress, and her own tier moved up.
    mentor_page.goto(base + "/mentor")
    assert "宝妈小林" in mentor_page.content() and "已完成 1 门课" in mentor_page.content()
    screenshot(mentor_page, "08-mentees")
    mentor_page.goto(base + "/tier")
    assert "当前等级：导师" in mentor_page.content()
    screenshot(mentor_page, "09-tier")

    # An operator sees the completion in the statistics and exports the ledger.
    admin = new_page(page.context.browser, viewport, f"journey-{viewport}-admin")
    try:
        admin.goto(base + "/login")
        admin.fill("#login", "admin@example.com")
        admin.fill("#password", "amber-meadow-kite-52")
        admin.get_by_role("button", name="登录").click()
        admin.wait_for_load_state()
        server.flask("statistics", "refresh")  # roll-ups, as the periodic task would
        admin.goto(base + "/admin/")
        screenshot(admin, "10-admin-hub")
        admin.get_by_role("link", name="统计").first.click()
        admin.wait_for_load_state()
        row = admin.locator("table.stats-table tr", has_text="规则与诚信").first
        completed = int(row.locator("td").nth(1).inner_text().replace(",", ""))
        assert completed >= 1, row.inner_text()
        screenshot(admin, "11-statistics")
        admin.goto(base + "/admin/ledger")
        admin.fill("#learner", PHONES[viewport])
        admin.get_by_role("button", name=re.compile("^(筛选|显示|查询)")).first.click()
        admin.wait_for_load_state()
        assert "宝妈小林" in admin.content() and "证书" in admin.content()
        screenshot(admin, "12-ledger")
        with admin.expect_download() as download:
            admin.get_by_role("button", name="下载 CSV").click()
        csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "宝妈小林" in csv_text and csv_text.count("\n") >= 5
        assert admin.dialogs == [] and admin.console_errors == []
    finally:
        admin.context.close()


def test_hostile_lesson_markdown_fires_no_dialog(page, server, viewport, tmp_path):
    payloads = (ROOT / "tests" / "data" / "xss-payloads.txt").read_text(encoding="utf-8")
    course = tmp_path / "xss-check"
    (course / "01-only").mkdir(parents=True)
    (course / "course.md").write_text("---\nslug: xss-check\norder: 99\ngating: open\ntitle:\n  zh: 安全检查\n  en: Safety check\n---\n")
    (course / "01-only" / "module.md").write_text("---\ntitle:\n  zh: 检查\n---\n")
    (course / "01-only" / "01-payloads.zh.md").write_text("---\ntitle: 载荷\n---\n" + payloads.replace("\n", "\n\n"))
    server.flask("courses", "import", str(course))
    base = server.base_url
    page.goto(base + "/register")
    page.fill("#login", f"xss-{viewport}@example.com")
    page.fill("#display_name", "<img src=x onerror=alert(1)>")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    page.goto(base + "/courses/xss-check/payloads")
    page.wait_for_timeout(1500)
    for link in page.locator("article a").all()[:20]:
        link.hover()
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    screenshot(page, "xss-lesson")
    assert page.dialogs == []
    assert page.evaluate("() => [...document.scripts].every(s => s.src.includes('/assets/'))")
