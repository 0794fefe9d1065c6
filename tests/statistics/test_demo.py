"""`flask demo generate`: refuses real data, creates a consistent world item analysis can read."""
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.extensions import db


def test_refuses_a_database_with_real_learners(app, imported, runner, make_user):
    make_user("real@example.com")
    result = runner.invoke(args=["demo", "generate", "--learners", "50"])
    assert result.exit_code != 0 and "real learners" in result.output
    with unit_of_work(app):
        from app.accounts.models import User

        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_embedded_defaults_own_demo_learner_is_no_real_learner(app, imported, runner, make_user):
    # The README's recipe on the embedded default: its first start made the demo learner.
    make_user("learner@demo.example.com")
    result = runner.invoke(args=["demo", "generate", "--learners", "20"])
    assert result.exit_code == 0, result.output


def test_needs_a_curriculum(app, runner):
    result = runner.invoke(args=["demo", "generate", "--learners", "5"])
    assert result.exit_code != 0 and "courses import" in result.output


def test_generates_a_consistent_world(app, runner):
    from app.authoring.services import import_curriculum
    from app.config import PROJECT_ROOT

    with unit_of_work(app):
        import_curriculum(PROJECT_ROOT / "courses")
    result = runner.invoke(args=["demo", "generate", "--learners", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with unit_of_work(app):
        from app.certificates.models import Certificate
        from app.learning.models import Enrolment, LessonProgress
        from app.quizzes.models import Attempt, AttemptAnswer, Quiz
        from app.referrals.models import TreeNode
        from app.statistics.services.dashboard import last_refresh
        from app.statistics.services.items import item_analysis

        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(TreeNode) == 400
        assert count(Enrolment) > 300 and count(LessonProgress) > count(Enrolment)
        assert count(Attempt) > 0 and count(AttemptAnswer) > count(Attempt)
        assert 0 < count(Certificate) <= db.session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.completed_at.is_not(None)))
        # Every certificate is for a completed enrolment, issued after completing.
        assert not db.session.scalar(select(func.count()).select_from(Certificate).join(
            Enrolment, (Enrolment.user_id == Certificate.user_id)
            & (Enrolment.course_id == Certificate.course_id)).where(
            Enrolment.completed_at.is_(None) | (Certificate.issued_at < Enrolment.completed_at)))
        # The roll-ups were refreshed; item analysis finds questions to review somewhere.
        assert last_refresh() is not None
        flagged = 0
        for quiz in db.session.scalars(select(Quiz)):
            data, _ = item_analysis(quiz.current_version)
            flagged += sum(1 for item in data["items"] if item["review"])
        assert flagged > 0
    # Demo learners cannot log in, and running again adds more.
    result = runner.invoke(args=["demo", "generate", "--learners", "10", "--no-refresh"])
    assert result.exit_code == 0, result.output
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(TreeNode)) == 410
