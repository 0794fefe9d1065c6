"""The outline cached per course revision never shows old content, stale progress or another
learner's page."""
from sqlalchemy import select

from app.extensions import db
from app.transactions import unit_of_work
from app.learning.models import Course
from tests.conftest import PASSWORD, Auth, csrf_token, make_app


def republish(app, courses_dir):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(courses_dir)


def edit_first_lesson(courses_dir, title: str, body: str):
    path = courses_dir / "alpha" / "01-basics" / "01-first.zh.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("title: 第一课", f"title: {title}").replace("第一课的中文正文。", body)
    path.write_text(text, encoding="utf-8")


def test_a_publish_shows_the_new_outline_and_lesson_at_once(client, imported, learner, app):
    before = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "第一课的中文正文" in before
    assert "第一课" in client.get("/courses/alpha").get_data(as_text=True)
    edit_first_lesson(imported, "改过的第一课", "改过的正文。")
    republish(app, imported)
    lesson = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "改过的正文" in lesson and "第一课的中文正文" not in lesson
    assert "改过的第一课" in client.get("/courses/alpha").get_data(as_text=True)


def revision_of(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.content_revision).where(Course.slug == slug))


def test_a_publish_that_changes_rows_moves_the_cache_key(imported, app):
    revision = revision_of(app, "alpha")
    republish(app, imported)  # nothing changed: the course row stays as it was
    assert revision_of(app, "alpha") == revision
    edit_first_lesson(imported, "第一课", "一处改动。")
    republish(app, imported)
    assert revision_of(app, "alpha") == revision + 1
    assert revision_of(app, "beta") is not None


def test_a_publish_in_another_process_reaches_this_one(client, imported, learner, app,
                                                       database_url):
    assert "第一课的中文正文" in client.get("/courses/alpha/first").get_data(as_text=True)
    other = make_app(database_url)  # another worker: its own cache, the same database
    edit_first_lesson(imported, "第一课", "另一个进程发布的正文。")
    republish(other, imported)
    with other.app_context():
        db.engine.dispose()
    assert "另一个进程发布的正文" in client.get("/courses/alpha/first").get_data(as_text=True)


def test_a_hidden_lesson_leaves_the_cached_outline(client, imported, learner, app):
    assert client.get("/courses/alpha/second").status_code == 200
    for path in (imported / "alpha" / "01-basics").glob("02-second.*.md"):
        path.unlink()
    republish(app, imported)
    assert client.get("/courses/alpha/second").status_code == 404
    assert "/courses/alpha/second" not in client.get("/courses/alpha").get_data(as_text=True)


def test_progress_shows_right_after_marking_a_lesson_read(client, imported, learner):
    assert 'class="read"' not in client.get("/courses/alpha").get_data(as_text=True)
    client.get("/courses")  # the catalog's counts are cached per course too
    token = csrf_token(client, "/courses/alpha/first")
    assert client.post("/courses/alpha/first/read", data={"csrf_token": token}).status_code == 303
    assert 'class="read"' in client.get("/courses/alpha").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "/courses/alpha/second" in home  # continue where she left off, at once


def test_two_learners_never_see_each_others_progress(app, client, imported, learner, make_user):
    other_id = make_user("other@example.com", name="另一位")
    other = app.test_client()
    Auth(other).login("other@example.com", PASSWORD)
    # Both fill the same process's cache before and after the first one reads.
    for person in (client, other):
        assert 'class="read"' not in person.get("/courses/alpha").get_data(as_text=True)
    token = csrf_token(client, "/courses/alpha/first")
    client.post("/courses/alpha/first/read", data={"csrf_token": token})
    assert 'class="read"' in client.get("/courses/alpha").get_data(as_text=True)
    for url in ("/courses/alpha", "/courses/alpha/first", "/courses", "/"):
        theirs = other.get(url).get_data(as_text=True)
        assert f'data-user="{other_id}"' in theirs, url
        assert 'class="read"' not in theirs, url
    assert "/courses/alpha/second" not in other.get("/").get_data(as_text=True)


def test_a_translation_added_to_a_read_lesson_reaches_the_cached_pages(client, imported, learner,
                                                                       app):
    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client, "/")})
    english = imported / "alpha" / "01-basics" / "01-first.en.md"
    kept = english.read_text(encoding="utf-8")
    english.unlink()
    republish(app, imported)
    assert "第一课的中文正文" in client.get("/courses/alpha/first").get_data(as_text=True)
    english.write_text(kept, encoding="utf-8")  # the translation comes (back): a new text row
    republish(app, imported)
    lesson = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "第一课的中文正文" not in lesson
    assert "第一课" not in client.get("/courses/alpha").get_data(as_text=True).split("<main", 1)[1]
