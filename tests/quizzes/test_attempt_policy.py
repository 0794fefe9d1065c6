"""Attempt policy: waits that grow instead of a lock-out, audited extra attempts, feedback."""
import re
import shutil
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.transactions import unit_of_work
from app.content import ContentError
from app.extensions import db
from app.quizzes.grading import DEFAULT_COOLDOWN, cooldown_after
from app.quizzes.models import Attempt, AttemptGrant
from app.quizzes.parser import SETTINGS_DEFAULTS, parse_quiz_file
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import CANARIES, RIGHT, WRONG, set_quiz_settings

QUESTION = "## Q {#q type=single}\n- [x] yes\n- [ ] no\n"


def test_the_wait_grows_with_each_failure_and_stops_at_a_day():
    minutes = [cooldown_after(n, DEFAULT_COOLDOWN) / timedelta(minutes=1) for n in range(0, 9)]
    assert minutes == [0, 0, 10, 60, 240, 1440, 1440, 1440, 1440]
    assert cooldown_after(3, 15) == timedelta(minutes=15)  # a number: the same wait each time
    assert cooldown_after(1, [5, 30]) == timedelta(minutes=5)
    assert cooldown_after(9, [5, 30]) == timedelta(minutes=30)  # the last value repeats
    assert SETTINGS_DEFAULTS["max_attempts"] is None
    assert SETTINGS_DEFAULTS["reveal"] == "feedback_after_attempt"


@pytest.mark.parametrize("front, expected", [
    ("", DEFAULT_COOLDOWN), ("cooldown_minutes: 0\n", 0), ("cooldown_minutes: [0, 5, 30]\n", [0, 5, 30])])
def test_the_schedule_can_be_set_in_the_quiz_file(front, expected):
    quiz = parse_quiz_file(f"---\n{front}---\n{QUESTION}", "quiz.en.md")
    assert quiz.settings["cooldown_minutes"] == expected


@pytest.mark.parametrize("value", ["[]", "[5, -1]", "[5, x]", "[true]", "-3"])
def test_a_bad_schedule_is_refused_with_its_line(value):
    with pytest.raises(ContentError, match="cooldown_minutes"):
        parse_quiz_file(f"---\npass_mark: 80\ncooldown_minutes: {value}\n---\n{QUESTION}", "quiz.en.md")


def test_a_question_names_the_lessons_to_review():
    quiz = parse_quiz_file("---\n---\n## Q {#q type=single lesson=intro,more}\n- [x] a\n- [ ] b\n", "q.en.md")
    assert quiz.questions[0].lessons == ["intro", "more"]
    with pytest.raises(ContentError, match="lesson="):
        parse_quiz_file("---\n---\n## Q {#q type=single lesson=Not/A/Slug}\n- [x] a\n- [ ] b\n", "q.en.md")


def wait_out(app, hours=25):
    with unit_of_work(app):
        for attempt in db.session.scalars(select(Attempt).where(Attempt.submitted_at.is_not(None))):
            attempt.submitted_at -= timedelta(hours=hours)
        db.session.commit()


def test_the_next_attempt_time_is_shown_and_counts_down(client, quiz_learner, app):
    quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)  # 1st failure: no wait
    result = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG).headers["Location"])
    page = result.get_data(as_text=True)
    # The time stays on the page; the countdown is added beside it, not in its place.
    clock = re.search(r'<time datetime="([^"]+)">([^<]+)</time>\s*<span class="countdown" '
                      r'data-countdown="\1"', page)
    assert clock and "你可以在" in clock.group(2) and "再试一次" in clock.group(2)
    assert "/assets/" in page and "countdown" in page and "<script>" not in page
    refused = quiz_learner.start()
    assert refused.status_code == 409 and "data-countdown" in refused.get_data(as_text=True)
    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client, "/courses")})
    english = client.get("/courses/gamma/start/quiz").get_data(as_text=True)
    assert "You can try again at" in english and 'data-left="That is in %(left)s."' in english


def certify(app, user_id: int, slug: str = "gamma"):
    """The person holds the course's certificate (the row issuing writes)."""
    from app.clock import utcnow
    from app.certificates.models import Certificate
    from app.learning.models import Course

    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        db.session.add(Certificate(code=f"CERT-{user_id}-{slug}", user_id=user_id,
                                   course_id=course.id, generation=1, learner_name="x",
                                   course_title=course.title, issued_at=utcnow()))
        db.session.commit()


@pytest.fixture
def mentored(app, make_user, quiz_learner):
    """The learner's direct mentor is 王姐, certified in gamma; a stranger and a trainer
    without the course exist."""
    from app.accounts.models import User
    from app.referrals import services as tree

    make_user("mentor@example.com", name="王姐")
    make_user("stranger@example.com", name="路人")
    make_user("trainer@example.com", role="trainer", name="培训师")
    with unit_of_work(app):
        users = {u.email: u for u in db.session.scalars(select(User))}
        for user in users.values():
            tree.ensure_node(user)
        tree.reassign_mentor(users["learner@example.com"].id, users["mentor@example.com"].id,
                             "test", None)
        db.session.commit()
        ids = {email: user.id for email, user in users.items()}
    certify(app, ids["mentor@example.com"])
    return ids


def use_every_attempt(app, person):
    for _ in range(3):
        wait_out(app)
        last = person.submit(person.start_attempt_id(), WRONG)
    return last


def signed_in(app, login):
    other = app.test_client()
    Auth(other).login(login)
    return other


def test_a_mentor_gives_another_attempt_once_and_it_is_audited(client, quiz_learner, app, mentored):
    page = client.get(use_every_attempt(app, quiz_learner).headers["Location"]).get_data(as_text=True)
    assert "作答次数已经用完" in page and "王姐" in page
    with unit_of_work(app):
        quiz_id = db.session.scalar(select(Attempt.quiz_id))
    learner_id = mentored["learner@example.com"]
    url = f"/learners/{learner_id}/quizzes/{quiz_id}/grant"
    # Who may not: the learner herself, a stranger, a trainer not given the course.
    for login in ("learner@example.com", "stranger@example.com", "trainer@example.com"):
        other = client if login == "learner@example.com" else signed_in(app, login)
        token = csrf_token(other, "/courses")
        assert other.get(f"/learners/{learner_id}/quizzes").status_code == 404
        assert other.post(url, data={"csrf_token": token, "reason": "x"}).status_code == 404
    mentor = signed_in(app, "mentor@example.com")
    form_page = mentor.get(f"/learners/{learner_id}/quizzes").get_data(as_text=True)
    assert f'action="{url}"' in form_page and 'name="reason"' in form_page
    token = csrf_token(mentor, f"/learners/{learner_id}/quizzes")
    empty = mentor.post(url, data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 400 and "原因" in empty.get_data(as_text=True)
    granted = mentor.post(url, data={"csrf_token": token, "reason": "她复习过了"})
    assert granted.status_code == 303
    again = mentor.post(url, data={"csrf_token": token, "reason": "再给一次"})
    assert again.status_code == 409  # she has an attempt now: nothing to give
    assert "她复习过了" in mentor.get(f"/learners/{learner_id}/quizzes").get_data(as_text=True)
    with unit_of_work(app):
        grant = db.session.scalar(select(AttemptGrant))
        assert (grant.user_id, grant.granted_by_id, grant.after_attempts, grant.reason) == (
            learner_id, mentored["mentor@example.com"], 3, "她复习过了")
        assert db.session.scalar(select(func.count()).select_from(AttemptGrant)) == 1
    assert quiz_learner.start().status_code == 303  # she can try again, at once
    # The database refuses a second grant for the same point in her history.
    with unit_of_work(app):
        db.session.add(AttemptGrant(quiz_id=quiz_id, user_id=learner_id, after_attempts=3,
                                    granted_by_id=mentored["stranger@example.com"], reason="twin"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_mentor_without_the_certificate_gives_no_attempts(client, quiz_learner, app, mentored):
    """A second account signed up as her "mentor" holds no certificate: no grant from it, and
    the result page does not send her there."""
    from app.certificates.models import Certificate

    with unit_of_work(app):
        db.session.execute(Certificate.__table__.delete())
        db.session.commit()
    page = client.get(use_every_attempt(app, quiz_learner).headers["Location"]).get_data(as_text=True)
    assert "作答次数已经用完" in page and "王姐" not in page
    with unit_of_work(app):
        quiz_id = db.session.scalar(select(Attempt.quiz_id))
    learner_id = mentored["learner@example.com"]
    mentor = signed_in(app, "mentor@example.com")
    token = csrf_token(mentor, "/courses")
    assert mentor.post(f"/learners/{learner_id}/quizzes/{quiz_id}/grant",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_a_mentor_gives_at_most_two_attempts_per_quiz(client, quiz_learner, app, mentored):
    use_every_attempt(app, quiz_learner)
    with unit_of_work(app):
        quiz_id = db.session.scalar(select(Attempt.quiz_id))
    learner_id = mentored["learner@example.com"]
    url = f"/learners/{learner_id}/quizzes/{quiz_id}/grant"
    mentor = signed_in(app, "mentor@example.com")
    token = csrf_token(mentor, f"/learners/{learner_id}/quizzes")
    for n in range(2):
        assert mentor.post(url, data={"csrf_token": token, "reason": f"try {n}"}).status_code == 303
        wait_out(app)
        last = quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)
    refused = mentor.post(url, data={"csrf_token": token, "reason": "once more"})
    assert refused.status_code == 409 and "讲师" in refused.get_data(as_text=True)
    assert 'name="reason"' not in mentor.get(f"/learners/{learner_id}/quizzes").get_data(as_text=True)
    result = client.get(last.headers["Location"]).get_data(as_text=True)
    assert "王姐" not in result  # she is sent to a trainer now


def test_the_course_trainer_and_an_admin_may_give_attempts(client, quiz_learner, app, mentored, make_user):
    from tests.authoring.conftest import grant

    use_every_attempt(app, quiz_learner)
    make_user("admin@example.com", role="admin", name="管理员")
    with unit_of_work(app):
        grant(app, "gamma", "trainer@example.com")
        quiz_id = db.session.scalar(select(Attempt.quiz_id))
    learner_id = mentored["learner@example.com"]
    for login in ("trainer@example.com", "admin@example.com"):
        coach = signed_in(app, login)
        token = csrf_token(coach, f"/learners/{learner_id}/quizzes")
        response = coach.post(f"/learners/{learner_id}/quizzes/{quiz_id}/grant",
                              data={"csrf_token": token, "reason": f"by {login}"})
        assert response.status_code == 303
        wait_out(app)
        quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(AttemptGrant)) == 2


class Marks(HTMLParser):
    """Classes and checked/selected states anywhere on the page."""

    def __init__(self):
        super().__init__()
        self.classes, self.states = [], []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "class" and value:
                self.classes += value.split()
            if key in ("checked", "selected"):
                self.states.append((tag, dict(attrs)))


def test_a_failed_attempt_shows_feedback_and_lessons_but_not_the_key(client, quiz_learner, app, imported):
    for locale in ("zh", "en"):  # one question names its lesson, the others fall back to the module's
        path = imported / "gamma" / "01-start" / f"quiz.{locale}.md"
        path.write_text(path.read_text().replace("{#first type=single points=2}",
                                                 "{#first type=single points=2 lesson=intro}"))
    set_quiz_settings(app, imported, "pass_mark: 60\nmax_attempts: 3\nreveal: feedback_after_attempt")
    page = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)
                      .headers["Location"]).get_data(as_text=True)
    assert "这次没有通过" in page
    assert "CANARY-OPTION-FEEDBACK" in page  # the feedback of the option she chose ("Links")
    assert page.count("复习这一课") >= 5 and 'href="/courses/gamma/intro"' in page
    for canary in ("CANARY-QUESTION-FEEDBACK", "CANARY-HABITS", "CANARY-TEXT-ANSWER"):
        assert canary not in page  # question feedback and accepted answers give the key away
    assert "(正确答案)" not in page and "正确顺序" not in page and "参考答案" not in page
    marks = Marks()
    marks.feed(page)
    assert not [c for c in marks.classes if "correct" in c.lower() or "right" in c.lower()]
    assert marks.states == []  # nothing checked or selected, least of all an unchosen right option
    # After passing, the key is shown.
    passed = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
                        .headers["Location"]).get_data(as_text=True)
    assert "CANARY-QUESTION-FEEDBACK" in passed and "(正确答案)" in passed and "正确顺序" in passed


def test_after_pass_still_hides_all_feedback_until_passing(client, quiz_learner):
    page = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)
                      .headers["Location"]).get_data(as_text=True)
    for canary in CANARIES:
        assert canary not in page


def test_the_course_check_refuses_a_lesson_that_does_not_exist(courses_dir):
    from app.authoring.curriculum import CurriculumError, read_curriculum

    gamma = courses_dir / "gamma"
    for name in ("alpha", "beta"):
        shutil.rmtree(courses_dir / name)

    def name_lesson(slug):
        for locale in ("zh", "en"):
            path = gamma / "01-start" / f"quiz.{locale}.md"
            text = re.sub(r"\{#first type=single points=2[^}]*\}", f"{{#first type=single points=2 lesson={slug}}}",
                          path.read_text())
            path.write_text(text)

    name_lesson("intro")
    quiz = read_curriculum(courses_dir)[0].modules[0].quiz
    assert quiz["questions"][0]["lessons"] == ["intro"]
    name_lesson("no-such-lesson")
    with pytest.raises(CurriculumError) as refused:
        read_curriculum(courses_dir)
    assert "lesson=no-such-lesson is not a lesson of this course" in str(refused.value)


def test_a_two_way_question_says_nothing_of_how_it_went_before_the_key(client, quiz_learner,
                                                                       app, imported):
    """With two options (true/false), "not correct" names the right one: before the key is
    shown such a question has no verdict, no points, no option feedback, no review link."""
    set_quiz_settings(app, imported, "pass_mark: 60\nmax_attempts: 3\nreveal: feedback_after_attempt")
    page = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), WRONG)
                      .headers["Location"]).get_data(as_text=True)
    cards = re.findall(r'<li class="card">(.*?)</li>\s*(?=<li class="card">|</ol>)', page, re.S)
    trust = next(card for card in cards if "信任是硬通货" in card)
    assert "正确答案时一起告诉你" in trust
    for leak in ("✓", "✗", "◐", "分", "复习这一课", 'class="feedback"'):
        assert leak not in trust, leak
    first = next(card for card in cards if "先做哪件事" in card)
    assert "✗" in first  # a question with more options still says how it went
    passed = client.get(quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
                        .headers["Location"]).get_data(as_text=True)
    assert "正确答案时一起告诉你" not in passed
