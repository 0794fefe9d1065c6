"""Who reviews is data in the tier rules (validated by the loader); the personal-data export
and anonymisation cover submissions, pictures and reviews; the training ledger records
each review."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts import privacy as account_privacy
from app.accounts.models import User
from app.extensions import db
from app.ledger import services as ledger
from app.practice.models import Submission, SubmissionImage, SubmissionReview, SubmissionVersion
from app.referrals.rules import RulesError, parse_rules
from app.transactions import unit_of_work
from tests.practice.assignment_helpers import Writer, png, review_form

DEFAULT = (Path(__file__).parents[2] / "app" / "referrals" / "tier_rules.yml").read_text()


def test_the_rules_file_names_the_tiers_that_review():
    rules = parse_rules(DEFAULT)
    assert [t.key for t in rules.tiers if t.reviews_assignments] == ["mentor", "senior-mentor"]


def test_reviews_assignments_must_be_true_or_false():
    hostile = DEFAULT.replace("    reviews_assignments: true\n", "    reviews_assignments: yes please\n", 1)
    with pytest.raises(RulesError, match="'reviews_assignments' is true or false"):
        parse_rules(hostile)


def test_export_and_anonymise_cover_her_work_pictures_and_reviews(crew, app):
    ids, clients = crew
    writer = Writer(clients["mentee"])
    writer.post("Lin here, call me at 13800138000")
    writer.attach(png())
    writer.hand_in("Welcome from Lin! Rules are pinned. mentee@example.com")
    with unit_of_work(app):
        version_id = db.session.scalar(select(SubmissionVersion.id))
    review_form(clients["trainer"], version_id, "revise", {"personal": 0, "rules": 2},
                "Lin, say the newcomer's name.")
    with unit_of_work(app):
        user = db.session.get(User, ids["mentee"])
        data = account_privacy.personal_data(user)
        [work] = data["assignment_submissions"]
        assert work["course"] == "epsilon" and work["assignment"] == "welcome"
        assert work["versions"][0]["text"].startswith("Welcome from Lin!")
        assert work["versions"][0]["review"]["comment"] == "Lin, say the newcomer's name."
        assert len(work["pictures"]) == 1 and work["pictures"][0]["bytes"] > 0
        trainer = db.session.get(User, ids["trainer"])
        assert account_privacy.personal_data(trainer)["reviews_written"][0]["decision"] == "revise"
        account_privacy.anonymise(user, "request 7", str(user.id), db.session.get(User, ids["admin"]))
        db.session.commit()
    with unit_of_work(app):
        version = db.session.get(SubmissionVersion, version_id)
        assert "Lin" not in version.text and "mentee@example.com" not in version.text
        assert "Lin" not in db.session.scalar(select(SubmissionReview.comment))
        assert "Lin" not in db.session.scalar(select(Submission.text))
        assert db.session.scalar(select(SubmissionImage.data)) == b""
        assert db.session.scalar(select(SubmissionReview.points)) == 2  # the figures stay


def test_the_ledger_records_each_review(crew, app):
    ids, clients = crew
    Writer(clients["mentee"]).hand_in("Welcome, Mei! Rules are pinned.")
    with unit_of_work(app):
        version_id = db.session.scalar(select(SubmissionVersion.id))
    review_form(clients["trainer"], version_id, "approved", {"personal": 2, "rules": 2})
    with unit_of_work(app):
        from werkzeug.datastructures import MultiDict

        filters, _form = ledger.parse_filters(MultiDict())
        entries, _cursor = ledger.ledger_page(filters)
        [entry] = [e for e in entries if e.kind == "assignment_review"]
        assert entry.user_id == ids["mentee"] and entry.passed is True
        assert (entry.score, entry.max_score, entry.percent, entry.number) == (4, 4, 100, 1)
    page = clients["admin"].get("/admin/ledger").get_data(as_text=True)
    assert "Assignment reviewed" in page and "4 of 4 points" in page
    csv = clients["admin"].get("/admin/ledger.csv").get_data(as_text=True)
    assert "Assignment reviewed" in csv


def test_anonymising_empties_what_she_wrote_and_takes_waiting_work_off_the_queues(crew, app):
    """Her own words can hold anything of hers (a WeChat id, a phone number, a street), not
    only the traces the account knows: every draft and version is emptied. Work waiting for
    a review leaves the queues, and its page is gone for the reviewers."""
    ids, clients = crew
    private = "加我微信 wxid_lily88，电话 13912345678，住在漕溪北路88号"
    Writer(clients["mentee"]).hand_in("Welcome! " + private)
    with unit_of_work(app):
        version_id = db.session.scalar(select(SubmissionVersion.id))
    assert f"/reviews/{version_id}" in clients["trainer"].get("/reviews").get_data(as_text=True)
    with unit_of_work(app):
        user = db.session.get(User, ids["mentee"])
        account_privacy.anonymise(user, "request 8", str(user.id), db.session.get(User, ids["admin"]))
        db.session.commit()
    with unit_of_work(app):
        texts = [*db.session.scalars(select(Submission.text)),
                 *db.session.scalars(select(SubmissionVersion.text))]
        assert all("wxid_lily88" not in text and "13912345678" not in text for text in texts)
        assert db.session.scalar(select(Submission.state)) == "draft"
    for reviewer in ("trainer", "admin"):
        assert "wxid" not in clients[reviewer].get("/reviews").get_data(as_text=True)
        assert clients[reviewer].get(f"/reviews/{version_id}").status_code == 404
