"""The course-end moment: the last passed quiz leads to her certificate (or to the news that
it is on its way), her progress toward the next tier naming the courses, and the next course."""
import re

import pytest
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.transactions import unit_of_work
from app.certificates.models import Certificate
from app.extensions import db
from app.learning.models import Enrolment
from app.referrals import tiers
from tests.certificates.conftest import RIGHT
from tests.quizzes.conftest import Learner

WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI")
# Certified needs the two certificate courses of the test curriculum.
RULES = """tiers:
  - key: trainee
    name: {zh: 见习店主, en: Trainee}
    requires: {}
    benefits: {commission: {zh: 基础佣金, en: Base commission}}
  - key: certified
    name: {zh: 认证店主, en: Certified seller}
    requires: {certificates: [gamma, alpha]}
    benefits: {commission: {zh: 基础佣金 +2%, en: Base commission +2%}}
  - key: mentor
    name: {zh: 导师, en: Mentor}
    requires: {direct_mentees: {count: 2, min_tier: certified}}
    benefits: {commission: {zh: 基础佣金 +4%, en: Base commission +4%}}
"""


@pytest.fixture(autouse=True)
def rules(app, tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    yield
    tiers.reset_cache()


def finish_gamma(person: Learner):
    """Pass both of gamma's quizzes; returns the last submission's response."""
    person.submit(person.start_attempt_id(), RIGHT)
    person.read("gamma", "more")
    return person.submit(person.start_attempt_id(module="next"), {"q-one": "a"})


def test_the_last_quiz_lands_on_the_certificate_tier_progress_and_next_course(app, client, quiz_learner):
    # A quiz that does not finish the course shows its own result.
    first = quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
    assert re.fullmatch(r"/attempts/\d+/result", first.headers["Location"])
    quiz_learner.read("gamma", "more")
    response = quiz_learner.submit(quiz_learner.start_attempt_id(module="next"), {"q-one": "a"})
    assert response.status_code == 303
    landing = response.headers["Location"]
    assert landing.startswith("/certificates/course/gamma")
    page = client.get(landing).get_data(as_text=True)
    assert "你学完了“伽马课程”" in page
    with unit_of_work(app):
        code = db.session.scalar(select(Certificate.code))
    # The certificate: its share image, the PDF, the check page, the Moments hint.
    assert f"/verify/{code}.png" in page and f"/verify/{code}.pdf" in page
    assert f'href="/verify/{code}"' in page and "朋友圈" in page
    # Progress toward the next tier names what is left, linked; then the next course.
    assert "认证店主：已获得 1 / 2 张证书" in page
    assert re.search(r'还差 1 张：\s*<a href="/courses/alpha">阿尔法课程</a>', page)
    assert "开始下一门课：阿尔法课程" in page
    # Her quiz result stays one tap away.
    assert re.search(r'href="/attempts/\d+/result"', page)


def test_a_certificate_still_on_its_way_is_said_so(app, client, quiz_learner):
    finish_gamma(quiz_learner)
    with unit_of_work(app):  # issuing runs in the background: not there yet
        db.session.execute(delete(Certificate))
        db.session.commit()
    page = client.get("/certificates/course/gamma").get_data(as_text=True)
    # Looked for again by a script, not a meta refresh that throws a screen reader to the top.
    assert "证书正在路上" in page and "data-certificate-pending" in page and "course_end" in page
    assert "通常一分钟内" in page and "比平时久" not in page
    assert ".pdf" not in page and ".png" not in page  # nothing that would not work yet
    assert "，1 张正在路上" in page  # counted as on its way, not as held
    mine = client.get("/certificates").get_data(as_text=True)
    assert "，1 张正在路上" in mine and "还差 1 张" in mine
    with unit_of_work(app):  # still not there ten minutes later (a broker down, say)
        from app.clock import utcnow

        db.session.execute(update(Enrolment).values(completed_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    late = client.get("/certificates/course/gamma").get_data(as_text=True)
    assert "比平时久" in late and "不会丢" in late and "现在再看一下" in late


def test_no_page_refreshes_itself():
    # WCAG 2.2.1: a timed refresh moves a screen reader back to the top, again and again.
    from pathlib import Path

    templates = Path(__file__).parents[2] / "app" / "templates"
    assert [p.name for p in templates.rglob("*.html") if "http-equiv" in p.read_text(encoding="utf-8")] == []


def test_a_revoked_certificate_says_why(app, client, quiz_learner, make_user):
    from app.certificates.services import revoke

    from app.accounts.models import User

    finish_gamma(quiz_learner)
    admin_id = make_user("admin@example.com", role="admin")
    with unit_of_work(app):
        revoke(db.session.scalar(select(Certificate)), "发现抄袭了别人的作业",
               db.session.get(User, admin_id))
        db.session.commit()
    page = client.get("/certificates/course/gamma").get_data(as_text=True)
    assert "被撤销" in page and "发现抄袭了别人的作业" in page and "/verify/" not in page


def test_the_certificates_page_says_how_many_more_for_which_tier(app, client, quiz_learner):
    before = client.get("/certificates").get_data(as_text=True)
    assert "认证店主：已获得 0 / 2 张证书" in before and "还差 2 张" in before
    finish_gamma(quiz_learner)
    page = client.get("/certificates").get_data(as_text=True)
    assert "认证店主：已获得 1 / 2 张证书" in page
    assert '<a href="/certificates/course/gamma">伽马课程</a>' in page
    assert "开始下一门课：阿尔法课程" in page


def test_in_wechat_the_image_and_a_hint_replace_the_pdf_download(app, client, quiz_learner):
    finish_gamma(quiz_learner)
    for url in ("/certificates/course/gamma", "/certificates"):
        response = client.get(url, headers={"User-Agent": WECHAT})
        page = response.get_data(as_text=True)
        assert ".pdf" not in page, url
        assert re.search(r'<img src="/verify/[\w-]+\.png"', page), url
        assert "长按图片" in page and "在浏览器打开" in page, url
        assert "User-Agent" in response.headers["Vary"]
        ordinary = client.get(url).get_data(as_text=True)
        assert ".pdf" in ordinary and "长按图片" not in ordinary


def test_an_unfinished_course_and_another_learners_view(app, client, quiz_learner, make_user):
    page = client.get("/certificates/course/gamma").get_data(as_text=True)
    assert "学完这门课的全部课文和测验" in page and "/verify/" not in page
    # The course she is in stays her next step; no other course is offered as "next".
    assert "开始下一门课：阿尔法课程" not in page
    assert client.get("/certificates/course/no-such-course").status_code == 404
    finish_gamma(quiz_learner)
    make_user("other@example.com")
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login("other@example.com")
    assert "/verify/" not in other.get("/certificates/course/gamma").get_data(as_text=True)
    signed_out = app.test_client().get("/certificates/course/gamma")
    assert signed_out.status_code in (302, 401)


def test_english_learners_read_it_in_english(app, client, imported, make_user):
    from tests.conftest import Auth

    make_user("en@example.com", locale="en")
    Auth(client).login("en@example.com")
    person = Learner(client)
    person.read("gamma", "intro")
    page = client.get(finish_gamma(person).headers["Location"]).get_data(as_text=True)
    assert "You finished “Gamma course”!" in page
    assert "1 of 2 certificates for Certified seller" in page
    assert "Start the next course: Alpha course" in page


def test_a_course_without_quizzes_ends_on_its_last_lesson(app, client, imported, learner):
    person = Learner(client)
    assert person.read("alpha", "first").headers["Location"].endswith("/courses/alpha/second")
    person.read("alpha", "second")
    last = person.read("alpha", "third")
    assert last.headers["Location"] == "/certificates/course/alpha"
    page = client.get(last.headers["Location"]).get_data(as_text=True)
    assert "你学完了“阿尔法课程”" in page and "你的证书" in page
    assert "开始下一门课：伽马课程" in page
    # Reading a lesson of a course she has finished again is not the course's end.
    assert person.read("alpha", "first").headers["Location"] != "/certificates/course/alpha"
    assert "查看证书和下一步" in client.get("/courses/alpha").get_data(as_text=True)
