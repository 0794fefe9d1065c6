"""On a 360 px phone: "复制" puts a template on the clipboard, checklist ticks stay ticked."""
from pathlib import Path

from tests.conftest import PASSWORD
from tests.e2e.conftest import VIEWPORTS, screenshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "lesson-blocks"
TEMPLATE = "欢迎【名字】进群！我是小林，群里每周三有会员日。\n有问题随时问我 😊"


def phone(browser, server, login, **options):
    context = browser.new_context(viewport=VIEWPORTS["phone"], has_touch=True, locale="zh-CN",
                                  **options)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.shot_prefix = "lesson-blocks"
    page.goto(server.base_url + "/register")
    page.fill("#login", login)
    page.fill("#display_name", "小林")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    return page


def pasted(page) -> str:
    """What the clipboard holds, pasted into a text box on a blank page (the portal's own
    pages may not read the clipboard: its Permissions-Policy turns clipboard-read off)."""
    blank = page.context.new_page()
    blank.set_content("<textarea aria-label='paste'></textarea>")
    blank.focus("textarea")
    blank.keyboard.press("Control+V")
    value = blank.input_value("textarea")
    blank.close()
    return value


def test_copy_puts_the_template_on_the_clipboard_and_ticks_are_kept(browser, server):
    server.flask("courses", "import", str(FIXTURE))
    page = phone(browser, server, "blocks-phone@example.com")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    page.goto(server.base_url + "/courses/lesson-blocks/welcome")
    block = page.locator(".template-block")
    copy = block.get_by_role("button", name="复制")
    copy.click()
    page.get_by_role("button", name="已复制").wait_for()
    assert pasted(page) == TEMPLATE
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = block.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    # The diagram is an <img> that loaded, within the screen.
    diagram = page.get_by_role("img", name="三步：先听，再答，最后跟进")
    assert diagram.evaluate("img => img.complete && img.naturalWidth > 0")
    assert diagram.bounding_box()["width"] <= 360

    item = page.get_by_role("checkbox", name="发给一位新成员")
    assert item.get_attribute("aria-checked") == "false"
    item.click()
    page.wait_for_function(
        "() => document.querySelector('#c-check-send-to-one button').getAttribute('aria-checked') === 'true'")
    screenshot(page, "copied-and-ticked")
    page.reload()
    assert page.get_by_role("checkbox", name="发给一位新成员").get_attribute("aria-checked") == "true"
    assert page.get_by_role("checkbox", name="记下她的回复").get_attribute("aria-checked") == "false"
    assert page.console_errors == []
    page.context.close()


def test_without_the_clipboard_api_the_text_is_selected_instead(browser, server):
    server.flask("courses", "import", str(FIXTURE))
    page = phone(browser, server, "blocks-noapi@example.com")
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.goto(server.base_url + "/courses/lesson-blocks/welcome")
    page.locator(".template-block").get_by_role("button").click()
    assert page.evaluate("() => String(window.getSelection())") == TEMPLATE
    page.context.close()


def test_without_javascript_the_text_is_plain_and_a_tick_is_a_form_post(browser, server):
    server.flask("courses", "import", str(FIXTURE))
    page = phone(browser, server, "blocks-nojs@example.com", java_script_enabled=False)
    page.goto(server.base_url + "/courses/lesson-blocks/welcome")
    block = page.locator(".template-block")
    assert block.inner_text().strip() == TEMPLATE and block.get_by_role("button").count() == 0
    page.get_by_role("checkbox", name="记下她的回复").click()
    page.wait_for_load_state()
    assert page.url.endswith("/courses/lesson-blocks/welcome#c-check-note-reply")
    assert page.get_by_role("checkbox", name="记下她的回复").get_attribute("aria-checked") == "true"
    page.context.close()
