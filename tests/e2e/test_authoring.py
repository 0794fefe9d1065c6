"""A trainer edits, previews and publishes in a real browser; learners keep their progress."""
import re

from tests.e2e.conftest import ROOT, new_page, screenshot

TRAINER = ("trainer@example.com", "quiet-harbour-lamp-71")
LEARNERS = {"phone": "13900000011", "laptop": "13900000012"}
PASSWORD = "lantern-river-quiet-88"
COURSE = "group-building"
LESSON_SLUG = "where-members-come-from"
LESSON_FILE = "01-first-members/01-where-members-come-from.zh.md"


def log_in(page, base, login, password):
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def trainer_page(browser, viewport, name, server):
    page = new_page(browser, viewport, f"{name}-{viewport}-trainer")
    server.sql("INSERT OR IGNORE INTO course_grants (course_id, user_id, kind, granted_at) "
               "SELECT c.id, u.id, 'editor', CURRENT_TIMESTAMP FROM courses c, users u "
               "WHERE c.slug = ? AND u.email = ?", COURSE, TRAINER[0])
    log_in(page, server.base_url, *TRAINER)
    return page


def show_preview(page, viewport):
    if viewport == "phone":  # tabs on a phone; side by side on a laptop
        page.get_by_role("tab", name="预览").click()
    preview = page.locator("#preview-pane")
    assert preview.is_visible()
    return preview


def test_trainer_edits_previews_publishes_and_the_learner_keeps_progress(
        browser, page, server, viewport):
    base = server.base_url
    page.goto(base + "/register")
    page.fill("#login", LEARNERS[viewport])
    page.fill("#display_name", "学员小周")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    page.goto(f"{base}/courses/{COURSE}/{LESSON_SLUG}")
    page.get_by_role("button", name=re.compile("标记已读")).click()
    page.wait_for_load_state()

    trainer = trainer_page(browser, viewport, "edit-publish", server)
    try:
        trainer.goto(base + "/author/")
        screenshot(trainer, "01-overview")
        trainer.get_by_role("link", name="社群搭建与运营").click()
        trainer.locator(f'a[href$="{LESSON_FILE}"]').click()
        trainer.wait_for_url(re.compile(r"/files/"))
        added = f"新增的一段（{viewport}）：欢迎新成员时叫出对方的名字。"
        textarea = trainer.locator("#text")
        textarea.focus()
        trainer.keyboard.press("Control+End")
        trainer.keyboard.type(f"\n\n{added}\n")
        preview = show_preview(trainer, viewport)
        preview.get_by_text(added).wait_for()  # the live preview, rendered by the server
        screenshot(trainer, "02-preview")
        if viewport == "phone":
            trainer.get_by_role("tab", name="编写").click()
        trainer.locator("#save-status", has_text="已保存到草稿").wait_for(timeout=15000)  # autosave
        trainer.goto(f"{base}/author/courses/{COURSE}/publish")
        assert added in trainer.content()
        screenshot(trainer, "03-publish")
        trainer.get_by_role("button", name="立即发布").click()
        trainer.wait_for_load_state()
        assert "已发布第" in trainer.content()
        assert trainer.dialogs == [] and trainer.console_errors == []
    finally:
        trainer.context.close()

    page.goto(f"{base}/courses/{COURSE}/{LESSON_SLUG}")
    assert added in page.content()
    assert "✓ 已读" in page.inner_text("main")  # progress survived publishing
    screenshot(page, "04-learner-sees-new-text")


def test_xss_pasted_into_the_editor_fires_nothing_in_preview_or_for_learners(
        browser, page, server, viewport):
    base = server.base_url
    payloads = (ROOT / "tests" / "data" / "xss-payloads.txt").read_text(encoding="utf-8")
    slug = f"xss-editor-{viewport}"
    trainer = new_page(browser, viewport, f"xss-editor-{viewport}-trainer")
    try:
        log_in(trainer, base, *TRAINER)
        trainer.goto(base + "/author/")
        trainer.fill("#slug", slug)
        trainer.fill("#title_zh", "<script>alert('t')</script>安全")
        trainer.fill("#title_en", "Safety <img src=x onerror=alert(2)>")
        trainer.get_by_role("button", name="创建课程").click()
        trainer.wait_for_load_state()
        trainer.locator("details.card summary").last.click()  # "Add a module"
        trainer.fill("#ms", "only")
        trainer.fill("#mz", "检查")
        trainer.fill("#me", "Check")
        trainer.get_by_role("button", name="添加模块").click()
        trainer.wait_for_load_state()
        trainer.goto(f"{base}/author/courses/{slug}")
        trainer.locator("details summary", has_text="添加一节课").first.click()
        trainer.fill("#ls-1", "payloads")
        trainer.fill("#lz-1", "载荷")
        trainer.fill("#le-1", "Payloads")
        trainer.get_by_role("button", name="添加课文").click()
        trainer.wait_for_url(re.compile(r"/files/01-only/01-payloads\.zh\.md$"))
        # Pasted, as a trainer would paste from somewhere else.
        trainer.locator("#text").fill("---\ntitle: 载荷 <script>alert(3)</script>\n---\n"
                                      + payloads.replace("\n", "\n\n"))
        trainer.locator("#text").press("End")
        show_preview(trainer, viewport)
        trainer.wait_for_timeout(1500)
        for link in trainer.locator("#preview a").all()[:20]:
            link.hover()
        screenshot(trainer, "01-xss-preview")
        if viewport == "phone":
            trainer.get_by_role("tab", name="编写").click()
        trainer.locator("#save-status", has_text="已保存到草稿").wait_for(timeout=15000)
        trainer.goto(f"{base}/author/courses/{slug}/publish")
        trainer.get_by_role("button", name="立即发布").click()
        trainer.wait_for_load_state()
        assert "已发布第" in trainer.content(), trainer.inner_text("main")
        assert trainer.dialogs == []
    finally:
        trainer.context.close()

    page.goto(base + "/register")
    page.fill("#login", f"xss-editor-{viewport}@example.com")
    page.fill("#display_name", "学员")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    page.goto(f"{base}/courses/{slug}")
    page.goto(f"{base}/courses/{slug}/payloads")
    page.wait_for_timeout(1500)
    for link in page.locator("article a").all()[:20]:
        link.hover()
    screenshot(page, "02-xss-published")
    assert page.dialogs == []
    assert page.evaluate("() => [...document.scripts].every(s => s.src.includes('/assets/'))")
