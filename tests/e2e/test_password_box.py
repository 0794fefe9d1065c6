"""The password box on a phone: found by its label, hidden while typed, shown on request."""
from tests.e2e.conftest import new_page, screenshot

LOGIN = "13900000031"
PASSWORD = "copper-orchard-still-27"


def test_password_box_hides_the_password_and_shows_it_on_request(browser, server):
    server.flask("users", "create", "--login", LOGIN, "--name", "小周", "--password", PASSWORD)
    page = new_page(browser, "phone", "password-box-phone")
    try:
        page.goto(server.base_url + "/login")
        box = page.get_by_label("密码", exact=True)
        assert box.get_attribute("type") == "password"
        assert box.get_attribute("autocomplete") == "current-password"
        login = page.get_by_label("手机号或邮箱")
        assert login.get_attribute("type") == "text" and login.get_attribute("inputmode") == "email"

        login.fill(LOGIN)
        box.fill(PASSWORD)
        page.get_by_role("button", name="显示密码").click()
        assert box.get_attribute("type") == "text"
        assert box.input_value() == PASSWORD  # what was typed is now readable, nothing lost
        screenshot(page, "01-shown")
        page.get_by_role("button", name="隐藏密码").click()
        assert box.get_attribute("type") == "password"

        # Shown again, then logging in: the form turns it back into a password box as it goes.
        page.get_by_role("button", name="显示密码").click()
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state()
        assert "/login" not in page.url, page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.console_errors == []
    finally:
        page.context.close()


def test_without_javascript_the_box_is_a_password_box_and_login_works(browser, server):
    server.flask("users", "create", "--login", "13900000032", "--name", "小吴",
                 "--password", PASSWORD)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.base_url + "/login")
        box = page.get_by_label("密码", exact=True)
        assert box.get_attribute("type") == "password"
        assert page.get_by_role("button", name="显示密码").count() == 0  # hidden: it needs JS
        page.get_by_label("手机号或邮箱").fill("13900000032")
        box.fill(PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state()
        assert "/login" not in page.url
    finally:
        context.close()
