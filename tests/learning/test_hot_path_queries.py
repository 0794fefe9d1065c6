"""Queries per learner page, counted: a regression past the budget fails here (issue 17)."""
import pytest
from sqlalchemy import event

from app.extensions import db
from app.transactions import unit_of_work
from tests.conftest import csrf_token

PAGE_BUDGET = 4
_NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


def statements_of(app, send) -> list[str]:
    """The SQL statements one request sends (transaction control left out)."""
    seen = []

    def listen(_conn, _cursor, statement, *_rest):
        if not statement.lstrip().upper().startswith(_NOT_STATEMENTS):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code < 400, response.status_code
    return seen


@pytest.mark.parametrize("url", ["/courses/alpha/first", "/courses/alpha", "/courses", "/"])
def test_learner_pages_stay_within_four_queries(app, client, imported, learner, url):
    token = csrf_token(client, "/courses/alpha/first")
    client.post("/courses/alpha/first/read", data={"csrf_token": token})  # some progress
    client.get(url)  # the first request after a publish fills the process's cache
    statements = statements_of(app, lambda: client.get(url))
    assert len(statements) <= PAGE_BUDGET, "\n".join(statements)


def test_a_lesson_with_a_checklist_reads_its_ticks_in_the_same_budget(app, client, imported,
                                                                     learner):
    for language in ("zh", "en"):
        lesson = imported / "alpha" / "01-basics" / f"01-first.{language}.md"
        lesson.write_text(lesson.read_text(encoding="utf-8")
                          + "\n```checklist\n- circles: 写下四个圈子\n```\n", encoding="utf-8")
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(imported)
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    assert "写下四个圈子" in page and "/checklist/circles" in page
    statements = statements_of(app, lambda: client.get("/courses/alpha/first"))
    assert len(statements) <= PAGE_BUDGET, "\n".join(statements)
    assert any("checklist_ticks" in statement for statement in statements)


def test_the_cost_does_not_grow_with_the_learners_history(app, client, imported, learner):
    client.get("/courses/alpha")
    fresh = len(statements_of(app, lambda: client.get("/courses/alpha")))
    for lesson in ("first", "second", "third"):
        token = csrf_token(client, f"/courses/alpha/{lesson}")
        client.post(f"/courses/alpha/{lesson}/read", data={"csrf_token": token})
    assert len(statements_of(app, lambda: client.get("/courses/alpha"))) == fresh


@pytest.mark.real_db  # commits as the database sees them
def test_mark_as_read_commits_once(app, client, imported, learner):
    token = csrf_token(client, "/courses/alpha/first")
    commits = []

    def on_commit(_conn):
        commits.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", on_commit)
    try:
        response = client.post("/courses/alpha/first/read", data={"csrf_token": token})
    finally:
        event.remove(engine, "commit", on_commit)
    assert response.status_code == 303
    assert len(commits) == 1
