"""Anyone checks a certificate on a phone: by its code, or by pasting the credential file the
holder sent, in Chinese and in English, following only what the page shows."""
import json

from tests.e2e.conftest import new_page, screenshot

CODE = "MENTOR-phone-CERT-0000000000"  # the phone mentor's certificate (conftest)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_stranger_checks_a_code_and_a_pasted_credential_in_chinese(browser, server):
    page = new_page(browser, "phone", "verify-zh")
    try:
        page.goto(server.base_url + "/verify")
        assert page.get_by_role("heading", name="验证证书").is_visible()
        page.get_by_label("证书编号").fill(CODE)
        page.get_by_role("button", name="验证", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="✓ 有效证书").is_visible(), page.inner_text("main")
        for check in ("签名", "颁发机构密钥", "状态列表（撤销）", "日期", "证书登记簿"):
            assert page.get_by_text(check, exact=True).is_visible(), check
        _fits(page)
        screenshot(page, "01-code")

        credential = page.request.get(f"{server.base_url}/verify/{CODE}.json").json()
        page.get_by_role("link", name="验证其他证书或数字证书文件").click()
        page.get_by_label("或者粘贴数字证书内容（JSON）").fill(json.dumps(credential))
        page.get_by_role("button", name="验证", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="✓ 有效的数字证书").is_visible()
        _fits(page)
        screenshot(page, "02-pasted")

        credential["credentialSubject"]["identifier"][0]["identityHash"] = "冒名顶替"
        page.get_by_label("或者粘贴数字证书内容（JSON）").fill(json.dumps(credential))
        page.get_by_role("button", name="验证", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="✗ 无效：不要相信这个文件里写的内容").is_visible()
        assert "冒名顶替" not in page.inner_text("main")
        _fits(page)
        screenshot(page, "03-tampered")
        assert page.console_errors == []
    finally:
        page.context.close()


def test_an_english_reader_sees_the_same_checks(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(server.base_url + "/verify")
        page.get_by_label("Certificate code").fill(CODE.lower())  # old codes: case matters
        page.get_by_role("button", name="Check", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_text("No certificate has this code").is_visible()
        page.get_by_label("Certificate code").fill(CODE)
        page.get_by_role("button", name="Check", exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="✓ Valid certificate").is_visible()
        assert page.get_by_text("Status list (revocation)").is_visible()
        _fits(page)
    finally:
        context.close()
