"""Attempts through the pages: resume, autosave, idempotent submit, late answers, bad input."""
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.transactions import unit_of_work
from app.extensions import db
from app.learning.models import Enrolment
from app.quizzes.models import Attempt, AttemptAnswer, Quiz
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import (
    CANARIES,
    RIGHT,
    WRONG,
    Learner,
    reader_of_gamma,
    weight_the_quiz,
)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_quiz_is_locked_until_the_lessons_are_read(client, imported, learner):
    assert client.get("/courses/gamma/start/quiz").status_code == 403
    assert Learner(client).start().status_code == 403
    assert "读完本单元所有课程后" in client.get("/courses/gamma/start/quiz").get_data(as_text=True)


def test_reading_the_last_lesson_leads_to_the_quiz(client, imported, learner):
    response = Learner(client).read("gamma", "intro")
    assert response.headers["Location"].endswith("/courses/gamma/start/quiz")


def test_next_module_opens_only_after_passing(client, quiz_learner, app):
    assert client.get("/courses/gamma/more").status_code == 403
    attempt_id = quiz_learner.start_attempt_id()
    quiz_learner.submit(attempt_id, WRONG)
    assert client.get("/courses/gamma/more").status_code == 403
    attempt_id = quiz_learner.start_attempt_id()
    quiz_learner.submit(attempt_id, RIGHT)
    assert client.get("/courses/gamma/more").status_code == 200


def test_attempt_page_shows_progress_and_never_the_key(client, quiz_learner):
    attempt_id = quiz_learner.start_attempt_id()
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/courses/gamma", "/courses/gamma/start/quiz", f"/attempts/{attempt_id}")]
    pages.append(quiz_learner.autosave(attempt_id, "first", "a").get_data(as_text=True))
    pages.append(quiz_learner.autosave(attempt_id, "rate", "CANARY").get_data(as_text=True))
    assert "第 1 题，共 6 题" in pages[2] and "第 6 题，共 6 题" in pages[2]
    for page in pages:
        for canary in CANARIES:
            assert canary not in page
        assert "correct" not in page.lower().replace("incorrect", "")


def test_layout_is_fixed_per_attempt(client, quiz_learner, app):
    attempt_id = quiz_learner.start_attempt_id()
    first = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    again = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    strip = lambda page: re.sub(r'(value|content)="[\w.-]{40,}"', "", page)  # noqa: E731
    assert strip(first) == strip(again)
    assert quiz_learner.start_attempt_id() == attempt_id  # reopening resumes


def test_autosaved_answers_survive_a_lost_connection(client, quiz_learner, app):
    attempt_id = quiz_learner.start_attempt_id()
    assert quiz_learner.autosave(attempt_id, "first", "b").get_json()["saved"] is True
    assert quiz_learner.autosave(attempt_id, "habits", ["", "a", "b"]).status_code == 200
    assert quiz_learner.autosave(attempt_id, "rate", "开单率").status_code == 200
    # The phone goes away; a new session (same learner) opens the quiz again.
    other = app.test_client()
    Auth(other).login("learner@example.com")
    page = other.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'value="{quiz_learner.shown(attempt_id, "q-first", "b")}" checked' in page
    assert 'value="开单率"' in page
    assert "已答 3 / 6 题" in page
    # Submitting the form with nothing else grades the autosaved answers.
    Learner(other).submit(attempt_id, {})
    with unit_of_work(app):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "graded" and attempt.score == 5  # 2 + 2 + 1


def test_submit_without_javascript_grades_and_shows_the_result(client, quiz_learner, app):
    attempt_id = quiz_learner.start_attempt_id()
    response = quiz_learner.submit(attempt_id, RIGHT)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100%" in page and "通过了" in page
    assert "CANARY-QUESTION-FEEDBACK" in page  # revealed after passing


def test_credits_grade_through_the_pages_and_show_only_after_passing(client, quiz_learner, app,
                                                                    imported):
    from app.authoring.services import import_curriculum

    weight_the_quiz(imported)
    with unit_of_work(app):
        import_curriculum(imported)
    # Part answers: 沉默 25% of 2 points, both habits 50% + 50% of 2, 转化率 50%, 61 in
    # 60..70 for 50%: 0.5 + 2 + 1 + 0.5 + 0.5 + 1 = 5.5 of 8 points, over the 60% pass mark.
    answers = dict(RIGHT, **{"q-first": "c", "q-rate": "转化率", "q-percent": "61"})
    attempt_id = quiz_learner.start_attempt_id()
    attempt_page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    questions = re.findall(r"<fieldset.*?</fieldset>", attempt_page, re.DOTALL)
    assert len(questions) == 6 and not any("%" in question for question in questions)
    response = quiz_learner.submit(attempt_id, answers)
    with unit_of_work(app):
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.score, attempt.max_score, attempt.passed) == (5.5, 8, True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "计 -50% 分" in page and "计 25% 分" in page  # each option's credit, now revealed
    assert "部分得分" in page and "转化率 (50%)" in page and "60–70 (50%)" in page


def test_a_failed_weighted_attempt_shows_no_credit(client, quiz_learner, app, imported):
    from app.authoring.services import import_curriculum

    weight_the_quiz(imported)
    with unit_of_work(app):
        import_curriculum(imported)
    attempt_id = quiz_learner.start_attempt_id()
    page = client.get(quiz_learner.submit(attempt_id, WRONG).headers["Location"]).get_data(as_text=True)
    assert "这次没有通过" in page and "计 " not in page and "部分得分" not in page
    assert "-50%" not in page and "25%" not in page


def test_failed_result_hides_the_key_and_says_what_to_review(client, quiz_learner):
    attempt_id = quiz_learner.start_attempt_id()
    page = client.get(quiz_learner.submit(attempt_id, WRONG).headers["Location"]).get_data(as_text=True)
    assert "这次没有通过" in page and "建议复习" in page and "/courses/gamma/intro" in page
    assert "你还有 2 次作答机会" in page
    for canary in CANARIES:
        assert canary not in page


def test_double_submit_and_stale_replay_grade_once(client, quiz_learner, app):
    attempt_id = quiz_learner.start_attempt_id()
    token = quiz_learner.token(attempt_id)
    assert quiz_learner.submit(attempt_id, WRONG, token).status_code == 303
    assert quiz_learner.submit(attempt_id, RIGHT, token).status_code == 303  # the stale page again
    second = quiz_learner.start_attempt_id()
    assert second != attempt_id
    quiz_learner.submit(attempt_id, RIGHT, token)  # replay of attempt 1 while attempt 2 is open
    with unit_of_work(app):
        first = db.session.get(Attempt, attempt_id)
        assert first.passed is False and first.percent < 60
        assert db.session.get(Attempt, second).state == "open"
        assert count(AttemptAnswer, AttemptAnswer.attempt_id == second) == 0


def test_fifty_concurrent_submissions_grade_exactly_once(app, imported, make_user):
    person = reader_of_gamma(app, make_user, "racer@example.com")
    client = person.client
    attempt_id = person.start_attempt_id()
    token = person.token(attempt_id)
    clients = []
    for _ in range(50):
        c = app.test_client()
        c.set_cookie("smallb_session", client.get_cookie("smallb_session").value)
        clients.append(c)

    def submit(c):
        return Learner(c).submit(attempt_id, RIGHT, token).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(submit, clients))
    assert codes == [303] * 50
    with unit_of_work(app):
        assert count(Attempt, Attempt.state == "graded") == 1
        assert db.session.get(Attempt, attempt_id).passed is True
        assert db.session.scalar(select(Enrolment.completed_at)) is None  # module 2 not done


def test_answers_after_the_time_limit_are_kept_but_not_marked(client, quiz_learner, app):
    passed = quiz_learner.start_attempt_id()
    quiz_learner.submit(passed, RIGHT)
    quiz_learner.read("gamma", "more")
    attempt_id = quiz_learner.start_attempt_id(module="next")
    with unit_of_work(app):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=1)
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(
            deadline_at=attempt.started_at - timedelta(minutes=5)))
        db.session.commit()
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "时间到了" in page
    saved = quiz_learner.autosave(attempt_id, "one", "a").get_json()
    assert saved["saved"] is True and saved["late"] is True
    result = client.get(quiz_learner.submit(attempt_id, {"q-one": "a"}).headers["Location"])
    assert "超时后作答" in result.get_data(as_text=True)
    with unit_of_work(app):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.score == 0 and attempt.passed is False and attempt.result["late"]
        answer = db.session.get(AttemptAnswer, (attempt_id, "one"))
        assert answer.response is None and answer.late_response == {"choice": "a"}


def test_cooldown_and_attempt_limit(client, quiz_learner, app):
    quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
    quiz_learner.read("gamma", "more")
    quiz_learner.submit(quiz_learner.start_attempt_id(module="next"), {"q-one": "b"})
    refused = quiz_learner.start(module="next")
    assert refused.status_code == 409 and "再试一次" in refused.get_data(as_text=True)
    wait_out_the_cooldown(app)
    quiz_learner.submit(quiz_learner.start_attempt_id(module="next"), {"q-one": "b"})
    wait_out_the_cooldown(app)
    refused = quiz_learner.start(module="next")
    assert refused.status_code == 409 and "作答次数已经用完" in refused.get_data(as_text=True)


def wait_out_the_cooldown(app):
    with unit_of_work(app):
        for attempt in db.session.scalars(select(Attempt).where(Attempt.submitted_at.is_not(None))):
            attempt.submitted_at -= timedelta(hours=1)
        db.session.commit()


@pytest.mark.parametrize("question, value, code", [
    ("first", "z", 400),              # unknown option id
    ("habits", ["a", "zz"], 400),
    ("nope", "a", 400),               # question not in the attempt
    ("rate", "字" * 501, 400),         # oversized answer
    ("sale", ["a", "b"], 400),        # not one value per step
])
def test_bad_answers_are_refused_and_nothing_is_recorded(quiz_learner, app, question, value, code):
    attempt_id = quiz_learner.start_attempt_id()
    response = quiz_learner.autosave(attempt_id, question, value)
    assert response.status_code == code and response.get_json()["message"]
    submit = quiz_learner.submit(attempt_id, {f"q-{question}": value})
    assert submit.status_code == 400
    with unit_of_work(app):
        assert count(AttemptAnswer) == 0
        assert db.session.get(Attempt, attempt_id).state == "open"


def test_someone_elses_attempt_is_404_and_untouched(client, quiz_learner, app, make_user):
    attempt_id = quiz_learner.start_attempt_id()
    make_user("other@example.com")
    intruder = app.test_client()
    Auth(intruder).login("other@example.com")
    token = csrf_token(intruder, "/courses")
    assert intruder.get(f"/attempts/{attempt_id}").status_code == 404
    assert intruder.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert intruder.post(f"/attempts/{attempt_id}/submit", data=dict(RIGHT, csrf_token=token)).status_code == 404
    assert Learner(intruder).autosave(attempt_id, "first", "b", token=token).status_code == 404
    with unit_of_work(app):
        assert count(AttemptAnswer) == 0 and db.session.get(Attempt, attempt_id).state == "open"


def test_autosave_needs_the_csrf_token(quiz_learner, client):
    attempt_id = quiz_learner.start_attempt_id()
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question_id": "first", "q-first": "b"})
    assert response.status_code == 400


def test_a_quiz_edited_during_an_attempt_keeps_the_started_version(client, quiz_learner, app, imported,
                                                                    make_user):
    from app.authoring.services import import_curriculum

    attempt_id = quiz_learner.start_attempt_id()
    for locale in ("zh", "en"):
        path = imported / "gamma" / "01-start" / f"quiz.{locale}.md"
        path.write_text(path.read_text().replace("- [x] Welcome", "- [ ] Welcome")
                        .replace("- [ ] Silence", "- [x] Silence")
                        .replace("- [x] 欢迎", "- [ ] 欢迎").replace("- [ ] 沉默", "- [x] 沉默"))
    with unit_of_work(app):
        assert import_curriculum(imported)["quiz versions new"] == 1
    quiz_learner.submit(attempt_id, RIGHT)
    with unit_of_work(app):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.percent == 100 and attempt.version.number == 1
        assert db.session.get(Quiz, attempt.quiz_id).current_version.number == 2
    person = reader_of_gamma(app, make_user, "late@example.com")
    later = person.start_attempt_id()
    person.submit(later, RIGHT)
    with unit_of_work(app):
        attempt = db.session.get(Attempt, later)
        assert attempt.version.number == 2 and attempt.result["questions"]["first"]["points"] == 0


def test_course_completion_is_reported_once(client, quiz_learner, app):
    from app.learning.signals import course_completed

    seen = []

    def on_completed(sender, **event):
        seen.append(event)

    course_completed.connect(on_completed)
    try:
        quiz_learner.submit(quiz_learner.start_attempt_id(), RIGHT)
        quiz_learner.read("gamma", "more")
        assert seen == []
        quiz_learner.submit(quiz_learner.start_attempt_id(module="next"), {"q-one": "a"})
        quiz_learner.read("gamma", "more")  # re-reading must not report again
        assert len(seen) == 1 and seen[0]["course_id"]
        with unit_of_work(app):
            assert db.session.scalar(select(Enrolment.completed_at)) is not None
        assert "课程已完成" in client.get("/courses/gamma").get_data(as_text=True)
    finally:
        course_completed.disconnect(on_completed)
