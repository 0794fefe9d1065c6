"""The statistics refresh on a real Celery worker (Redis): the task celery beat sends every
STATISTICS_REFRESH_MINUTES rebuilds the roll-ups, big teams' cubes included."""
import pytest
from werkzeug.datastructures import MultiDict

from app.transactions import unit_of_work
from app.extensions import db
from app.statistics.services.dashboard import dashboard, last_refresh, live_dashboard
from app.statistics.services.filters import parse_filters
from app.statistics.models import Team
from tests.certificates.test_worker import REDIS_URL, _redis_answers, broker_app, start_worker  # noqa: F401
from tests.engines import wait_for

pytestmark = pytest.mark.skipif(not _redis_answers(), reason=f"Redis does not answer at {REDIS_URL}")


def test_a_real_worker_refreshes_the_statistics(app, world, broker_app, start_worker, monkeypatch):  # noqa: F811 (the fixtures imported above)
    from app.statistics.tasks import REFRESH_TASK, refresh_statistics_task

    schedule = broker_app.extensions["celery"].conf.beat_schedule["statistics-refresh"]
    assert schedule["task"] == REFRESH_TASK and schedule["schedule"].total_seconds() == 15 * 60
    monkeypatch.setenv("STATISTICS_TEAM_MINIMUM", "2")  # M's team (L1, L2) is big for the worker
    start_worker("statistics")
    with broker_app.app_context():
        refresh_statistics_task.delay()

    def refreshed():
        with unit_of_work(app):
            try:
                return last_refresh() is not None
            finally:
                db.session.rollback()

    wait_for(refreshed, 90, "the refresh")
    with app.test_request_context():
        team = db.session.get(Team, world.users["M"])
        assert team is not None and team.members == 2
        chosen, errors = parse_filters(MultiDict({
            "mentor": "CODEM", "start": world.day(0).isoformat(),
            "end": world.day(20).isoformat()}))
        assert errors == []
        data = dashboard(chosen)
        assert data["source"] == "rollup"
        live = live_dashboard(chosen)
        for key in ("tiers", "courses", "certificates_per_week", "active_per_day"):
            assert data[key] == live[key], key
