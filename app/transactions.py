"""One transaction per unit of work: the request, the task or the command owns it.

Services only add and flush; the boundary commits once at the end and rolls back when the
work raised (indico's RH.process pattern). So a request that fails half-way leaves nothing
half-written, and a service can be reused inside a larger unit without committing it early.

- Requests: `Portal.dispatch_request` commits after a view that may write returns (a
  view that raises rolls back). GET, HEAD and read-only POSTs end without a commit.
- Celery tasks: background.FlaskTask calls `commit()` after the task's run().
- Commands: `commit_each_command(group)` wraps every `flask <group> ...` command.
- Anything else (a script, a test setting up data): `with unit_of_work(app): ...`.

A long batch (a million demo rows, a recompute over every user) may commit between its
own parts with `commit()`: each part is then the unit. What must start only once the facts
are committed (the outbox's tasks) registers with `after_commit` and runs after each
`commit()`, never inside a transaction that may still roll back.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask import Flask, has_app_context

from .database import request_writes
from .extensions import db

_after_commit: list[Callable[[], None]] = []
_after_rollback: list[Callable[[], None]] = []


def after_commit(function: Callable[[], None]) -> Callable[[], None]:
    """Register `function` to run after every boundary commit (the outbox: start tasks)."""
    if function not in _after_commit:
        _after_commit.append(function)
    return function


def after_rollback(function: Callable[[], None]) -> Callable[[], None]:
    """Register `function` to run after a boundary rollback (the outbox: forget its rows)."""
    if function not in _after_rollback:
        _after_rollback.append(function)
    return function


def on_commit(function: Callable, *args) -> None:
    """Run function(*args) once this unit of work has committed, never if it rolls back
    (a mail about a change must not go out for a change that was not made)."""
    db.session.info.setdefault("on_commit", []).append((function, args))


def commit() -> None:
    """End the unit of work: commit it, then start what it queued to follow."""
    try:
        db.session.commit()
    except BaseException:
        rollback()
        raise
    for function in _after_commit:
        function()
    for function, args in db.session.info.pop("on_commit", []):
        function(*args)


def rollback() -> None:
    """Abandon the unit of work: nothing it wrote (and nothing it queued) remains."""
    db.session.rollback()
    db.session.info.pop("on_commit", None)
    for function in _after_rollback:
        function()


@contextmanager
def unit_of_work(app: Flask) -> Iterator[None]:
    """An app context that is one unit of work, for code outside requests, tasks and commands
    (a script, a test's set-up): committed when the block ends, rolled back if it raises."""
    with app.app_context():
        try:
            yield
        except BaseException:
            rollback()
            raise
        # The session ends with the block: what it loaded keeps its last values (detached),
        # as after a plain app context, instead of expiring into objects nobody can read.
        db.session().expire_on_commit = False
        commit()


class Portal(Flask):
    """The Flask app whose requests are units of work (see the module docstring)."""

    def dispatch_request(self):
        try:
            response = super().dispatch_request()
        except BaseException:
            rollback()
            raise
        if request_writes():
            commit()
        return response


def commit_each_command(group: click.Group) -> click.Group:
    """Make every command of `group` (and of its subgroups) one unit of work."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            commit_each_command(command)
        elif command.callback is not None and not getattr(command.callback, "unit_of_work", False):
            command.callback = _unit_of_work(command.callback)
    return group


def _unit_of_work(callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            result = callback(*args, **kwargs)
        except BaseException:
            if has_app_context():
                rollback()
            raise
        if has_app_context():  # a command that reads only files (courses check) has none
            commit()
        return result

    run.unit_of_work = True
    return run
