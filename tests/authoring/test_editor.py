"""Trainers edit in the browser: drafts, publishing, conflicts, permissions, versions."""
import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.authoring.models import CourseVersion, DraftFile
from app.extensions import db
from app.learning.models import LessonProgress
from app.quizzes.models import Attempt
from tests.authoring.conftest import Trainer
from tests.conftest import Auth
from tests.quizzes.conftest import Learner

LESSON = "01-basics/01-first.zh.md"


def versions_of(app, slug):
    from app.learning.models import Course

    with unit_of_work(app):
        return db.session.scalars(select(CourseVersion.number).join(
            Course, Course.id == CourseVersion.course_id).where(Course.slug == slug)
            .order_by(CourseVersion.number)).all()


def test_importing_files_records_version_one_and_fills_the_draft(app, imported):
    from app.authoring.services import import_curriculum

    assert versions_of(app, "alpha") == [1]
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(DraftFile)) > 10
        counts = import_curriculum(imported)  # unchanged files: no new version
    assert "course versions new" not in counts
    assert versions_of(app, "alpha") == [1]


def test_edit_preview_publish_keeps_learner_progress(app, client, learner, trainer):
    person = Learner(client)
    person.read("alpha", "first")

    trainer.edit("alpha", LESSON, lambda text: text + "\n\n新加的一段：先问候，再介绍。\n")
    # A draft is not what learners see.
    assert "新加的一段" not in client.get("/courses/alpha/first").get_data(as_text=True)
    review = trainer.client.get("/author/courses/alpha/publish").get_data(as_text=True)
    assert "新加的一段" in review and "No errors" in review

    response = trainer.publish("alpha")
    assert response.status_code == 302
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "新加的一段" in page and "✓" in page  # still marked read
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    assert versions_of(app, "alpha") == [1, 2]
    # Publishing the same draft again is refused with a reason, not a silent new version.
    again = trainer.publish("alpha")
    assert again.status_code == 422 and "Nothing to publish" in again.get_data(as_text=True)


def test_second_save_from_a_stale_revision_is_refused_with_a_diff(app, trainer, second_trainer):
    text, revision = trainer.open("alpha", LESSON)
    text2, revision2 = second_trainer.open("alpha", LESSON)
    assert revision == revision2
    first = trainer.save("alpha", LESSON, text + "\n甲的修改\n", revision)
    assert first.status_code == 302
    second = second_trainer.save("alpha", LESSON, text2 + "\n乙的修改\n", revision2)
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Changed since you opened it" in html and "甲的修改" in html and "乙的修改" in html
    saved, _ = trainer.open("alpha", LESSON)
    assert "甲的修改" in saved and "乙的修改" not in saved
    # JSON (autosave) gets the same refusal, with the revision to resave over deliberately.
    stale = second_trainer.save("alpha", LESSON, text2 + "\n乙\n", revision2, json=True)
    assert stale.status_code == 409 and stale.json["conflict"] is True
    keep_mine = second_trainer.save("alpha", LESSON, text2 + "\n乙\n", stale.json["revision"],
                                    json=True)
    assert keep_mine.status_code == 200 and keep_mine.json["revision"] == stale.json["revision"] + 1


def test_saves_racing_from_one_revision_only_one_wins(app, trainer):
    from app.accounts.models import User
    from app.authoring import drafts
    from app.learning.models import Course

    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == "alpha"))
        user = db.session.scalar(select(User).where(User.email == "trainer@example.com"))
        base = drafts.draft_files(course)[LESSON].revision
        drafts.save_file(course, LESSON, "one", base, user)
        db.session.commit()
        with pytest.raises(drafts.Conflict):
            drafts.save_file(course, LESSON, "two", base, user)
        db.session.rollback()
        assert drafts.draft_files(course)[LESSON].text == "one"


def test_malformed_quiz_saves_as_draft_but_never_publishes(app, trainer):
    path = "01-start/quiz.zh.md"
    trainer.edit("gamma", path, lambda text: text.replace("- [x]", "- [ ]"))
    review = trainer.client.get("/author/courses/gamma/publish")
    html = review.get_data(as_text=True)
    assert "01-start/quiz.zh.md:" in html and "exactly one [x]" in html
    refused = trainer.publish("gamma")
    assert refused.status_code == 422
    assert versions_of(app, "gamma") == [1]


def test_live_preview_renders_like_learners_see_and_reports_lines(app, trainer):
    token = trainer.token()
    lesson = trainer.client.post(f"/author/courses/alpha/preview/{LESSON}",
                                 data={"csrf_token": token, "text": "---\ntitle: T\n---\n## 标题\n"
                                       "<script>alert(1)</script>[下一课](02-second.zh.md)"})
    assert lesson.status_code == 200
    assert "<h2" in lesson.json["html"] and "<script>" not in lesson.json["html"]
    assert 'href="/courses/alpha/second"' in lesson.json["html"]
    quiz = trainer.client.post("/author/courses/gamma/preview/01-start/quiz.en.md",
                               data={"csrf_token": token, "text": "---\npass_mark: 80\n---\n\n"
                                     "## Q {#q1 type=single}\n\n- [ ] a\n- [ ] b\n"})
    assert quiz.json["problems"] == [{"line": 5, "error": True,
                                      "message": quiz.json["problems"][0]["message"]}]
    assert "exactly one [x]" in quiz.json["problems"][0]["message"]
    broken = trainer.client.post(f"/author/courses/alpha/preview/{LESSON}",
                                 data={"csrf_token": token,
                                       "text": "---\ntitle: T\n---\nline\n![x](missing.png)\n"})
    assert broken.json["problems"][0]["line"] == 5 and broken.json["problems"][0]["error"]


def test_oversized_text_is_413_and_nothing_is_saved(app, trainer):
    text, revision = trainer.open("alpha", LESSON)
    response = trainer.save("alpha", LESSON, "长" * 200_001, revision)
    assert response.status_code == 413
    assert trainer.open("alpha", LESSON) == (text, revision)


def test_an_attempt_in_progress_keeps_its_version_after_publishing(app, client, learner, trainer):
    person = Learner(client)
    person.read("gamma", "intro")
    attempt_id = person.start_attempt_id()
    for language in ("zh", "en"):
        trainer.edit("gamma", f"01-start/quiz.{language}.md",
                     lambda t: t.rstrip("\n") + "\n\n## 新题 New {#brand-new type=truefalse}\n\n- [x] 对\n- [ ] 错\n")
    assert trainer.publish("gamma").status_code == 302
    with unit_of_work(app):
        attempt = db.session.scalar(select(Attempt))
        assert attempt.version.number == 1
        assert "brand-new" not in str(attempt.layout)
    assert client.get(f"/attempts/{attempt_id}").status_code == 200


def test_new_course_module_lesson_and_quiz_from_the_browser(app, client, trainer):
    token = trainer.token()
    made = trainer.client.post("/author/courses", data={
        "csrf_token": token, "slug": "after-sales", "title_zh": "售后", "title_en": "After sales"})
    assert made.status_code == 302
    trainer.client.post("/author/courses/after-sales/modules", data={
        "csrf_token": token, "slug": "returns", "title_zh": "退货", "title_en": "Returns"})
    trainer.client.post("/author/courses/after-sales/lessons", data={
        "csrf_token": token, "module": "01-returns", "slug": "seven-days",
        "title_zh": "七天无理由", "title_en": "Seven days"})
    trainer.client.post("/author/courses/after-sales/quizzes", data={
        "csrf_token": token, "module": "01-returns"})
    page = trainer.client.get("/author/courses/after-sales").get_data(as_text=True)
    assert "01-returns/01-seven-days.zh.md" in page and "01-returns/quiz.en.md" in page
    published = trainer.publish("after-sales")
    assert published.status_code == 302, published.get_data(as_text=True)
    overview = trainer.client.get("/author/").get_data(as_text=True)
    assert "After sales" in overview and "Version 1" in overview


def test_duplicate_slugs_are_refused_with_a_message(app, trainer):
    token = trainer.token()
    again = trainer.client.post("/author/courses", data={
        "csrf_token": token, "slug": "alpha", "title_zh": "重复", "title_en": "Dup"})
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    bad = trainer.client.post("/author/courses", data={
        "csrf_token": token, "slug": "Not OK!", "title_zh": "x", "title_en": "x"})
    assert bad.status_code == 422


def test_versions_diff_and_revert(app, trainer):
    trainer.edit("alpha", LESSON, lambda text: text + "\n第二版\n")
    trainer.publish("alpha")
    versions = trainer.client.get("/author/courses/alpha/versions").get_data(as_text=True)
    assert "Version 2" in versions and "Version 1" in versions and "培训师" in versions
    diff = trainer.client.get("/author/courses/alpha/versions/diff",
                              query_string={"from": 1, "to": 2}).get_data(as_text=True)
    assert "+第二版" in diff and "01-basics/01-first.zh.md" in diff
    reverted = trainer.client.post("/author/courses/alpha/versions/1/revert",
                                   data={"csrf_token": trainer.token()})
    assert reverted.status_code == 302
    text, _ = trainer.open("alpha", LESSON)
    assert "第二版" not in text
    assert versions_of(app, "alpha") == [1, 2]  # reverting makes a draft, not a version
    assert trainer.publish("alpha").status_code == 302
    assert versions_of(app, "alpha") == [1, 2, 3]


def test_file_import_keeps_unpublished_browser_edits(app, trainer, imported):
    from app.authoring.services import import_curriculum

    trainer.edit("alpha", LESSON, lambda text: text + "\n浏览器里的草稿\n")
    other = imported / "alpha" / "01-basics" / "02-second.en.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nFrom git.\n", encoding="utf-8")
    mine = imported / "alpha" / "01-basics" / "01-first.zh.md"
    mine.write_text(mine.read_text(encoding="utf-8") + "\n来自 git\n", encoding="utf-8")
    with unit_of_work(app):
        counts = import_curriculum(imported)
    assert counts["draft edits kept"] == 1
    assert "浏览器里的草稿" in trainer.open("alpha", LESSON)[0]
    assert "From git." in trainer.open("alpha", "01-basics/02-second.en.md")[0]


def test_overview_shows_pending_changes_and_completion(app, client, learner, trainer):
    Learner(client).read("alpha", "first")
    trainer.edit("alpha", LESSON, lambda text: text + "\n改动\n")
    page = trainer.client.get("/author/").get_data(as_text=True)
    assert "1 change to publish" in page
    assert "beta" not in page  # not granted


@pytest.mark.parametrize("url", ["/author/", "/author/courses/alpha",
                                 f"/author/courses/alpha/files/{LESSON}",
                                 "/author/courses/alpha/versions", "/author/import"])
def test_learners_never_reach_authoring_pages(app, client, learner, imported, url):
    assert client.get(url).status_code == 403


def test_trainers_edit_only_courses_they_own_or_were_granted(app, trainer):
    assert trainer.client.get("/author/courses/beta").status_code == 403
    assert trainer.client.get("/author/courses/alpha").status_code == 200
    assert trainer.client.get("/author/courses/nope").status_code == 404


def test_admins_grant_and_revoke(app, client, imported, make_user):
    make_user("admin@example.com", role="admin", locale="en")
    make_user("t3@example.com", role="trainer", name="新培训师")
    make_user("l3@example.com", role="learner", name="学员")
    admin = Trainer(app.test_client())
    Auth(admin.client).login("admin@example.com")
    t3 = app.test_client()
    Auth(t3).login("t3@example.com")
    assert t3.get("/author/courses/beta").status_code == 403
    given = admin.client.post("/author/courses/beta/access",
                              data={"csrf_token": admin.token(), "who": "t3@example.com"})
    assert given.status_code == 302
    assert t3.get("/author/courses/beta").status_code == 200
    refused = admin.client.post("/author/courses/beta/access",
                                data={"csrf_token": admin.token(), "who": "l3@example.com"})
    assert refused.status_code == 422 and "Only trainers" in refused.get_data(as_text=True)
    from app.accounts.models import User
    with unit_of_work(app):
        t3_id = db.session.scalar(select(User.id).where(User.email == "t3@example.com"))
    admin.client.post("/author/courses/beta/access",
                      data={"csrf_token": admin.token(), "revoke": t3_id})
    assert t3.get("/author/courses/beta").status_code == 403


def test_revert_asks_first_and_names_the_unpublished_edits_it_discards(app, trainer):
    trainer.edit("alpha", LESSON, lambda text: text + "\n未发布的修改\n")
    confirm = trainer.client.get("/author/courses/alpha/versions/1/revert")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert LESSON in html and "throws away" in html and "-未发布的修改" in html
    assert "未发布的修改" in trainer.open("alpha", LESSON)[0]  # asking changed nothing
    trainer.client.post("/author/courses/alpha/versions/1/revert", data={"csrf_token": trainer.token()})
    assert "未发布的修改" not in trainer.open("alpha", LESSON)[0]
    assert trainer.client.get("/author/courses/alpha/versions/99999999999999999999/revert").status_code == 404


def test_a_file_deleted_while_open_can_be_saved_again(app, trainer, second_trainer):
    text, revision = trainer.open("alpha", LESSON)
    gone = second_trainer.client.post(f"/author/courses/alpha/delete/{LESSON}",
                                      data={"csrf_token": second_trainer.token(), "revision": revision,
                                            "confirm": "yes"})
    assert gone.status_code == 302
    refused = trainer.save("alpha", LESSON, text + "\n我的\n", revision, json=True)
    assert refused.status_code == 409 and refused.json["revision"] == 0
    kept = trainer.save("alpha", LESSON, text + "\n我的\n", refused.json["revision"], json=True)
    assert kept.status_code == 200 and "我的" in trainer.open("alpha", LESSON)[0]


def test_course_md_cannot_be_removed_and_missing_translations_can_be_added(app, make_user, imported):
    make_user("admin@example.com", role="admin", locale="en")
    admin = Trainer(app.test_client())
    Auth(admin.client).login("admin@example.com")
    text, revision = admin.open("alpha", "course.md")
    admin.client.post("/author/courses/alpha/delete/course.md",
                      data={"csrf_token": admin.token(), "revision": revision, "confirm": "yes"})
    assert admin.open("alpha", "course.md") == (text, revision)
    course_page = admin.client.get("/author/courses/beta").get_data(as_text=True)
    assert "/author/courses/beta/files/01-only/01-english-only.zh.md" in course_page
    starting, zero = admin.open("beta", "01-only/01-english-only.zh.md")
    assert zero == 0 and "title:" in starting
    made = admin.save("beta", "01-only/01-english-only.zh.md",
                      "---\ntitle: 只有英文\n---\n现在有中文了。\n", 0)
    assert made.status_code == 302
    assert admin.client.get("/author/courses/beta/files/not/a/course/file.md").status_code == 404


def test_deleted_images_stay_deleted_through_later_versions(app, trainer):
    from app.authoring import drafts, publishing
    from app.learning.models import Course
    from tests.authoring.test_transfer import png

    upload = trainer.client.post("/author/courses/alpha/images", data={
        "csrf_token": trainer.token(), "module": "01-basics",
        "image": (__import__("io").BytesIO(png()), "map.png")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    trainer.edit("alpha", LESSON, lambda t: t + f"\n{upload.json['markdown']}\n")
    trainer.publish("alpha")  # v2 has the image
    trainer.client.post("/author/courses/alpha/versions/1/revert", data={"csrf_token": trainer.token()})
    trainer.publish("alpha")  # v3: as v1, without it
    trainer.edit("alpha", LESSON, lambda t: t + "\n再改一句\n")
    trainer.publish("alpha")  # v4
    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == "alpha"))
        assert drafts.draft_assets(course) == {}
        assert publishing.version(course, 4).assets == {}


def test_xss_in_quiz_files_is_inert_in_the_preview(app, trainer):
    from tests.content.test_sanitizer import PAYLOADS, problems_in

    body = "\n".join(f"## {p} {{#q{i} type=single}}\n\n- [x] {p}\n  > Feedback: {p}\n- [ ] b\n\n> Feedback: {p}\n"
                     for i, p in enumerate(PAYLOADS) if "{" not in p and "}" not in p and "\n" not in p)
    preview = trainer.client.post("/author/courses/gamma/preview/01-start/quiz.en.md", data={
        "csrf_token": trainer.token(), "text": "---\npass_mark: 80\n---\n\n" + body})
    assert preview.status_code == 200 and preview.json["problems"] == []
    assert problems_in(preview.json["html"]) == []


def test_the_preview_shows_each_answers_credit(app, trainer):
    preview = trainer.client.post("/author/courses/gamma/preview/01-start/quiz.en.md", data={
        "csrf_token": trainer.token(), "text": "---\npass_mark: 80\n---\n\n"
        "## Q {#q1 type=single}\n\n- [-25%] a\n- [50%] b\n- [x] c\n\n"
        "## T {#q2 type=text}\n\n- right\n- [50%] <script>half</script>\n\n"
        "## N {#q3 type=numeric}\n\n- 1822\n- [50%] 1822 ± 2\n"})
    assert preview.status_code == 200 and preview.json["problems"] == []
    html = preview.json["html"]
    assert "✗ -25% a" in html and "✗ 50% b" in html and "✓ 100% c" in html
    assert "&lt;script&gt;half&lt;/script&gt; (50%)" in html and "<script>" not in html
    assert "1820–1824 (50%)" in html


def test_long_slugs_and_huge_numbers_are_refused_cleanly(app, trainer):
    long = trainer.client.post("/author/courses", data={
        "csrf_token": trainer.token(), "slug": "a" * 81, "title_zh": "x", "title_en": "x"})
    assert long.status_code == 422
    assert trainer.client.get("/author/courses/alpha/export.zip?version=99999999999999999999").status_code == 404
    assert trainer.client.get("/author/courses/alpha/versions/diff?from=99999999999999999999").status_code == 404


def test_removing_a_file_asks_first_and_only_the_confirmation_removes_it(app, trainer):
    text, revision = trainer.open("alpha", LESSON)
    page = trainer.client.get(f"/author/courses/alpha/files/{LESSON}").get_data(as_text=True)
    # The question and its answer sit in a <details>: no script needed to confirm.
    assert "<details class=\"danger-zone\">" in page and 'name="confirm" value="yes"' in page
    unconfirmed = trainer.client.post(f"/author/courses/alpha/delete/{LESSON}",
                                      data={"csrf_token": trainer.token(), "revision": revision})
    assert unconfirmed.status_code == 303
    assert trainer.open("alpha", LESSON) == (text, revision)
    trainer.client.post(f"/author/courses/alpha/delete/{LESSON}",
                        data={"csrf_token": trainer.token(), "revision": revision, "confirm": "yes"})
    assert trainer.open("alpha", LESSON)[1] == 0


def test_the_course_page_lists_lesson_titles_with_the_file_name_small(app, trainer):
    page = trainer.client.get("/author/courses/alpha").get_data(as_text=True)
    name = LESSON.split("/")[1].rsplit(".", 2)[0]
    english = LESSON.replace(".zh.", ".en.")  # the trainer reads English
    title = trainer.open("alpha", english)[0].split("title:", 1)[1].split("\n", 1)[0].strip()
    assert f'<span class="lesson-title">{title}</span> <code class="file-name">{name}</code>' in page


def test_the_editor_shows_every_problem_of_a_broken_quiz_at_once(app, trainer):
    from tests.quizzes.test_parser import BROKEN

    response = trainer.client.post("/author/courses/gamma/preview/01-start/quiz.en.md",
                                   data={"csrf_token": trainer.token(), "text": BROKEN})
    problems = response.json["problems"]
    assert [p["line"] for p in problems if p["error"]] == [2, 3, 5, 9, 13, 15, 20], problems
    # Publishing a draft with it lists them all too.
    _text, revision = trainer.open("gamma", "01-start/quiz.en.md")
    trainer.save("gamma", "01-start/quiz.en.md", BROKEN, revision)
    page = trainer.client.get("/author/courses/gamma/publish").get_data(as_text=True)
    for line in (2, 3, 5, 9, 13, 15, 20):
        assert f"quiz.en.md:{line}</a>" in page, line
