"""The next step, in Chromium at 360×740 following visible text: a learner finishes a course
and lands on her certificate and the next course; a mentor reads a stuck mentee's situation
and sends the reminder that fits; WeChat's in-app browser gets images and hints instead of
download buttons; none of these pages is wider than the phone."""
import re

from app.authoring.curriculum import read_curriculum
from tests.e2e.conftest import MENTOR_PASSWORD, MENTORS, ROOT, new_page, screenshot
from tests.e2e.test_journeys import answer_quiz, read_module_and_open_quiz
from tests.e2e.test_lesson_blocks import pasted

KEYS = {course.slug: {module.slug: module.quiz for module in course.modules}
        for course in read_curriculum(ROOT / "courses")
        if course.slug in ("group-building", "rules-and-integrity")}
PASSWORD = "meadow-lantern-quiet-64"
WECHAT = ("Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 "
          "MMWEBSDK/20240301 MMWEBID/2585 MicroMessenger/8.0.48.2580(0x28003035) WeChat/arm64 "
          "Weixin NetType/WIFI Language/zh_CN ABI/arm64")


def nav(page, name: str) -> None:
    """Follow a menu link as a phone user does: in the bar, or inside the 菜单 menu."""
    link = page.get_by_role("link", name=name, exact=True).first
    if not link.is_visible():
        page.get_by_text("菜单", exact=True).click()
    link.click()


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url}: {width}px wide"


def sign_up(page, base: str, login: str, name: str, link: str | None = None) -> None:
    page.goto(link or base + "/register")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label(re.compile("^你的名字")).fill(name)
    page.get_by_label(re.compile("^密码")).fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    assert f"你好，{name}" in page.content()


def sign_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def take_quiz(page, quiz: dict, right: bool) -> None:
    page.get_by_role("button", name=re.compile("开始测验|再试一次|继续作答")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    answer_quiz(page, quiz, right)
    page.locator(".save-status", has_text="已保存").first.wait_for()
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(re.compile(r"/result$|/certificates/course/"))


def wechat_page(browser, page, prefix: str):
    """The same person, signed in, in WeChat's in-app browser."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  locale="zh-CN", user_agent=WECHAT,
                                  storage_state=page.context.storage_state())
    wechat = context.new_page()
    wechat.shot_prefix = prefix
    return wechat


def test_a_learner_finishes_a_course_and_lands_on_her_certificate_and_the_next_course(browser, server):
    base = server.base_url
    page = new_page(browser, "phone", "next-step-learner")
    try:
        sign_up(page, base, "13900000301", "宝妈小周")
        page.goto(base + "/courses")
        page.get_by_role("link", name=re.compile("社群搭建与运营")).first.click()
        page.get_by_role("link", name=re.compile("开始学习")).click()
        modules = list(KEYS["group-building"])
        for index, module in enumerate(modules):
            read_module_and_open_quiz(page)
            take_quiz(page, KEYS["group-building"][module], right=True)
            if index + 1 < len(modules):
                assert "通过了" in page.content()
                page.get_by_role("link", name=re.compile("^下一单元")).click()
                page.wait_for_load_state()
        # The last quiz lands on the course-end moment.
        assert "/certificates/course/group-building" in page.url
        page.get_by_role("heading", name="你学完了“社群搭建与运营”，真棒！").wait_for()
        for _ in range(20):  # issued in the background: "on its way" until it is there
            if page.get_by_role("heading", name="你的证书", exact=True).count():
                break
            page.get_by_role("link", name="现在再看一下").click()
            page.wait_for_load_state()
            page.wait_for_timeout(500)
        image = page.get_by_role("img", name=re.compile("证书，附查验二维码"))
        image.wait_for()
        assert page.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) == 1080
        assert page.get_by_role("link", name="PDF 版").is_visible()
        assert page.get_by_role("link", name="保存图片").is_visible()
        assert page.get_by_text(re.compile("^分享到朋友圈")).is_visible()
        assert page.get_by_text("认证店主：已获得 0 / 1 张证书；还差 1 张：").is_visible()
        fits_the_phone(page)
        screenshot(page, "01-course-finished")
        # Her quiz result is one tap away, then the next course.
        page.get_by_role("link", name="开始下一门课：规则与诚信").click()
        page.wait_for_load_state()
        assert page.url.endswith("/courses/rules-and-integrity")
        page.get_by_role("heading", name="规则与诚信").wait_for()
        screenshot(page, "02-next-course")

        nav(page, "证书")
        page.wait_for_load_state()
        assert page.get_by_text("认证店主：已获得 0 / 1 张证书；还差 1 张：").is_visible()
        assert page.get_by_role("link", name="社群搭建与运营").is_visible()
        fits_the_phone(page)
        screenshot(page, "03-certificates")
        page.get_by_role("link", name="每个等级需要什么").click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name="规则与诚信").first.is_visible()
        assert page.get_by_text(re.compile("1 位达到“认证店主”或以上的直属学员")).first.is_visible()
        fits_the_phone(page)
        screenshot(page, "04-tier")
        assert page.dialogs == [] and page.console_errors == []

        # The same certificate opened inside WeChat: the image to long-press, a hint, no PDF.
        wechat = wechat_page(browser, page, "next-step-learner-wechat")
        try:
            for url in ("/certificates/course/group-building", "/certificates"):
                wechat.goto(base + url)
                assert wechat.get_by_role("link", name="PDF 版").count() == 0
                assert wechat.locator("a[download]").count() == 0
                shown = wechat.get_by_role("img", name=re.compile("证书，附查验二维码")).first
                shown.wait_for()
                assert shown.is_visible()
                assert wechat.get_by_text("长按图片，可以保存或发送给朋友。").first.is_visible()
                assert wechat.get_by_text(re.compile("要下载 PDF.*在浏览器打开")).first.is_visible()
                fits_the_phone(wechat)
            # The public check page a friend opens from the shared image: the same adaptation.
            wechat.get_by_role("link", name="验证页面").first.click()
            wechat.wait_for_load_state()
            wechat.get_by_role("heading", name=re.compile("有效证书")).wait_for()
            assert wechat.get_by_role("link", name="PDF 版").count() == 0
            assert wechat.get_by_role("img", name=re.compile("证书，附查验二维码")).first.is_visible()
            assert wechat.get_by_text(re.compile("要下载 PDF.*在浏览器打开")).first.is_visible()
            fits_the_phone(wechat)
            screenshot(wechat, "06-public-check-in-wechat")
            wechat.goto(base + "/certificates/course/group-building")
            screenshot(wechat, "05-certificate-in-wechat")
        finally:
            wechat.context.close()
    finally:
        page.context.close()


def test_a_mentor_sees_a_stuck_mentee_and_sends_the_reminder_that_fits(browser, server):
    base = server.base_url
    mentor = new_page(browser, "phone", "next-step-mentor")
    mentee = new_page(browser, "phone", "next-step-mentee")
    try:
        sign_in(mentor, base, MENTORS["phone"], MENTOR_PASSWORD)
        nav(mentor, "邀请")
        mentor.wait_for_load_state()
        link = mentor.get_by_label("你的邀请链接").input_value()
        fits_the_phone(mentor)

        # The mentee fails the first quiz twice (the second failure starts a wait).
        sign_up(mentee, base, "13900000302", "小吴", link=link)
        mentee.goto(base + "/courses/rules-and-integrity")
        mentee.get_by_role("link", name=re.compile("开始学习")).click()
        read_module_and_open_quiz(mentee)
        first_module = next(iter(KEYS["rules-and-integrity"]))
        for _ in range(2):
            take_quiz(mentee, KEYS["rules-and-integrity"][first_module], right=False)
            assert "这次没有通过" in mentee.content()
            mentee.get_by_role("link", name="返回测验").click()
            mentee.wait_for_load_state()

        nav(mentor, "我的学员")
        mentor.wait_for_load_state()
        card = mentor.locator("li.mentee", has=mentor.get_by_role("heading", name="小吴"))
        assert card.get_by_text("认证店主：已获得 0 / 1 张证书").is_visible()
        assert card.get_by_text(re.compile("^正在学：规则与诚信")).is_visible()
        assert card.get_by_text(re.compile("同一个测验没通过两次")).is_visible()
        assert card.get_by_text(re.compile("测验没通过，正在等待：下一次作答 .* 开放")).is_visible()
        fits_the_phone(mentor)
        screenshot(mentor, "01-stuck-mentee")
        card.get_by_role("button", name="发送鼓励").click()
        mentor.wait_for_load_state()
        assert mentor.get_by_text("提醒已发送。").is_visible()
        card = mentor.locator("li.mentee", has=mentor.get_by_role("heading", name="小吴"))
        assert card.get_by_role("button", name="发送鼓励").count() == 0  # one a day
        assert card.get_by_text(re.compile("24 小时后才能再提醒")).is_visible()
        screenshot(mentor, "02-reminder-sent")

        mentee.get_by_role("link", name=re.compile("^消息")).first.click()
        mentee.wait_for_load_state()
        assert mentee.get_by_text(re.compile("你的导师王姐phone看到这次测验有点难")).is_visible()
        fits_the_phone(mentee)
        screenshot(mentee, "03-encouragement-received")
        assert mentor.dialogs == [] and mentor.console_errors == []
        assert mentee.dialogs == [] and mentee.console_errors == []
    finally:
        mentor.context.close()
        mentee.context.close()


def test_the_invite_page_copies_in_one_tap_and_adapts_to_wechat(browser, server):
    base = server.base_url
    page = new_page(browser, "phone", "next-step-invite")
    try:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        sign_in(page, base, MENTORS["phone"], MENTOR_PASSWORD)
        page.goto(base + "/invite")
        link = page.get_by_label("你的邀请链接")
        assert link.input_value().startswith(base + "/join/")
        page.get_by_role("button", name="复制链接").click()
        page.get_by_text("链接已复制，粘贴到聊天或群里即可。").wait_for()
        assert pasted(page) == link.input_value()
        page.get_by_role("button", name="复制邀请语").first.click()
        page.get_by_text("邀请语已复制，粘贴到聊天或群里即可。").wait_for()
        copied = pasted(page)
        assert copied.startswith("我在小B学院学开店") and copied.endswith(link.input_value())
        assert page.get_by_role("link", name="保存海报").get_attribute("download")
        poster = page.get_by_role("img", name=re.compile("你的邀请海报"))
        poster.scroll_into_view_if_needed()
        assert page.evaluate("img => img.complete && img.naturalWidth", poster.element_handle()) == 1080
        fits_the_phone(page)
        screenshot(page, "01-invite")

        # Without the Clipboard API the link is selected for a long press instead.
        bare = page.context.new_page()
        bare.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        bare.goto(base + "/invite")
        bare.get_by_role("button", name="复制链接").click()
        bare.locator("#invite-link-status").filter(has_text=re.compile("链接已")).wait_for()
        selected = bare.evaluate("() => { const f = document.getElementById('invite-link');"
                                 " return f.value.substring(f.selectionStart, f.selectionEnd); }")
        assert selected == link.input_value()
        bare.close()

        wechat = wechat_page(browser, page, "next-step-invite-wechat")
        try:
            wechat.goto(base + "/invite")
            assert wechat.get_by_role("link", name="保存海报").count() == 0
            assert wechat.locator("a[download]").count() == 0
            assert wechat.get_by_role("img", name=re.compile("你的邀请海报")).is_visible()
            assert wechat.get_by_text("长按海报，可以保存或发送给朋友。").is_visible()
            fits_the_phone(wechat)
            screenshot(wechat, "02-invite-in-wechat")
        finally:
            wechat.context.close()
    finally:
        page.context.close()


def test_without_javascript_the_link_is_there_to_select(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, server.base_url, MENTORS["phone"], MENTOR_PASSWORD)
        page.goto(server.base_url + "/invite")
        assert page.get_by_label("你的邀请链接").input_value().startswith(server.base_url + "/join/")
        assert page.get_by_role("button", name="复制链接").count() == 0  # hidden: it would do nothing
        fits_the_phone(page)
    finally:
        context.close()


def test_a_certificate_that_arrives_late_appears_without_a_reload(browser, server):
    """While it is on its way the page looks again by itself (no meta refresh, which throws
    a screen reader back to the top): when the certificate is issued it takes its place and
    is announced."""
    base = server.base_url
    page = new_page(browser, "phone", "next-step-late")
    try:
        sign_up(page, base, "13900000501", "晚到的小许")
        server.sql("INSERT INTO enrolments (user_id, course_id, started_at, last_activity_at, completed_at) "
                   "SELECT u.id, c.id, '2026-01-01', '2026-01-01', datetime('now') FROM users u, courses c "
                   "WHERE u.phone = '+8613900000501' AND c.slug = 'group-building'")
        page.goto(base + "/certificates/course/group-building")
        page.get_by_role("heading", name="你的证书正在路上").wait_for()
        page.evaluate("window.stillTheSamePage = true")
        server.sql("INSERT INTO certificates (code, user_id, course_id, generation, learner_name, course_title, issued_at) "
                   "SELECT 'LATE-CERT-0000000000000000', u.id, c.id, 1, u.display_name, c.title, datetime('now') "
                   "FROM users u, courses c WHERE u.phone = '+8613900000501' AND c.slug = 'group-building'")
        page.get_by_role("heading", name="你的证书", exact=True).wait_for(timeout=30_000)
        assert page.evaluate("window.stillTheSamePage") is True  # replaced in place, not reloaded
        assert page.locator("#certificate-news").inner_text() == "你的证书好了。"
        assert page.console_errors == []
    finally:
        page.context.close()
