"""The quiz's hot paths, counted: the attempt page's queries, the autosave's transaction."""
import pytest

from sqlalchemy import create_engine, event, select, text

from app.extensions import db
from app.quizzes.models import AttemptAnswer
from tests.learning.test_hot_path_queries import PAGE_BUDGET, statements_of

AUTOSAVE_BUDGET = 3


def test_the_attempt_page_stays_within_four_queries(app, client, quiz_learner):
    attempt_id = quiz_learner.start_attempt_id()
    client.get(f"/attempts/{attempt_id}")
    statements = statements_of(app, lambda: client.get(f"/attempts/{attempt_id}"))
    assert len(statements) <= PAGE_BUDGET, "\n".join(statements)


@pytest.mark.real_db  # commits as the database sees them
def test_an_autosave_is_three_statements_and_one_commit(app, client, quiz_learner):
    attempt_id = quiz_learner.start_attempt_id()
    token = quiz_learner.token(attempt_id)
    assert quiz_learner.autosave(attempt_id, "first", "a", token=token).status_code == 200
    commits = []
    with app.app_context():
        engine = db.engine

    def on_commit(_conn):
        commits.append(1)

    shown = quiz_learner.shown(attempt_id, "q-first", "b")
    event.listen(engine, "commit", on_commit)
    try:
        statements = statements_of(app, lambda: quiz_learner.autosave(attempt_id, "first", shown,
                                                                      token=token, raw=True))
    finally:
        event.remove(engine, "commit", on_commit)
    assert len(statements) <= AUTOSAVE_BUDGET, "\n".join(statements)
    assert len(commits) == 1
    assert any("FOR UPDATE" in s for s in statements) or engine.dialect.name == "sqlite"


@pytest.mark.real_db  # commits as the database sees them
def test_a_saved_answer_is_committed_before_the_200(app, client, quiz_learner, database_url):
    attempt_id = quiz_learner.start_attempt_id()
    response = quiz_learner.autosave(attempt_id, "first", "b")
    assert response.status_code == 200 and response.get_json()["saved"] is True
    # Another connection (as after the worker is killed) reads the answer: it was committed.
    with app.app_context():
        url = db.engine.url
    other = create_engine(url)
    try:
        with other.connect() as connection:
            stored = connection.execute(text(
                "SELECT response FROM quiz_answers WHERE attempt_id = :a AND question_id = 'first'"),
                {"a": attempt_id}).scalar_one()
    finally:
        other.dispose()
    assert "b" in str(stored)
    with app.app_context():
        assert db.session.scalar(select(AttemptAnswer.response).where(
            AttemptAnswer.attempt_id == attempt_id)) is not None


def test_a_refused_answer_writes_nothing(app, client, quiz_learner):
    attempt_id = quiz_learner.start_attempt_id()
    response = quiz_learner.autosave(attempt_id, "no-such-question", "a")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(AttemptAnswer.response).where(
            AttemptAnswer.attempt_id == attempt_id)) is None


@pytest.mark.real_db  # commits as the database sees them
def test_submit_commits_once_and_grades(app, client, quiz_learner):
    from tests.quizzes.conftest import RIGHT

    attempt_id = quiz_learner.start_attempt_id()
    token = quiz_learner.token(attempt_id)
    answers = {field: quiz_learner.shown(attempt_id, field, value) for field, value in RIGHT.items()}
    commits = []
    with app.app_context():
        engine = db.engine

    def on_commit(_conn):
        commits.append(1)

    event.listen(engine, "commit", on_commit)
    try:
        response = quiz_learner.submit(attempt_id, answers, token=token, raw=True)
    finally:
        event.remove(engine, "commit", on_commit)
    assert response.status_code == 303
    assert len(commits) == 1
    assert "/result" in response.headers["Location"] or "/certificates" in response.headers["Location"] \
        or "/courses/" in response.headers["Location"]
