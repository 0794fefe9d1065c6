"""The admin pages: who may see them, what they show, CSP-safe charts with tables."""
import re

import pytest

from app.transactions import unit_of_work
from app.extensions import db
from app.statistics.services.dashboard import last_refresh
from app.statistics.services.refresh import refresh_statistics
from tests.conftest import Auth

PAGES = ["/admin/", "/admin/statistics", "/admin/statistics/courses/alpha-s",
         "/admin/statistics/quizzes/{quiz}", "/admin/statistics/mentors"]


def urls(world):
    return [p.format(quiz=world.quiz_id) for p in PAGES]


def test_only_admins(app, world, client, make_user):
    for url in urls(world):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    make_user("trainer@stats.example.com", role="trainer")
    Auth(client).login("trainer@stats.example.com")
    for url in urls(world):
        assert client.get(url).status_code == 403, url


def test_pages_render_safely(app, world, admin_client):
    for url in urls(world):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        # Charts need no script of their own; only the site's script files may be on the page.
        assert "style=" not in html and not re.search(r"<script(?![^>]*\ssrc=)", html), url
        for svg in re.findall(r"<svg[^>]*>", html):
            assert 'role="img"' in svg and "aria-labelledby" in svg
        if "<svg" in html:
            assert "<title id=" in html and "<desc id=" in html and "<table" in html


def test_dashboard_shows_the_figures(app, world, admin_client):
    start, end = world.day(0).isoformat(), world.day(20).isoformat()
    html = admin_client.get(f"/admin/statistics?start={start}&end={end}").get_data(as_text=True)
    assert "75%" in html  # alpha's completion rate
    assert "2.0" in html  # median: 2 days
    html = admin_client.get(f"/admin/statistics?start={start}&end={end}&mentor=CODEM").get_data(as_text=True)
    assert "M" in html and "100%" in html  # M's team completed alpha
    assert "Figures as of the last refresh:" not in html and "数据截至上次刷新" not in html  # live
    # Once M's team counts as big, the page reads its team cube and says as of when.
    app.config["STATISTICS_TEAM_MINIMUM"] = 2
    with unit_of_work(app):
        refresh_statistics()
    html = admin_client.get(f"/admin/statistics?start={start}&end={end}&mentor=CODEM").get_data(as_text=True)
    assert "100%" in html
    assert "Figures as of the last refresh:" in html or "数据截至上次刷新" in html
    response = admin_client.get("/admin/statistics?start=nonsense&mentor=nobody&cohort=x")
    assert response.status_code == 200
    assert "No mentor with that id" in response.get_data(as_text=True) or \
        "没有找到" in response.get_data(as_text=True)


def test_item_page_flags_and_links_to_the_editor(app, world, admin_client):
    app.config["STATISTICS_ITEM_MINIMUM"] = 4  # the world's four first attempts are enough
    html = admin_client.get(f"/admin/statistics/quizzes/{world.quiz_id}").get_data(as_text=True)
    assert html.count('class="review"') == 1  # q3
    assert "/author/courses/alpha-s/files/01-first/quiz.zh.md" in html
    assert admin_client.get("/admin/statistics/quizzes/999999").status_code == 404
    assert admin_client.get("/admin/statistics/quizzes/99999999999").status_code == 404
    assert admin_client.get("/admin/statistics/courses/nope").status_code == 404


def test_pages_read_the_roll_ups_once_refreshed(app, world, admin_client, runner):
    result = runner.invoke(args=["statistics", "refresh"])
    assert result.exit_code == 0, result.output
    with unit_of_work(app):
        assert last_refresh() is not None
    html = admin_client.get("/admin/statistics/courses/alpha-s").get_data(as_text=True)
    assert "Figures as of the last refresh" in html or "上次刷新" in html
    app.config["STATISTICS_ITEM_MINIMUM"] = 4
    html = admin_client.get(f"/admin/statistics/quizzes/{world.quiz_id}").get_data(as_text=True)
    assert html.count('class="review"') == 1


def test_below_the_minimum_sample_no_question_is_flagged_and_the_page_says_why(
        app, world, admin_client):
    assert app.config["STATISTICS_ITEM_MINIMUM"] == 30  # the default
    html = admin_client.get(f"/admin/statistics/quizzes/{world.quiz_id}").get_data(as_text=True)
    assert 'class="review"' not in html and "请复查这道题" not in html
    assert html.count("作答太少，暂不评判（4 / 30）") == 3
    assert "学员还太少（4 / 30）：暂不标记任何题目。" in html
    assert "95% 的误差范围" in html and "± 0." in html  # each facility with its margin
    app.config["STATISTICS_ITEM_MINIMUM"] = 5  # one short still judges nothing
    html = admin_client.get(f"/admin/statistics/quizzes/{world.quiz_id}").get_data(as_text=True)
    assert 'class="review"' not in html


def test_order_questions_wrong_answers_read_as_their_steps(app):
    from app.statistics.views import _wrong_label

    question = {"type": "order", "items": [
        {"id": "a", "text": {"zh": "<em>预告</em>", "en": "Announce"}},
        {"id": "b", "text": {"zh": "预热", "en": "Warm up"}},
        {"id": "c", "text": {"zh": "开售", "en": "Sell"}}]}
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert _wrong_label(question, ">cab") == "开售 → 预告 → 预热"


def test_get_pages_never_write(app, world, admin_client):
    from sqlalchemy import event

    writes = []
    with unit_of_work(app):
        engine = db.engine

        def record(conn, cursor, statement, *args):
            if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                writes.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            for url in urls(world):
                assert admin_client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert writes == []


def test_admin_nav_link_only_for_admins(app, world, client, make_user, admin_client):
    assert 'href="/admin/"' in admin_client.get("/").get_data(as_text=True)
    other = app.test_client()
    make_user("plain@stats.example.com")
    Auth(other).login("plain@stats.example.com")
    assert 'href="/admin/"' not in other.get("/").get_data(as_text=True)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pages_in_both_languages(app, world, admin_client, language):
    from tests.conftest import csrf_token

    admin_client.post("/language", data={"language": language,
                                         "csrf_token": csrf_token(admin_client, "/")})
    html = admin_client.get(f"/admin/statistics/quizzes/{world.quiz_id}").get_data(as_text=True)
    assert ("区分度" in html) == (language == "zh")
    assert ("Discrimination" in html) == (language == "en")
