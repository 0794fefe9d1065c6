"""Checklist ticks: a form per item (no JavaScript needed), fetch-friendly, one row per tick
whatever the clicks, kept across edits and languages, only for lessons the learner can see."""
import re

from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.extensions import db
from app.learning.models import ChecklistTick
from tests.conftest import Auth, csrf_token

INTRO = "/courses/gamma/intro"


def tick(client, item, done="1", json=False, url=INTRO):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"{url}/checklist/{item}", data={
        "done": done, "csrf_token": csrf_token(client, url)}, headers=headers)


def state(page: str, item: str) -> str:
    match = re.search(rf'id="c-check-{item}">\s*<form[^>]*>.*?aria-checked="(\w+)"', page, re.S)
    assert match, page
    return match.group(1)


def ticks(app):
    with unit_of_work(app):
        return sorted(db.session.execute(select(
            ChecklistTick.course_slug, ChecklistTick.lesson_slug, ChecklistTick.item_id)).all())


def test_each_item_is_a_form_that_works_without_javascript(app, client, imported, learner):
    page = client.get(INTRO).get_data(as_text=True)
    form = re.search(r'<form method="post" class="check-form" action="([^"]+)">(.*?)</form>',
                     page, re.S)
    assert form.group(1) == "/courses/gamma/intro/checklist/write-welcome"
    assert 'name="csrf_token"' in form.group(2) and 'name="done" value="1"' in form.group(2)
    assert state(page, "write-welcome") == "false" and state(page, "send-to-one") == "false"
    response = tick(client, "write-welcome")
    assert response.status_code == 303
    assert response.headers["Location"] == "/courses/gamma/intro#c-check-write-welcome"
    page = client.get(INTRO).get_data(as_text=True)
    assert state(page, "write-welcome") == "true" and state(page, "send-to-one") == "false"
    assert re.search(r'id="c-check-write-welcome">\s*<form.*?name="done" value="0"', page, re.S)
    assert ticks(app) == [("gamma", "intro", "write-welcome")]


def test_double_clicks_and_retries_tick_once_and_untick_is_the_state_asked_for(
        app, client, imported, learner):
    for _ in range(3):
        assert tick(client, "send-to-one").status_code == 303
    assert tick(client, "send-to-one", json=True).json == {"item": "send-to-one", "done": True}
    assert ticks(app) == [("gamma", "intro", "send-to-one")]
    for _ in range(2):
        assert tick(client, "send-to-one", done="0", json=True).json == {
            "item": "send-to-one", "done": False}
    assert ticks(app) == []


def test_the_database_refuses_a_second_row_for_one_tick(app, imported, make_user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    user_id = make_user("learner@example.com")
    with unit_of_work(app):
        for _ in range(2):
            db.session.add(ChecklistTick(user_id=user_id, course_slug="gamma", lesson_slug="intro",
                                         item_id="send-to-one"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_ticks_are_per_learner(app, client, imported, learner, make_user):
    tick(client, "write-welcome")
    make_user("other@example.com")
    other = app.test_client()
    Auth(other).login("other@example.com")
    assert state(other.get(INTRO).get_data(as_text=True), "write-welcome") == "false"
    assert state(client.get(INTRO).get_data(as_text=True), "write-welcome") == "true"


def test_an_unknown_item_a_missing_token_or_a_visitor_changes_nothing(app, client, imported, learner):
    assert tick(client, "not-in-this-lesson").status_code == 404
    assert tick(client, "write-welcome", url="/courses/gamma/no-such-lesson").status_code == 404
    assert client.post(f"{INTRO}/checklist/write-welcome", data={"done": "1"}).status_code == 400
    visitor = app.test_client()
    response = visitor.post(f"{INTRO}/checklist/write-welcome",
                            data={"done": "1", "csrf_token": csrf_token(visitor, "/login")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert ticks(app) == []


def test_a_lesson_in_a_locked_module_cannot_be_ticked(app, client, courses_dir, learner):
    from app.authoring.services import import_curriculum

    more = courses_dir / "gamma" / "02-next" / "01-more.en.md"
    more.write_text(more.read_text(encoding="utf-8") + "\n```checklist\n- later: Later\n```\n",
                    encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(courses_dir)
    response = tick(client, "later", url="/courses/gamma/more")
    assert response.status_code == 403
    assert ticks(app) == []


def test_ticks_survive_edits_and_languages_and_a_removed_item_keeps_its_row(
        app, client, courses_dir, learner):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(courses_dir)
    tick(client, "write-welcome")
    tick(client, "send-to-one")
    for locale, text in (("zh", "发给一位新成员"), ("en", "Send it to one new member")):
        lesson = courses_dir / "gamma" / "01-start" / f"01-intro.{locale}.md"
        body = lesson.read_text(encoding="utf-8")
        lesson.write_text(re.sub(r"- write-welcome: .*\n", "", body).replace(
            text, text + " (edited)") + "\n更多内容 / more text\n", encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(courses_dir)
    page = client.get(INTRO).get_data(as_text=True)
    assert "write-welcome" not in page  # gone from the lesson: not shown…
    assert state(page, "send-to-one") == "true" and "(edited)" in page
    assert ("gamma", "intro", "write-welcome") in ticks(app)  # …but her tick is kept
    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client, "/courses")})
    english = client.get(INTRO).get_data(as_text=True)
    assert "Send it to one new member (edited)" in english
    assert state(english, "send-to-one") == "true"


def test_ticks_are_in_the_personal_data_export_and_kept_by_anonymisation(
        app, client, imported, learner, make_user):
    from app.accounts.models import User
    from app.accounts.privacy import anonymise, personal_data

    tick(client, "write-welcome")
    admin_id = make_user("admin@example.com", role="admin")
    with unit_of_work(app):
        user = db.session.scalar(select(User).where(User.email == "learner@example.com"))
        exported = personal_data(user)["checklist_ticks"]
        assert [(t["course"], t["lesson"], t["item"]) for t in exported] == [
            ("gamma", "intro", "write-welcome")]
        assert exported[0]["ticked_at"].endswith("Z")
        anonymise(user, "asked to be forgotten", str(user.id), db.session.get(User, admin_id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ChecklistTick)) == 1
