"""The shipped curriculum imports cleanly and meets the bar for content."""
from pathlib import Path

import pytest

from app.transactions import unit_of_work

COURSES = Path(__file__).parents[1] / "courses"
CORE = {"group-building", "product-pitching", "customer-service", "rules-and-integrity"}


@pytest.fixture(scope="module")
def curriculum(shipped_curriculum):
    return {course.slug: course for course in shipped_curriculum}


@pytest.mark.slow
def test_the_four_core_courses_are_shipped(curriculum):
    assert CORE <= set(curriculum)
    for slug in CORE:
        assert curriculum[slug].grants_certificate


@pytest.mark.parametrize("slug", sorted(CORE))
def test_each_course_has_3_modules_of_2_lessons_in_both_languages(curriculum, slug):
    course = curriculum[slug]
    assert set(course.title) == {"zh", "en"} and set(course.summary) == {"zh", "en"}
    assert len(course.modules) >= 3
    for module in course.modules:
        assert set(module.title) == {"zh", "en"}
        assert len(module.lessons) >= 2, module.slug
        for lesson in module.lessons:
            assert set(lesson.texts) == {"zh", "en"}, lesson.slug
            for text in lesson.texts.values():
                assert 3 <= text.minutes <= 8, text.path
                assert len(text.markdown) > 1500, text.path  # a real lesson, not a stub
                assert "lorem" not in text.markdown.lower()


@pytest.mark.slow
def test_the_curriculum_imports_into_the_database(app):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        counts = import_curriculum(COURSES)
    assert counts["courses new"] >= 4 and counts["lessons new"] >= 24


def test_no_shipped_quiz_locks_a_learner_out_for_good(curriculum):
    """Unlimited attempts, waits of at most a day, and feedback after every attempt."""
    from datetime import timedelta

    from app.quizzes.grading import cooldown_after

    quizzes = [(course.slug, module.slug, module.quiz) for course in curriculum.values()
               for module in course.modules if module.quiz]
    assert len(quizzes) >= 18
    for course, module, quiz in quizzes:
        settings = quiz["settings"]
        assert settings["max_attempts"] is None, (course, module)
        assert settings["reveal"] == "feedback_after_attempt", (course, module)
        waits = [cooldown_after(n, settings["cooldown_minutes"]) for n in range(1, 200)]
        assert max(waits) <= timedelta(hours=24), (course, module)


@pytest.mark.slow
def test_a_learner_who_fails_every_shipped_quiz_again_and_again_can_always_try_again(app, make_user):
    """Through the quiz service: after 6 failures in a row (the whole schedule) each quiz opens again within a day."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.clock import utcnow
    from app.authoring.services import import_curriculum
    from app.extensions import db
    from app.quizzes import services
    from app.quizzes.models import Quiz

    make_user("nervous@example.com")
    with unit_of_work(app):
        import_curriculum(COURSES)
        from app.accounts.models import User

        person = db.session.scalar(select(User).where(User.email == "nervous@example.com"))
        quizzes = list(db.session.scalars(select(Quiz).where(Quiz.hidden.is_(False))))
        assert len(quizzes) >= 18
        for quiz in quizzes:
            now = utcnow()
            for _ in range(6):
                attempt = services.start_attempt(person, quiz, now)
                services.submit_attempt(person, attempt.id, {}, now)  # nothing right: 0%
                status = services.quiz_status(person, quiz, now)
                assert not status.passed and status.attempts_left is None
                now = status.next_start_at or now
                assert now - attempt.submitted_at <= timedelta(hours=24)
                assert services.quiz_status(person, quiz, now).can_start


def test_chinese_text_uses_chinese_quotation_marks():
    """Straight ASCII quotes look foreign in Chinese prose (“” and ‘’ are the marks); the
    Markdown and YAML around it keep theirs: admonition titles (!!! tip "小贴士"), inline code,
    a question heading's {…} settings."""
    import re

    cjk = re.compile(r"[\u3400-\u9fff]")
    straight = []
    for path in sorted(COURSES.rglob("*.zh.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if line.startswith("!!! ") or not cjk.search(line):
                continue
            prose = re.sub(r"`[^`]*`|\{[^{}]*\}\s*$", "", line)
            if re.search(r"\"[^\"]*\"|'[^']*[\u3400-\u9fff][^']*'", prose):
                straight.append(f"{path.relative_to(COURSES)}:{number}: {line[:60]}")
    assert straight == []
