"""The ledger on a hand-made story whose rows are worked out here, each filter, keyset pages."""
from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.domain_errors import DomainError
from app.extensions import db
from tests.ledger.conftest import DAY, HOUR, T0

# The story. Ann mentors Bo, Bo mentors Cai; Dee has no mentor.
#   T0 (10:00 Shanghai, 10 Nov)  Bo reads alpha/first and alpha/second, Cai reads gamma/intro,
#                                Cai's gamma/start attempt 5/6 passed — four events, one time
#   T0+1h  Bo's gamma/start attempt 1: 2/6, not passed
#   T0+2h  Bo's gamma/start attempt 2: 6/6, passed
#   T0+3h  Bo's gamma certificate issued
#   T0+14.5h (00:30 on 11 Nov in Shanghai)  Dee reads alpha/second
#   T0+1d  Bo's gamma certificate revoked
#   T0+2d  Dee reads alpha/first
#   T0+5d  Ann's alpha certificate issued


@pytest.fixture
def story(world):
    w = world
    ann = w.person("安娜", phone="+8613900000001", tier="mentor")
    bo = w.person("博文", phone="+8613900000002", email="bo@example.com", mentor=ann, tier="certified")
    cai = w.person("蔡琳", email="cai@example.com", mentor=bo)
    dee = w.person("邓杰", email="dee@example.org")
    w.read(bo, "alpha/first", T0)
    w.read(bo, "alpha/second", T0)
    w.read(cai, "gamma/intro", T0)
    w.attempt(cai, "gamma/start", T0, 5, 6, True)
    w.attempt(bo, "gamma/start", T0 + HOUR, 2, 6, False)
    w.attempt(bo, "gamma/start", T0 + 2 * HOUR, 6, 6, True)
    w.certificate(bo, "gamma", T0 + 3 * HOUR, revoked=T0 + DAY)
    w.read(dee, "alpha/second", T0 + timedelta(hours=14, minutes=30))
    w.read(dee, "alpha/first", T0 + 2 * DAY)
    w.certificate(ann, "alpha", T0 + 5 * DAY)
    db.session.commit()
    return {"ann": ann, "bo": bo, "cai": cai, "dee": dee, "world": w}


# Every event, newest first. At T0 the quiz attempt comes before the lesson reads (kinds rank
# certificate > quiz > lesson at equal times), then the reads by user number and lesson number,
# both descending: Cai (made after Bo), then Bo's alpha/second, then alpha/first.
ALL = [
    ("certificate_issued", "安娜", "alpha"),
    ("lesson", "邓杰", "alpha/first"),
    ("certificate_revoked", "博文", "gamma"),
    ("lesson", "邓杰", "alpha/second"),
    ("certificate_issued", "博文", "gamma"),
    ("quiz", "博文", "gamma/start#2"),
    ("quiz", "博文", "gamma/start#1"),
    ("quiz", "蔡琳", "gamma/start#1"),
    ("lesson", "蔡琳", "gamma/intro"),
    ("lesson", "博文", "alpha/second"),
    ("lesson", "博文", "alpha/first"),
]


def _label(entry, world) -> tuple:
    if entry.kind == "lesson":
        item = next(k for k, v in world.lesson.items() if v == entry.item_id)
    elif entry.kind == "quiz":
        course = next(k for k, v in world.course.items() if v == entry.course_id)
        item = f"{course}/{'start' if entry.item_id == min(_modules(world)) else 'next'}#{entry.number}"
    else:
        item = next(k for k, v in world.course.items() if v == entry.course_id)
    return entry.kind, entry.name, item


def _modules(world):
    from app.quizzes.models import Quiz

    return [db.session.get(Quiz, qid).module_id for qid, _ in world.quiz.values()]


def rows(story, **args):
    from app.ledger import services

    args = MultiDict([(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])])
    filters, _form = services.parse_filters(args)
    entries, cursor = services.ledger_page(filters, size=100)
    assert cursor is None
    return [_label(e, story["world"]) for e in entries]


def test_the_whole_ledger_in_order(story):
    assert rows(story) == ALL


def test_quiz_rows_carry_score_percent_and_result(story):
    from app.ledger import services

    filters, _ = services.parse_filters(MultiDict([("kind", "quiz")]))
    entries, _ = services.ledger_page(filters)
    assert [(e.score, e.max_score, round(e.percent), e.passed) for e in entries] == [
        (6, 6, 100, True), (2, 6, 33, False), (5, 6, 83, True)]
    assert [e.at for e in entries] == [T0 + 2 * HOUR, T0 + HOUR, T0]


def test_date_range_uses_local_days(story):
    # 10 Nov in Shanghai: 16:00 UTC on the 9th to 16:00 UTC on the 10th. Dee's read at 16:30
    # UTC on the 10th is already the 11th there.
    day = rows(story, start="2026-11-10", end="2026-11-10")
    assert day == ALL[4:]
    assert rows(story, start="2026-11-11", end="2026-11-11") == [ALL[2], ALL[3]]
    assert rows(story, start="2026-11-12") == ALL[:2]
    assert rows(story, end="2026-11-09") == []


def test_course_filter(story):
    assert rows(story, course="gamma") == [r for r in ALL if r[2].startswith("gamma")]
    assert rows(story, course="beta") == []


def test_kind_filter(story):
    assert rows(story, kind="quiz") == ALL[5:8]
    assert rows(story, kind=["certificate_issued", "certificate_revoked"]) == [ALL[0], ALL[2], ALL[4]]
    assert rows(story, kind="lesson") == [r for r in ALL if r[0] == "lesson"]


@pytest.mark.parametrize("query, who", [
    ("博", {"博文"}), ("博文", {"博文"}), ("文", set()),  # a prefix of the name, not a substring
    ("139 0000 0002", {"博文"}), ("1390000000", {"安娜", "博文"}), ("+86139000000", {"安娜", "博文"}),
    ("bo@", {"博文"}), ("BO@EXAMPLE.COM", {"博文"}), ("dee@example.org", {"邓杰"}),
])
def test_learner_filter(story, query, who):
    assert {r[1] for r in rows(story, learner=query)} == who


def test_learner_filter_by_invite_code_and_number(story):
    from app.referrals.models import TreeNode

    code = db.session.get(TreeNode, story["cai"]).invite_code
    assert {r[1] for r in rows(story, learner=code.lower())} == {"蔡琳"}
    assert {r[1] for r in rows(story, learner=f"#{story['dee']}")} == {"邓杰"}


def test_mentor_subtree_filter_is_the_team_below(story):
    from app.referrals.models import TreeNode

    ann_code = db.session.get(TreeNode, story["ann"]).invite_code
    assert rows(story, mentor=ann_code) == [r for r in ALL if r[1] in ("博文", "蔡琳")]
    assert rows(story, mentor=str(story["bo"])) == [r for r in ALL if r[1] == "蔡琳"]
    assert rows(story, mentor=str(story["dee"])) == []


def test_tier_filter(story):
    assert rows(story, tier="certified") == [r for r in ALL if r[1] == "博文"]
    assert rows(story, tier="mentor") == [ALL[0]]


def test_filters_combine(story):
    assert rows(story, course="gamma", kind="lesson", mentor=str(story["ann"])) == [ALL[8]]


@pytest.mark.parametrize("args, code", [
    ({"start": "10/11/2026"}, "bad_date"), ({"start": "2026-11-12", "end": "2026-11-10"}, "dates_reversed"),
    ({"kind": "payment"}, "bad_kind"), ({"course": "nope"}, "unknown_course"),
    ({"mentor": "ZZZZZZZZ"}, "unknown_mentor"), ({"mentor": "99999999999"}, "unknown_mentor"), ({"tier": "emperor"}, "unknown_tier"),
])
def test_bad_filters_are_refused(story, args, code):
    from app.ledger import services

    with pytest.raises(DomainError) as error:
        services.parse_filters(MultiDict(args))
    assert error.value.code == code


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 10, 11])
def test_pages_cover_everything_once(story, size):
    from app.ledger import services

    filters, _ = services.parse_filters(MultiDict())
    seen, cursor, pages = [], None, 0
    while True:
        entries, cursor = services.ledger_page(filters, cursor, size)
        assert len(entries) <= size
        seen += [_label(e, story["world"]) for e in entries]
        pages += 1
        if cursor is None:
            break
        cursor = services.Cursor.decode(cursor.encode())  # as it travels in the link
    assert seen == ALL
    assert pages == -(-len(ALL) // size) or (len(ALL) % size == 0 and pages == len(ALL) // size + 1)


def test_pages_are_stable_when_many_timestamps_tie(world):
    """Hundreds of events on three instants, in random order: pages of every size agree."""
    from app.ledger import services

    rng = random.Random(7)
    people = [world.person(f"学员{i:02d}") for i in range(12)]
    instants = [T0, T0 + HOUR, T0 + 2 * HOUR]
    for person in people:
        for lesson in world.lesson:
            world.read(person, lesson, rng.choice(instants))
        for _ in range(rng.randint(1, 3)):
            world.attempt(person, "gamma/start", rng.choice(instants), 3, 6, False)
        world.certificate(person, "gamma", rng.choice(instants),
                          revoked=rng.choice([None, rng.choice(instants)]))
    db.session.commit()
    filters, _ = services.parse_filters(MultiDict())
    everything, cursor = services.ledger_page(filters, size=10_000)
    assert cursor is None
    keys = [(e.at, services.KINDS[e.kind], e.user_id, e.item_id, e.number) for e in everything]
    assert len(set(keys)) == len(keys) > 100
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    for size in (1, 7, 50):
        walked, cursor = [], None
        while True:
            entries, cursor = services.ledger_page(filters, cursor, size)
            walked += entries
            if cursor is None:
                break
        assert walked == everything, size


def test_page_and_links_through_http(admin_client, story):
    story["world"].done()
    page = admin_client.get("/admin/ledger?size=4&course=gamma")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "博文" in html and "安娜" not in html
    assert "2 of 6 (33%)" in html
    next_link = re.search(r'href="([^"]+)" rel="next"|rel="next" href="([^"]+)"', html)
    url = (next_link.group(1) or next_link.group(2)).replace("&amp;", "&")
    assert "course=gamma" in url and "after=" in url
    second = admin_client.get(url).get_data(as_text=True)
    assert "蔡琳" in second and 'rel="next"' not in second


def test_bad_input_gets_a_400_with_the_reason(admin_client, story):
    story["world"].done()
    response = admin_client.get("/admin/ledger?start=yesterday")
    assert response.status_code == 400
    assert "year-month-day" in response.get_data(as_text=True)
    assert admin_client.get("/admin/ledger?after=garbage").status_code == 400
    assert admin_client.get("/admin/ledger.csv?course=nope").status_code == 400


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_the_filtered_rows_in_the_users_language(admin_client, story):
    story["world"].done()
    response = admin_client.get("/admin/ledger.csv?kind=quiz")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = _csv(response)
    assert table[0][:4] == ["Time (Asia/Shanghai)", "Event", "User number", "Name"]
    assert [(r[1], r[3], r[7], r[8], r[9], r[10], r[11]) for r in table[1:]] == [
        ("Quiz attempt", "博文", "2", "6", "6", "100", "passed"),
        ("Quiz attempt", "博文", "1", "2", "6", "33.3333", "not passed"),
        ("Quiz attempt", "蔡琳", "1", "5", "6", "83.3333", "passed")]
    assert table[1][0] == "2026-11-10 12:00:00"  # 04:00 UTC shown in Shanghai time


def test_csv_headers_in_chinese(admin_client, story):
    from sqlalchemy import update

    from app.accounts.models import User

    db.session.execute(update(User).where(User.email == "admin@example.com").values(locale="zh"))
    story["world"].done()
    table = _csv(admin_client.get("/admin/ledger.csv?kind=certificate_revoked"))
    assert table[0][1] == "事件"
    assert table[1][1] == "证书被撤销" and table[1][3] == "博文"


def test_csv_cells_cannot_become_formulas(admin_client, world):
    from app.ledger.services import safe_cell

    for name in ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        person = world.person(name, email=f"{len(name)}{ord(name[0])}@example.com")
        world.read(person, "alpha/first", T0)
    world.done()
    names = {r[3] for r in _csv(admin_client.get("/admin/ledger.csv"))[1:]}
    assert names == {"'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"}
    assert safe_cell("安娜") == "安娜" and safe_cell(12) == "12" and safe_cell(None) == ""
