"""One commit per unit of work: requests, tasks and commands own the transaction, services
only flush (app/transactions.py). Each boundary is driven through its public surface."""
import ast
from pathlib import Path

import click
import pytest
from celery import shared_task
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import transactions
from app.extensions import db
from app.notifications.models import Notification
from app.transactions import commit_each_command, unit_of_work

APP = Path(__file__).parent.parent / "app"
# Commits, rollbacks and units of work as the database sees them: not inside a test's
# rolled-back transaction, and on an app of its own (the tests add routes and commands).
pytestmark = pytest.mark.real_db


def notifications(app) -> int:
    with unit_of_work(app):
        return db.session.scalar(select(func.count()).select_from(Notification))


def _write(user_id: int, kind: str = "test") -> None:
    db.session.add(Notification(user_id=user_id, kind=kind, payload={}))
    db.session.flush()


@pytest.fixture
def person(make_user):
    return make_user()


@pytest.fixture
def routes(app, person):
    """Views that write, then return or fail half-way."""
    app.config["WTF_CSRF_ENABLED"] = False

    def writes():
        _write(person)
        return "ok"

    def writes_then_fails():
        _write(person)
        raise RuntimeError("half-way")

    def writes_then_aborts():
        _write(person)
        from flask import abort

        abort(409)

    app.add_url_rule("/_t/writes", "t_writes", writes, methods=["POST"])
    app.add_url_rule("/_t/fails", "t_fails", writes_then_fails, methods=["POST"])
    app.add_url_rule("/_t/aborts", "t_aborts", writes_then_aborts, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


def test_a_view_that_returns_is_committed_once_and_a_page_never(app, routes):
    from sqlalchemy import event

    with unit_of_work(app):
        engine = db.engine
    commits = []

    def count(_connection):
        commits.append(1)

    event.listen(engine, "commit", count)
    try:
        assert routes.post("/_t/writes").status_code == 200
        assert len(commits) == 1
        assert routes.get("/").status_code == 200
        assert len(commits) == 1  # a GET reads and ends without a commit
    finally:
        event.remove(engine, "commit", count)
    assert notifications(app) == 1


@pytest.mark.parametrize("url, status", [("/_t/fails", 500), ("/_t/aborts", 409)])
def test_a_view_that_raises_leaves_nothing_half_written(app, routes, url, status):
    assert routes.post(url).status_code == status
    assert notifications(app) == 0


def test_a_task_that_fails_leaves_nothing_and_one_that_ends_commits(app, person):
    @shared_task(name="tests.transactions.write")
    def write(user_id, fail):
        _write(user_id)
        if fail:
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        write(person, True)
    assert notifications(app) == 0
    write(person, False)
    assert notifications(app) == 1


def test_a_command_is_one_unit_of_work(app, person):
    group = AppGroup("t")  # its commands run in an app context, as every group's do

    @group.command("write")
    @click.option("--fail", is_flag=True)
    def write(fail):
        _write(person)
        if fail:
            raise click.ClickException("refused half-way")

    commit_each_command(group)
    commit_each_command(group)  # wrapping twice changes nothing
    app.cli.add_command(group)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["t", "write", "--fail"])
    assert refused.exit_code == 1 and "refused half-way" in refused.output
    assert notifications(app) == 0
    done = runner.invoke(args=["t", "write"])
    assert done.exit_code == 0, done.output
    assert notifications(app) == 1


def test_on_commit_runs_after_the_commit_and_never_after_a_rollback(app, person):
    seen = []
    with unit_of_work(app):
        _write(person)
        transactions.on_commit(lambda: seen.append(notifications(app)))
    assert seen == [1]  # the write was visible to another session when it ran
    with pytest.raises(RuntimeError), unit_of_work(app):
        _write(person)
        transactions.on_commit(seen.append, "never")
        raise RuntimeError
    assert seen == [1] and notifications(app) == 1


# Where commits may be: the boundaries, and the loops that are boundaries of their own.
ALLOWED_COMMITS = {
    "transactions.py": "the boundary itself",
    "outbox/services.py": "the relay claims and stamps each row in a unit of its own",
}


def test_only_the_boundaries_commit():
    """Services flush and views return: a `.commit()` anywhere else is a unit of work cut
    in two (a failure after it leaves half a change behind)."""
    found = []
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP).as_posix()
        if relative in ALLOWED_COMMITS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "commit" and not node.args
                    and ast.unparse(node.func.value) in ("db.session", "session")):
                found.append(f"{relative}:{node.lineno}")
    assert found == [], "commit outside a boundary (use transactions.commit() in a batch): " \
        + ", ".join(found)
