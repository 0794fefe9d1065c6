"""Finished role-plays in the training ledger: who, which scenario, score, passed; in the
page, the CSV and keyset pages like the other sources."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.transactions import unit_of_work
from tests import factories
from tests.practice.conftest import delta, delta_dir  # noqa: F401  (fixtures)

T0 = datetime(2026, 11, 10, 4, 0)  # 12:00 in Shanghai


@pytest.fixture
def plays(app, delta):  # noqa: F811
    """Ann: BAD (0 of 3, 0%) then BEST (6 of 7, 86%, passed); Bo: BEST at the same instant
    as Ann's second; Cai: an open play (never in the ledger)."""
    from app.practice.models import Scenario

    with unit_of_work(app):
        scenario = db.session.execute(select(Scenario).where(Scenario.slug == "price")
                                      ).scalar_one()
        version = scenario.current_version
        ann, bo, cai = (factories.person(n) for n in ("安娜", "博文", "蔡琳"))
        ids = [factories.scenario_play(ann, scenario.id, version.id, version.content, 1, [1], T0),
               factories.scenario_play(ann, scenario.id, version.id, version.content, 2, [0, 0],
                                       T0.replace(hour=6)),
               factories.scenario_play(bo, scenario.id, version.id, version.content, 1, [0, 0],
                                       T0.replace(hour=6)),
               factories.scenario_play(cai, scenario.id, version.id, version.content, 1, [0],
                                       T0, finished=False)]
        db.session.commit()
    return {"ann": ann, "bo": bo, "cai": cai, "plays": ids}


def _admin(app):
    return factories.signed_in_client(app, "boss@example.com", role="admin", locale="en")


def test_finished_plays_are_ledger_events_newest_first(app, plays):
    from app.ledger import services

    with unit_of_work(app):
        filters, _ = services.parse_filters(MultiDict({"kind": "roleplay"}))
        entries, cursor = services.ledger_page(filters)
        # Every kind together still holds them (a certificate-only filter does not).
        everything, _ = services.ledger_page(services.parse_filters(MultiDict())[0])
        only = services.parse_filters(MultiDict({"kind": "certificate_issued"}))[0]
        assert services.ledger_page(only)[0] == []
    # Ann's second and Bo's play tie in time: the higher play id (Bo's, made later) first.
    assert [(e.kind, e.name, e.number, e.score, e.max_score, e.percent, e.passed)
            for e in entries] == [
        ("roleplay", "博文", 1, 6, 7, 86, True), ("roleplay", "安娜", 2, 6, 7, 86, True),
        ("roleplay", "安娜", 1, 0, 3, 0, False)]
    assert cursor is None
    assert sum(e.kind == "roleplay" for e in everything) == 3


@pytest.mark.parametrize("size", [1, 2])
def test_roleplay_pages_cover_every_play_once(app, plays, size):
    from app.ledger import services

    with unit_of_work(app):
        filters, _ = services.parse_filters(MultiDict({"kind": "roleplay"}))
        seen, cursor = [], None
        while True:
            entries, cursor = services.ledger_page(filters, cursor, size)
            seen += [(e.name, e.number) for e in entries]
            if cursor is None:
                break
            cursor = services.Cursor.decode(cursor.encode())
    assert seen == [("博文", 1), ("安娜", 2), ("安娜", 1)]


def test_the_page_and_the_csv_show_scenario_score_and_result(app, plays):
    admin = _admin(app)
    html = admin.get("/admin/ledger", query_string={"kind": "roleplay"}).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Role-play finished" in text and "Cheaper elsewhere play 2" in text
    assert "6 of 7 (86%) · passed" in text and "0 of 3 (0%) · not passed" in text
    assert "蔡琳" not in text  # an open play is not an event yet
    response = admin.get("/admin/ledger.csv", query_string={"kind": "roleplay"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert table[0][6:8] == ["Lesson, quiz, role-play or certificate",
                             "Attempt / play / certificate no."]
    assert [(r[1], r[3], r[4], r[6], r[7], r[8], r[9], r[10], r[11]) for r in table[1:]] == [
        ("Role-play finished", "博文", "delta", "Cheaper elsewhere", "1", "6", "7", "86", "passed"),
        ("Role-play finished", "安娜", "delta", "Cheaper elsewhere", "2", "6", "7", "86", "passed"),
        ("Role-play finished", "安娜", "delta", "Cheaper elsewhere", "1", "0", "3", "0",
         "not passed")]
    assert table[1][0] == "2026-11-10 14:05:00"  # finished 06:05 UTC, shown in Shanghai time
