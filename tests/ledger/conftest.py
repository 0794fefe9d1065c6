"""Ledger data builders: people in a small tree and events at chosen times, written directly."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.extensions import db
from tests import factories

# 2026-11-10 02:00 UTC is 10:00 in Shanghai (the default TIMEZONE).
T0 = datetime(2026, 11, 10, 2, 0, 0)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# The builders over the imported test curriculum (ids by name: "gamma", "gamma/intro").
World = factories.Curriculum


@pytest.fixture
def world(app, imported):
    """Builders inside an app context. Call `world.done()` before requests: a request made
    while the test holds an app context would share its `g` (signed-in user, language)."""
    context = app.app_context()
    context.push()
    built = World()

    def done():
        db.session.commit()
        db.session.remove()
        context.pop()
        built.done = lambda: None

    built.done = done
    yield built
    if built.done is done:
        db.session.rollback()
        context.pop()


@pytest.fixture
def admin_client(app):
    return factories.signed_in_client(app, "admin@example.com", role="admin", name="管理员",
                                      locale="en")
