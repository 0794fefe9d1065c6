"""The learner's reading path: catalog, course, lesson, mark as read, continue."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.extensions import db
from app.learning.models import Enrolment, LessonProgress
from tests.conftest import csrf_token

LEARNER_PAGES = ["/courses", "/courses/alpha", "/courses/alpha/first", "/account"]


@pytest.mark.parametrize("url", LEARNER_PAGES)
def test_anonymous_visitors_are_sent_to_login(client, imported, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_landing_page_is_public(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Sign up free" in response.get_data(as_text=True)


def test_catalog_lists_courses_with_progress(client, imported, learner):
    page = client.get("/courses").get_data(as_text=True)
    assert "阿尔法课程" in page and "贝塔课程" in page
    assert "0 / 3" in page or "3 课中已读 0 课" in page or 'value="0"' in page


def test_lesson_page_shows_text_reading_time_toc_and_next(client, imported, learner):
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "第一课的中文正文" in page
    assert "分钟" in page
    assert 'href="#c-欢迎"' in page  # table of contents for a lesson with 3 sections
    assert "/courses/alpha/second" in page  # next lesson


def test_mark_as_read_ticks_lesson_and_moves_on(client, imported, learner, app):
    token = csrf_token(client, "/courses/alpha/first")
    response = client.post("/courses/alpha/first/read", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/courses/alpha/second")
    course_page = client.get("/courses/alpha").get_data(as_text=True)
    assert 'class="read"' in course_page
    home = client.get("/").get_data(as_text=True)
    assert "/courses/alpha/second" in home  # continue where you left off
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_last_lesson_returns_to_course_page(client, imported, learner):
    token = csrf_token(client, "/courses/alpha/third")
    response = client.post("/courses/alpha/third/read", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/courses/alpha")


def test_mark_as_read_without_csrf_is_refused(client, imported, learner, app):
    response = client.post("/courses/alpha/first/read")
    assert response.status_code == 400
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_concurrent_mark_as_read_records_once_without_errors(app, imported, make_user):
    make_user("racer@example.com")
    clients = []
    for _ in range(12):
        c = app.test_client()
        from tests.conftest import Auth
        assert Auth(c).login("racer@example.com").status_code == 302
        clients.append((c, csrf_token(c, "/courses/alpha/first")))

    def post(pair):
        c, token = pair
        return c.post("/courses/alpha/first/read", data={"csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(post, clients))
    assert codes == [303] * 12
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


@pytest.mark.parametrize("url", ["/courses/nope", "/courses/alpha/nope", "/nowhere"])
def test_unknown_pages_are_404_in_the_users_language(client, imported, learner, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True)


def test_english_only_lesson_falls_back_with_a_note(client, imported, learner):
    page = client.get("/courses/beta/english-only").get_data(as_text=True)
    assert "Only in English." in page
    assert "暂无你的语言版本" in page
