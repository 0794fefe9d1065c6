"""Assignments through the pages: write (autosave and the plain form), attach pictures, hand
in, routing to her mentor or the trainers' queue, review, revision, approval, the module's
completion, notifications, reminders, My templates. Hostile input along the way."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.notifications.models import Notification
from app.practice import assignments
from app.practice.models import (Submission, SubmissionImage, SubmissionReview,
                                 SubmissionVersion)
from app.transactions import unit_of_work
from tests.conftest import csrf_token
from tests.practice.assignment_helpers import PAGE, Writer, png, review_form
from tests.practice.conftest import set_tier

WELCOME = "Welcome, Mei! We met at the school gate. Our rules are pinned above: no ads, please."


def _version_id(app) -> int:
    with unit_of_work(app):
        return db.session.scalar(select(SubmissionVersion.id).order_by(
            SubmissionVersion.id.desc()).limit(1))


def _notes(app, user_id: int, kind: str) -> list[dict]:
    with unit_of_work(app):
        return [n.payload for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.kind == kind))]


def test_the_lesson_and_the_course_link_to_the_assignment(crew):
    _ids, clients = crew
    lesson = clients["mentee"].get("/courses/epsilon/greet").get_data(as_text=True)
    assert "Assignment: Your group&#39;s welcome message" in lesson and PAGE in lesson
    course = clients["mentee"].get("/courses/epsilon").get_data(as_text=True)
    assert PAGE in course and "a reviewer approves it" in course
    page = Writer(clients["mentee"]).page()
    assert "Says her name" in page and "Up to 300 characters" in page


def test_the_plain_form_saves_her_text_and_the_autosave_answers_json(crew, app):
    _ids, clients = crew
    writer = Writer(clients["mentee"])
    assert writer.post("First words").status_code == 303
    assert "First words" in writer.page()
    response = writer.post("First words, then more", json=True)
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert "First words, then more" in writer.page()  # reload: the autosave kept it
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_script_in_the_text_is_kept_as_text_and_escaped_everywhere(crew, app):
    ids, clients = crew
    writer = Writer(clients["mentee"])
    writer.hand_in('<script>alert("x")</script><img src=x onerror=alert(1)>')
    page = writer.page()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page
    trainer_page = clients["trainer"].get(f"/reviews/{_version_id(app)}").get_data(as_text=True)
    assert "<script>alert" not in trainer_page and "&lt;script&gt;" in trainer_page


def test_too_long_text_is_refused_in_her_language_and_kept_on_the_page(crew, app):
    _ids, clients = crew
    writer = Writer(clients["mentee"])
    response = writer.post("x" * 301)
    assert response.status_code == 413
    assert "at most 300" in response.get_data(as_text=True)
    assert "x" * 301 in response.get_data(as_text=True)  # nothing she typed is lost
    assert writer.post("x" * 301, json=True).status_code == 413
    with unit_of_work(app):
        assert db.session.scalar(select(Submission.text)) in (None, "")


def test_an_empty_hand_in_is_refused(crew):
    _ids, clients = crew
    response = Writer(clients["mentee"]).post("   ", "submit")
    assert response.status_code == 400 and "Write your work" in response.get_data(as_text=True)


def test_pictures_are_cleaned_limited_and_bombs_refused(crew, app):
    _ids, clients = crew
    writer = Writer(clients["mentee"])
    writer.post("With pictures")
    assert writer.attach(png(exif=True), "photo.jpg").status_code == 303
    with unit_of_work(app):
        data = db.session.scalar(select(SubmissionImage.data))
    assert b"PhoneMaker" not in data  # EXIF gone with the re-encoding
    assert writer.attach(png()).status_code == 303
    third = writer.attach(png())
    assert third.status_code == 400 and "at most 2 pictures" in third.get_data(as_text=True)
    with unit_of_work(app):
        image = db.session.scalars(select(SubmissionImage)).first()
        image.removed_at = utcnow()  # room for one more
        db.session.commit()
    # A small file that declares 36 million pixels: refused before it is decoded.
    response = writer.attach(png(6000, 6000))
    assert response.status_code == 400 and "could not be used" in response.get_data(as_text=True)
    svg = writer.attach(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                        "x.svg")
    assert svg.status_code == 400
    text = writer.attach(b"not a picture at all", "x.png")
    assert text.status_code == 400


def test_with_a_mentor_who_cannot_review_the_work_goes_to_the_courses_trainers(crew, app):
    ids, clients = crew
    Writer(clients["mentee"]).hand_in(WELCOME)
    with unit_of_work(app):
        version = db.session.scalar(select(SubmissionVersion))
        assert version.route == "trainers" and version.reviewer_id is None
    assert "Lin: Your group" in clients["trainer"].get("/reviews").get_data(as_text=True)
    assert "Lin: Your group" in clients["admin"].get("/reviews").get_data(as_text=True)
    assert "Lin:" not in clients["other_trainer"].get("/reviews").get_data(as_text=True)
    assert "Lin:" not in clients["mentor"].get("/reviews").get_data(as_text=True)
    assert clients["mentor"].get(f"/reviews/{version.id}").status_code == 404
    assert clients["other_trainer"].get(f"/reviews/{version.id}").status_code == 404
    assert _notes(app, ids["trainer"], "review_waiting")
    assert not _notes(app, ids["mentor"], "review_waiting")


def test_a_mentor_at_a_reviewing_tier_reviews_her_mentees_work(crew, app):
    ids, clients = crew
    set_tier(app, ids["mentor"], "mentor")
    Writer(clients["mentee"]).hand_in(WELCOME)
    with unit_of_work(app):
        version = db.session.scalar(select(SubmissionVersion))
        assert version.route == "mentor" and version.reviewer_id == ids["mentor"]
    mentor_page = clients["mentor"].get("/mentor").get_data(as_text=True)
    assert "1 assignment waits for your review" in mentor_page
    assert f"/reviews/{version.id}" in mentor_page
    assert "Lin: Your group" in clients["mentor"].get("/reviews").get_data(as_text=True)
    assert "Lin:" not in clients["trainer"].get("/reviews").get_data(as_text=True)
    assert clients["trainer"].get(f"/reviews/{version.id}").status_code == 404
    assert clients["admin"].get(f"/reviews/{version.id}").status_code == 200
    assert _notes(app, ids["mentor"], "review_waiting")


def test_revision_then_approval_completes_the_module_and_fills_my_templates(crew, app):
    ids, clients = crew
    set_tier(app, ids["mentor"], "mentor")
    writer = Writer(clients["mentee"])
    # The second module is closed while the required assignment is not approved.
    clients["mentee"].post("/courses/epsilon/greet/read",
                           data={"csrf_token": csrf_token(clients["mentee"], "/courses/epsilon/greet")})
    assert clients["mentee"].get("/courses/epsilon/more").status_code == 403
    writer.hand_in("Hi all.")
    first = _version_id(app)
    assert "Waiting for review" in writer.page()
    # While it waits her draft is closed.
    assert writer.post("changed my mind").status_code == 409
    no_comment = review_form(clients["mentor"], first, "revise", {"personal": 0, "rules": 0})
    assert no_comment.status_code == 400 and "what to change" in no_comment.get_data(as_text=True)
    too_few = review_form(clients["mentor"], first, "approved", {"personal": 1, "rules": 0})
    assert too_few.status_code == 400 and "fewer than the 3" in too_few.get_data(as_text=True)
    response = review_form(clients["mentor"], first, "revise", {"personal": 0, "rules": 0},
                           "Say her name and where the rules are.")
    assert response.status_code == 303
    [note] = _notes(app, ids["mentee"], "assignment_reviewed")
    assert note["decision"] == "revise"
    messages = clients["mentee"].get("/notifications").get_data(as_text=True)
    assert "asks for a revision" in messages
    page = writer.page()
    assert "Say her name and where the rules are." in page and "Your revision" in page
    writer.hand_in(WELCOME)
    second = _version_id(app)
    assert second != first
    assert review_form(clients["mentor"], second, "approved", {"personal": 2, "rules": 2},
                       "Lovely.").status_code == 303
    with unit_of_work(app):
        submission = db.session.scalar(select(Submission))
        assert submission.state == "approved"
        versions = db.session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.number)).all()
        assert [v.text for v in versions] == ["Hi all.", WELCOME]  # every version kept
        assert db.session.scalar(select(func.count()).select_from(SubmissionReview)) == 2
    assert clients["mentee"].get("/courses/epsilon/more").status_code == 200
    toolkit = clients["mentee"].get("/my/templates").get_data(as_text=True)
    assert "Your group&#39;s welcome message" in toolkit and "We met at the school gate" in toolkit
    # Approved and closed: the page offers no box, and a stale or crafted post (the back
    # button's Save, a replayed hand-in) opens no second piece of work.
    page = writer.page()
    assert "✓ Approved" in page and "Hand in for review" not in page
    for action in ("save", "submit"):
        late = writer.post("Another try.", action)
        assert late.status_code == 409 and "approved already" in late.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_a_review_of_an_already_reviewed_version_is_a_409(crew, app):
    ids, clients = crew
    Writer(clients["mentee"]).hand_in(WELCOME)
    version_id = _version_id(app)
    assert review_form(clients["trainer"], version_id, "approved",
                       {"personal": 2, "rules": 2}).status_code == 303
    late = review_form(clients["admin"], version_id, "revise", {"personal": 0, "rules": 0},
                       "Too late")
    assert late.status_code == 409 and "already reviewed" in late.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(SubmissionReview)) == 1


def test_scores_outside_the_rubric_are_refused(crew, app):
    _ids, clients = crew
    Writer(clients["mentee"]).hand_in(WELCOME)
    version_id = _version_id(app)
    response = review_form(clients["trainer"], version_id, "approved", {"personal": 7, "rules": 2})
    assert response.status_code == 400 and "every criterion" in response.get_data(as_text=True)
    response = review_form(clients["trainer"], version_id, "maybe", {"personal": 2, "rules": 2})
    assert response.status_code == 400


def test_someone_elses_submission_is_a_404_for_every_road_in(crew, app):
    _ids, clients = crew
    writer = Writer(clients["mentee"])
    writer.post("mine")
    submission_id = writer.submission_id()
    writer.attach(png())
    with unit_of_work(app):
        image_id = db.session.scalar(select(SubmissionImage.id))
    stranger = clients["stranger"]
    token = csrf_token(stranger, "/")
    assert stranger.get(f"/submissions/{submission_id}").status_code == 404
    assert stranger.get(f"/submission-images/{image_id}").status_code == 404
    assert stranger.post(f"/submissions/{submission_id}/images",
                         data={"csrf_token": token}).status_code == 404
    assert stranger.post(f"/submission-images/{image_id}/remove",
                         data={"csrf_token": token}).status_code == 404
    assert clients["other_trainer"].get(f"/submission-images/{image_id}").status_code == 404
    assert clients["admin"].get(f"/submission-images/{image_id}").status_code == 200
    assert clients["mentee"].get(f"/submission-images/{image_id}").status_code == 200
    writer.hand_in("mine, handed in")
    version_id = _version_id(app)
    assert clients["trainer"].get(f"/submission-images/{image_id}").status_code == 200
    assert stranger.get(f"/reviews/{version_id}").status_code == 404
    assert review_form(stranger, version_id, "approved",
                       {"personal": 2, "rules": 2}).status_code == 404


def test_reminders_once_per_period_of_waiting(crew, app):
    ids, clients = crew
    Writer(clients["mentee"]).hand_in(WELCOME)
    with unit_of_work(app):
        assert assignments.remind_waiting(2) == 0  # not waiting long enough
        version = db.session.scalar(select(SubmissionVersion))
        version.submitted_at = utcnow() - timedelta(days=2, hours=1)
        db.session.commit()
    with unit_of_work(app):
        assert assignments.remind_waiting(2) == 1
        db.session.commit()
    with unit_of_work(app):
        assert assignments.remind_waiting(2) == 0  # the same period: nothing more
        assert assignments.remind_waiting(2, utcnow() + timedelta(days=2)) == 1  # the next one
        db.session.commit()
    assert len(_notes(app, ids["trainer"], "review_reminder")) == 2
    result = app.test_cli_runner().invoke(args=["assignments", "remind"])
    assert result.exit_code == 0 and "0 waiting hand-ins" in result.output


def test_the_review_queue_is_oldest_first(crew, app, make_user):
    from tests.conftest import Auth

    ids, clients = crew
    other = app.test_client()
    make_user("second@example.com", name="Second", locale="en")
    Auth(other).login("second@example.com")
    Writer(other).hand_in("second's work")
    Writer(clients["mentee"]).hand_in(WELCOME)
    with unit_of_work(app):
        versions = db.session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.id)).all()
        versions[0].submitted_at = utcnow() - timedelta(hours=1)
        versions[1].submitted_at = utcnow() - timedelta(hours=5)
        db.session.commit()
    page = clients["trainer"].get("/reviews").get_data(as_text=True)
    assert page.index("Lin:") < page.index("Second:")
    with unit_of_work(app):
        times = assignments.review_times()
        assert times == []


def test_keeping_a_lesson_template(crew, app):
    _ids, clients = crew
    client = clients["mentee"]
    lesson = client.get("/courses/epsilon/greet").get_data(as_text=True)
    assert "Keep in My templates" in lesson
    url = "/courses/epsilon/greet/templates/1/keep"
    assert url in lesson
    token = csrf_token(client, "/courses/epsilon/greet")
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    response = client.post(url, data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert response.get_json() == {"kept": True, "new": False}  # kept once
    assert client.post("/courses/epsilon/greet/templates/2/keep",
                       data={"csrf_token": token}).status_code == 404
    toolkit = client.get("/my/templates").get_data(as_text=True)
    assert "Welcome, {name}! Our group is about baby care." in toolkit
    kept_id = int(re.search(r"/my/templates/(\d+)/remove", toolkit).group(1))
    assert clients["stranger"].post(f"/my/templates/{kept_id}/remove", data={
        "csrf_token": csrf_token(clients["stranger"], "/")}).status_code == 404
    assert client.post(f"/my/templates/{kept_id}/remove",
                       data={"csrf_token": token}).status_code == 303
    assert "Welcome, {name}" not in client.get("/my/templates").get_data(as_text=True)


def test_review_times_are_the_raw_figures(crew, app):
    _ids, clients = crew
    Writer(clients["mentee"]).hand_in(WELCOME)
    version_id = _version_id(app)
    with unit_of_work(app):
        version = db.session.get(SubmissionVersion, version_id)
        version.submitted_at = utcnow() - timedelta(hours=6)
        db.session.commit()
    review_form(clients["trainer"], version_id, "approved", {"personal": 2, "rules": 2})
    with unit_of_work(app):
        [row] = assignments.review_times()
        assert row["decision"] == "approved" and 5.9 < row["hours"] < 6.1


def test_the_demo_mentor_has_the_demo_learners_welcome_message_to_review(app, make_user):
    from pathlib import Path

    from app.accounts.models import User
    from app.authoring.services import import_curriculum
    from app.referrals import services as tree
    from app.setup import DEMO_HAND_IN, _demo_hand_in

    shipped = Path(__file__).parents[2] / "courses" / "group-building"
    mentor_id = make_user("mentor@example.com", name="陈姐")
    learner_id = make_user("learner@example.com")
    with unit_of_work(app):
        import_curriculum(shipped)
        tree.reassign_mentor(learner_id, mentor_id, "demo", None)
        db.session.commit()
    set_tier(app, mentor_id, "mentor")
    with unit_of_work(app):
        _demo_hand_in(db.session.get(User, learner_id))
        version = db.session.scalar(select(SubmissionVersion))
        assert version.text == DEMO_HAND_IN and version.reviewer_id == mentor_id
        mentor = db.session.get(User, mentor_id)
        assert [row.version.id for row in assignments.waiting_for_mentor(mentor.id)] == [version.id]


def test_nobody_reviews_her_own_work_whatever_her_role(crew, app):
    """A trainer's and an admin's own hand-ins go to the others: never to their own queue,
    and a review posted of their own work is refused like any not theirs to review."""
    ids, clients = crew
    for author, other in (("trainer", "admin"), ("admin", "trainer")):
        Writer(clients[author]).hand_in(WELCOME + f" ({author})")
        version_id = _version_id(app)
        assert f"/reviews/{version_id}" not in clients[author].get("/reviews").get_data(
            as_text=True)
        assert clients[author].get(f"/reviews/{version_id}").status_code == 404
        own = review_form(clients[author], version_id, "approved", {"personal": 2, "rules": 2})
        assert own.status_code == 404
        assert f"/reviews/{version_id}" in clients[other].get("/reviews").get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(SubmissionReview)) == 0


def test_work_she_has_begun_stays_open_when_the_module_locks_again(crew, app, epsilon):
    """A trainer adds a lesson before the assignment's module: the module is locked again
    for her, but the revision she was asked for is not shut out (starting new work is)."""
    from app.authoring.services import import_curriculum

    ids, clients = crew
    # The assignment moves to the second module, behind the first one's lesson.
    second = epsilon / "02-after"
    for language in ("en", "zh"):
        source = epsilon / "01-welcome" / f"assignment-welcome.{language}.md"
        (second / source.name).write_text(source.read_text(encoding="utf-8").replace(
            "lesson: greet", "lesson: more"), encoding="utf-8")
        source.unlink()
    for folder, requires in (("01-welcome", ""), ("02-after", "requires: [assignment-welcome]\n")):
        module = epsilon / folder / "module.md"
        text = module.read_text(encoding="utf-8").replace("requires: [assignment-welcome]\n", "")
        module.write_text(text.replace("---\n", "---\n" + requires, 1) if requires else text,
                          encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(epsilon)
    page = "/courses/epsilon/after/assignment/welcome"
    learner = clients["mentee"]
    assert learner.get(page).status_code == 403  # not reached yet
    token = csrf_token(learner, "/courses/epsilon/greet")
    assert learner.post("/courses/epsilon/greet/read", data={"csrf_token": token}).status_code == 303
    token = csrf_token(learner, page)
    assert learner.post(page, data={"csrf_token": token, "text": WELCOME,
                                    "action": "submit"}).status_code == 303
    version_id = _version_id(app)
    assert review_form(clients["trainer"], version_id, "revise", {"personal": 0, "rules": 2},
                       "Say her name.").status_code == 303
    for language in ("en", "zh"):  # a new lesson before it: the second module locks again
        (epsilon / "01-welcome" / f"02-new.{language}.md").write_text(
            "---\ntitle: New\nminutes: 3\n---\n" + "A new lesson. " * 40 + "\n", encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(epsilon)
    assert clients["stranger"].get(page).status_code == 403  # nobody starts behind the lock
    assert learner.get(page).status_code == 200
    token = csrf_token(learner, page)
    assert learner.post(page, data={"csrf_token": token, "text": WELCOME + " Mei!",
                                    "action": "submit"}).status_code == 303
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == 2


def test_the_limit_counts_characters_as_the_server_does(crew, app):
    """No maxlength on the box: the browser would count an emoji as two and stop her at half
    the limit. The server counts characters (an emoji is one) and says so when she is over."""
    ids, clients = crew
    page = Writer(clients["mentee"]).page()
    box = re.search(r"<textarea[^>]*>", page).group(0)
    assert "maxlength" not in box and 'data-max-chars="300"' in box
    writer = Writer(clients["mentee"])
    assert writer.post("😀" * 300, json=True).get_json()["chars"] == 300
    over = writer.post("😀" * 301)
    assert over.status_code == 413 and "301" in over.get_data(as_text=True)


def test_a_photo_too_big_says_the_limit_and_leads_back(crew, app, monkeypatch):
    """A photo straight from a phone camera is over the limit before anything reads it: the
    page names the limit and leads back to her work, not only to the start. (The limit is
    lowered for the test: a body over Werkzeug's 500 KB would be spooled to a file.)"""
    import io

    ids, clients = crew
    writer = Writer(clients["mentee"])
    writer.post("A draft.")
    submission_id = writer.submission_id()
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", 200 * 1024)
    token = csrf_token(clients["mentee"], PAGE)
    big = clients["mentee"].post(f"/submissions/{submission_id}/images", data={
        "csrf_token": token, "image": (io.BytesIO(b"\xff" * (400 * 1024)), "IMG_0001.jpg")},
        content_type="multipart/form-data")
    page = big.get_data(as_text=True)
    assert big.status_code == 413 and "larger than 0.2 MB" in page
    assert f'href="/submissions/{submission_id}"' in page and "Back to the page" in page
