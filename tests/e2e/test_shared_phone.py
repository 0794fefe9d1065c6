"""One phone, two small-Bs: answers the phone kept for the first (not yet confirmed by the
server) are gone as soon as the second signs in on it, and kept while it is only signed out."""
from tests.e2e.conftest import new_page
from tests.e2e.test_session_loss import PASSWORD, answer, fieldsets, open_quiz, sign_in


def kept_keys(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('smallb.quiz.'))")


def test_the_next_person_on_the_phone_does_not_inherit_kept_answers(browser, server):
    page = new_page(browser, "phone", "shared-phone")
    try:
        open_quiz(page, server, "13900000411")
        page.route("**/answer", lambda route: route.abort())  # the answers stay on the phone
        fieldset, question = fieldsets(page)[0]
        answer(fieldset, question)
        page.wait_for_function(
            "Object.keys(localStorage).some(k => k.startsWith('smallb.quiz.'))")
        page.unroute("**/answer")
        page.goto(server.base_url + "/")
        page.get_by_text("菜单", exact=True).click()  # the phone menu holds 退出登录
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_load_state()
        assert len(kept_keys(page)) == 1  # signed out: still hers, for when she comes back

        server.flask("users", "create", "--login", "13900000412", "--name", "宝妈小李",
                     "--password", PASSWORD)
        page.goto(server.base_url + "/login")
        sign_in(page, "13900000412")
        page.wait_for_function(
            "!Object.keys(localStorage).some(k => k.startsWith('smallb.quiz.'))", timeout=5000)
        assert kept_keys(page) == []
    finally:
        page.context.close()
