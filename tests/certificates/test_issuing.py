"""Issuing: exactly once, only after completion, with a notification."""
import math
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.certificates.models import Certificate
from app.certificates.services import issue_certificate, new_code
from app.certificates.tasks import issue_certificate_task
from app.extensions import db
from app.learning.models import Course, Enrolment
from app.notifications.models import Notification
from tests.conftest import Auth


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_completing_a_course_issues_the_certificate_and_tells_the_learner(client, certified, app):
    with unit_of_work(app):
        certificate = db.session.execute(select(Certificate)).scalar_one()
        assert certificate.learner_name == "小林" and certificate.generation == 1
        assert certificate.completed_at is not None
        assert count(Notification, Notification.kind == "certificate_issued") == 1
    assert certified in client.get("/certificates").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "证书已经生成" in page and f"/verify/{certified}" in page


def test_no_certificate_without_completion(client, quiz_learner, app):
    with unit_of_work(app):
        user_id = db.session.scalar(select(Enrolment.user_id))
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "gamma"))
        assert issue_certificate(user_id, course_id) is None
    issue_certificate_task.delay(user_id, course_id)  # a task is a unit of its own
    with unit_of_work(app):
        assert count(Certificate) == 0


def test_courses_without_certificates_issue_none(app, imported, make_user):
    user_id = make_user("x@example.com")
    with unit_of_work(app):
        beta = db.session.execute(select(Course).where(Course.slug == "beta")).scalar_one()
        db.session.add(Enrolment(user_id=user_id, course_id=beta.id, completed_at=beta.created_at))
        db.session.commit()
        assert issue_certificate(user_id, beta.id) is None


def _completed(app, make_user, login="racer@example.com"):
    user_id = make_user(login)
    with unit_of_work(app):
        course = db.session.execute(select(Course).where(Course.slug == "gamma")).scalar_one()
        db.session.add(Enrolment(user_id=user_id, course_id=course.id, completed_at=course.created_at))
        db.session.commit()
        return user_id, course.id


def test_fifty_concurrent_triggers_issue_one_certificate(app, imported, make_user):
    user_id, course_id = _completed(app, make_user)

    def trigger(_):
        with unit_of_work(app):
            return issue_certificate_task.apply(args=(user_id, course_id)).result

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = set(pool.map(trigger, range(50)))
    with unit_of_work(app):
        assert count(Certificate) == 1
        assert codes == {db.session.scalar(select(Certificate.code))}
        assert count(Notification) == 1


def test_a_task_delivered_twice_issues_once(app, imported, make_user):
    user_id, course_id = _completed(app, make_user)
    with unit_of_work(app):
        first = issue_certificate_task.apply(args=(user_id, course_id)).result
        second = issue_certificate_task.apply(args=(user_id, course_id)).result
        assert first == second and count(Certificate) == 1 and count(Notification) == 1


def test_codes_are_unique_free_of_look_alikes_and_carry_at_least_128_random_bits():
    codes = [new_code() for _ in range(10_000)]
    assert len(set(codes)) == 10_000
    assert all(re.fullmatch(r"[2-9A-HJKMNP-TW-Z]{28}", code) for code in codes)
    assert not set("".join(codes)) & set("01OILUV")
    letters = Counter("".join(codes))
    total = sum(letters.values())
    per_char = -sum(n / total * math.log2(n / total) for n in letters.values())
    assert len(letters) == 29 and per_char > 4.85  # log2(29) = 4.86 bits a character
    assert per_char * 28 >= 128


def test_a_revoked_certificate_is_never_reissued_automatically(app, certified):
    from app.certificates.services import find_by_code, revoke

    with unit_of_work(app):
        certificate = find_by_code(certified)
        revoke(certificate, "test", None)
        issue_certificate(certificate.user_id, certificate.course_id)
        assert count(Certificate) == 1


def test_learners_see_only_their_own_certificates(app, certified, make_user):
    make_user("other@example.com")
    other = app.test_client()
    Auth(other).login("other@example.com")
    assert certified not in other.get("/certificates").get_data(as_text=True)
