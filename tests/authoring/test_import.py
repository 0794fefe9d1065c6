"""`flask courses import`: validation with file:line, idempotence, progress kept, hiding."""
import shutil

import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.authoring.curriculum import CurriculumError, read_curriculum
from app.authoring.services import import_curriculum
from app.extensions import db
from app.learning.models import Course, Lesson, LessonProgress, LessonText, Module
from tests.conftest import csrf_token


def snapshot():
    rows = []
    for model in (Course, Module, Lesson, LessonText):
        for row in db.session.scalars(select(model)):
            rows.append({c.name: getattr(row, c.key) for c in model.__table__.columns
                         if c.name not in ("updated_at", "created_at")})
    return rows


def test_cli_imports_the_folder(runner, app, courses_dir):
    result = runner.invoke(args=["courses", "import", str(courses_dir)])
    assert result.exit_code == 0, result.output
    assert "courses new: 3" in result.output and "lessons new: 6" in result.output
    with unit_of_work(app):
        text = db.session.execute(select(LessonText).join(Lesson).where(
            Lesson.slug == "first", LessonText.locale == "en")).scalar_one()
        assert text.minutes == 4 and "<h2" in text.body_html
        assert [entry["name"] for entry in text.toc] == ["Welcome", "Second part", "Third part"]


def test_reimport_without_changes_changes_nothing(app, imported):
    with unit_of_work(app):
        before = snapshot()
        counts = import_curriculum(imported)
        assert set(counts) == {"courses read"}
        assert snapshot() == before


def test_edits_update_text_and_keep_progress(app, client, imported, learner):
    client.post("/courses/alpha/first/read", data={"csrf_token": csrf_token(client, "/courses/alpha")})
    module_one = imported / "alpha" / "01-basics"
    (module_one / "01-first.zh.md").write_text("---\ntitle: 第一课（新版）\n---\n改写后的正文。\n")
    # Move the read lesson into the second module and rename the module folder's number.
    for name in ("01-first.zh.md", "01-first.en.md"):
        shutil.move(module_one / name, imported / "alpha" / "02-more" / name.replace("01-", "05-"))
    with unit_of_work(app):
        counts = import_curriculum(imported)
        assert counts["lesson texts changed"] == 1 and counts["lessons changed"] == 1
        assert db.session.scalar(select(LessonProgress.lesson_id)) is not None
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "改写后的正文" in page and "✓" in page


def test_removed_lesson_is_hidden_with_history_and_comes_back(app, client, imported, learner):
    client.post("/courses/alpha/second/read", data={"csrf_token": csrf_token(client, "/courses/alpha")})
    saved = {p.name: p.read_text() for p in (imported / "alpha" / "01-basics").glob("02-second.*")}
    for name in saved:
        (imported / "alpha" / "01-basics" / name).unlink()
    with unit_of_work(app):
        assert import_curriculum(imported)["lessons hidden"] == 1
        lesson = db.session.execute(select(Lesson).where(Lesson.slug == "second")).scalar_one()
        assert lesson.hidden
        assert db.session.scalar(select(LessonProgress.lesson_id)) == lesson.id
    assert client.get("/courses/alpha/second").status_code == 404
    assert "second" not in client.get("/courses/alpha").get_data(as_text=True).replace("Second", "")
    for name, text in saved.items():
        (imported / "alpha" / "01-basics" / name).write_text(text)
    with unit_of_work(app):
        import_curriculum(imported)
    page = client.get("/courses/alpha/second").get_data(as_text=True)
    assert "✓" in page  # still read


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


MALFORMED = {
    "bad yaml": (lambda d: _write(d / "alpha/01-basics/02-second.en.md", "---\ntitle: [oops\n---\nbody\n"),
                 "alpha/01-basics/02-second.en.md:", "invalid YAML"),
    "unknown key": (lambda d: _write(d / "alpha/01-basics/02-second.en.md",
                                     "---\ntitle: Second\ncolour: red\n---\nbody\n"),
                    "alpha/01-basics/02-second.en.md:3:", "unknown key 'colour'"),
    "missing title": (lambda d: _write(d / "alpha/01-basics/02-second.en.md", "---\nminutes: 3\n---\nbody\n"),
                      "alpha/01-basics/02-second.en.md:", "missing required key 'title'"),
    "no front matter": (lambda d: _write(d / "alpha/01-basics/02-second.en.md", "# Second\nbody\n"),
                        "alpha/01-basics/02-second.en.md:1:", "must start with front matter"),
    "duplicate lesson slug": (lambda d: _write(d / "alpha/02-more/02-first.en.md", "---\ntitle: Again\n---\nx\n"),
                              "alpha/02-more/02-first.en.md:1:", "duplicate lesson slug 'first'"),
    "duplicate course slug": (lambda d: _write(d / "beta/course.md", "---\nslug: alpha\ntitle:\n  en: B\n---\n"),
                              "beta/course.md:1:", "duplicate course slug 'alpha'"),
    "bad module folder": (lambda d: _write(d / "alpha/extra/module.md", "---\ntitle:\n  en: X\n---\n"),
                          "alpha/extra:1:", "module folders are named NN-slug"),
    "title not per language": (lambda d: _write(d / "beta/course.md", "---\nslug: beta\ntitle: Beta\n---\n"),
                               "beta/course.md:3:", "one line per language"),
    "bad minutes": (lambda d: _write(d / "alpha/01-basics/02-second.en.md",
                                     "---\ntitle: Second\nminutes: lots\n---\nbody\n"),
                    "alpha/01-basics/02-second.en.md:3:", "'minutes' must be a whole number"),
    "unknown language": (lambda d: _write(d / "alpha/01-basics/02-second.fr.md", "---\ntitle: Deux\n---\nx\n"),
                         "alpha/01-basics/02-second.fr.md:1:", "unknown language 'fr'"),
    "bad lesson name": (lambda d: _write(d / "alpha/01-basics/notes.md", "---\ntitle: N\n---\nx\n"),
                        "alpha/01-basics/notes.md:1:", "lesson files are named NN-slug.LANG.md"),
    "empty lesson": (lambda d: _write(d / "alpha/01-basics/02-second.en.md", "---\ntitle: Second\n---\n\n"),
                     "alpha/01-basics/02-second.en.md:4:", "the lesson has no text"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_fails_whole_import_and_changes_nothing(case, runner, app, imported):
    break_it, location, reason = MALFORMED[case]
    # A valid edit elsewhere in the same import must not be applied either.
    _write(imported / "alpha/01-basics/01-first.en.md", "---\ntitle: Changed\n---\nNew text\n")
    break_it(imported)
    with unit_of_work(app):
        before = snapshot()
    result = runner.invoke(args=["courses", "import", str(imported)])
    assert result.exit_code != 0
    assert location in result.output and reason in result.output, result.output
    assert "the database was not changed" in result.output
    with unit_of_work(app):
        assert snapshot() == before


def test_all_problems_are_reported_at_once(courses_dir):
    _write(courses_dir / "alpha/01-basics/02-second.en.md", "---\ncolour: red\ntitle: x\n---\nx\n")
    _write(courses_dir / "beta/01-only/01-english-only.en.md", "---\n---\nx\n")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(courses_dir)
    assert len(caught.value.errors) == 2


def test_a_single_course_folder_can_be_imported(app, courses_dir):
    with unit_of_work(app):
        import_curriculum(courses_dir / "beta")
        assert db.session.scalars(select(Course.slug)).all() == ["beta"]


def test_courses_render_brings_stored_html_up_to_date_without_a_new_version(app, runner, imported):
    from app.authoring.models import CourseVersion

    with unit_of_work(app):
        text = db.session.execute(select(LessonText).join(Lesson).where(
            Lesson.slug == "first", LessonText.locale == "en")).scalar_one()
        stale = text.body_html
        text.body_html = stale.replace('id="c-', 'id="')  # as the sanitiser used to store it
        text.toc = [dict(entry, id=entry["id"].removeprefix("c-")) for entry in text.toc]
        db.session.commit()
        versions = db.session.scalar(select(func.count()).select_from(CourseVersion))
    result = runner.invoke(args=["courses", "render"])
    assert result.exit_code == 0, result.output
    assert "Rendered 3 course(s) (1 lesson texts changed)" in result.output
    with unit_of_work(app):
        text = db.session.execute(select(LessonText).join(Lesson).where(
            Lesson.slug == "first", LessonText.locale == "en")).scalar_one()
        assert text.body_html == stale and all(e["id"].startswith("c-") for e in text.toc)
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == versions
