"""Two reviewers save a review of one version at once (a mentor and an admin, two phones):
exactly one review is recorded, the other is told it was already reviewed. Two first saves
of her draft at once (two devices): one open submission. On SQLite and, with
TEST_DATABASE_URL, PostgreSQL."""
import threading

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.domain_errors import DomainError
from app.extensions import db
from app.practice import assignments
from app.practice.models import Assignment, Submission, SubmissionReview, SubmissionVersion
from app.transactions import unit_of_work
from tests.practice.assignment_helpers import Writer

pytestmark = pytest.mark.real_db  # threads racing on real connections


def _race(app, work, count=2):
    barrier, results, errors = threading.Barrier(count), [], []

    def run(index):
        try:
            barrier.wait()
            with unit_of_work(app):
                try:
                    results.append(work(index))
                    db.session.commit()
                except DomainError as error:
                    results.append(error.code)
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_reviews_at_once_record_one(crew, app):
    ids, clients = crew
    Writer(clients["mentee"]).hand_in("Welcome, Mei! The rules are pinned above.")
    with unit_of_work(app):
        version_id = db.session.scalar(select(SubmissionVersion.id))
    reviewers = [ids["trainer"], ids["admin"]]

    def review(index):
        reviewer = db.session.get(User, reviewers[index])
        decision = ("approved", "revise")[index]
        return assignments.record_review(reviewer, version_id, decision,
                                         {"personal": 2, "rules": 2}, "from %s" % index).decision

    outcomes = _race(app, review)
    assert len([o for o in outcomes if o == "already_reviewed"]) == 1, outcomes
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(SubmissionReview)) == 1
        review_row = db.session.scalar(select(SubmissionReview))
        state = db.session.scalar(select(Submission.state))
        assert state == ("approved" if review_row.decision == "approved" else "draft")
        assert db.session.get(SubmissionVersion, version_id).reviewed is True


def test_two_first_saves_at_once_make_one_open_submission(crew, app):
    ids, _clients = crew
    with unit_of_work(app):
        assignment_id = db.session.scalar(select(Assignment.id))

    def save(index):
        user = db.session.get(User, ids["mentee"])
        return assignments.save_draft(user, db.session.get(Assignment, assignment_id),
                                      f"device {index}").id

    submission_ids = _race(app, save)
    assert submission_ids[0] == submission_ids[1]
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_the_database_refuses_a_second_open_submission(crew, app):
    ids, _clients = crew
    from sqlalchemy.exc import IntegrityError

    with unit_of_work(app):
        item = db.session.scalar(select(Assignment))
        version = item.current_version
        db.session.add(Submission(user_id=ids["mentee"], assignment_id=item.id,
                                  version_id=version.id, number=1, state="draft"))
        db.session.flush()
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Submission(user_id=ids["mentee"], assignment_id=item.id,
                                      version_id=version.id, number=2, state="waiting"))
        # An approved one beside the open one is allowed: the index covers open work only.
        with db.session.begin_nested():
            db.session.add(Submission(user_id=ids["mentee"], assignment_id=item.id,
                                      version_id=version.id, number=3, state="approved"))
