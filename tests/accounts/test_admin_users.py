"""Users administration: search, roles, deactivation, personal-data export, anonymisation."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from app.transactions import unit_of_work
from app.accounts.models import AccountAudit, User
from app.extensions import db
from tests.certificates.conftest import complete_gamma
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import Learner

NAME, PHONE, EMAIL = "薛定谔猫", "+8613712345678", "schrodinger.cat@example.com"


@pytest.fixture
def admin(app, client, make_user):
    make_user("admin@example.com", role="admin", name="管理员", locale="en")
    Auth(client).login("admin@example.com")
    with unit_of_work(app):
        return db.session.scalar(select(User.id).where(User.email == "admin@example.com"))


def _post(client, url: str, **data):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, "/admin/users")))


def _user(app, user_id: int) -> User:
    with unit_of_work(app):
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _people(app, make_user):
    ids = {"ann": make_user("13900000001", name="Ann Lee"), "anna": make_user("anna@example.com", name="Anna Wu"),
           "bo": make_user("13900000002", name="博文"), "bob": make_user("bob@shop.example", name="博士")}
    return ids


def test_search_by_each_key(app, client, admin, make_user):
    ids = _people(app, make_user)
    with unit_of_work(app):
        from app.referrals import services as tree

        bo_code = tree.ensure_node(db.session.get(User, ids["bo"])).invite_code

    def found(query):
        page = client.get("/admin/users", query_string={"q": query})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return {key for key, uid in ids.items() if f'/admin/users/{uid}"' in html}

    assert found("Ann") == {"ann", "anna"}  # a name prefix
    assert found("Anna") == {"anna"}
    assert found("ann") == found("ANN") == {"ann", "anna"}  # whatever the case
    assert found("Lee") == set()  # not a substring search
    assert found("博") == {"bo", "bob"}
    assert found("139 0000 0002") == {"bo"}  # phone prefix, typed as people type it
    assert found("1390000000") == {"ann", "bo"}
    assert found("+86139") == {"ann", "bo"}
    assert found("anna@") == {"anna"}
    assert found("BOB@SHOP.EXAMPLE") == {"bob"}
    assert found(bo_code.lower()) == {"bo"}  # invite code
    assert found(f"#{ids['bob']}") == {"bob"}  # user number
    assert found("nobody-like-this") == set()
    assert found("#99999999999") == set()  # beyond 32-bit ids: no match, not a database error


def test_search_reports_when_there_are_more_results(app, client, admin):
    from app.accounts import administration

    with unit_of_work(app):
        for n in range(5):
            db.session.add(User(display_name=f"同名{n}", email=f"same{n}@example.com", password_hash="!"))
        db.session.commit()
        people, more = administration.search_users("同名", limit=3)
        assert [p.display_name for p in people] == ["同名0", "同名1", "同名2"] and more
        assert administration.search_users("同名", limit=5)[1] is False


def test_role_change_is_audited(app, client, admin, make_user):
    learner = make_user("learner@example.com")
    response = _post(client, f"/admin/users/{learner}/role", role="trainer", reason="writes lessons now")
    assert response.status_code == 303
    assert _user(app, learner).role == "trainer"
    with unit_of_work(app):
        entry = db.session.scalars(select(AccountAudit)).one()
        assert (entry.user_id, entry.actor_id, entry.action, entry.reason) == (
            learner, admin, "role_changed", "writes lessons now")
        assert entry.details == {"from_role": "learner", "to_role": "trainer"}
    page = client.get(f"/admin/users/{learner}").get_data(as_text=True)
    assert "writes lessons now" in page and "Role changed" in page


@pytest.mark.parametrize("data, message", [
    ({"role": "emperor", "reason": "x"}, "Choose one of the roles"),
    ({"role": "trainer", "reason": "  "}, "Please give the reason"),
    ({"role": "learner", "reason": "x"}, "already has that role"),
    ({"role": "trainer", "reason": "x" * 1001}, "at most 1,000 characters"),
])
def test_bad_role_changes_are_refused_with_the_reason(app, client, admin, make_user, data, message):
    learner = make_user("learner@example.com")
    response = _post(client, f"/admin/users/{learner}/role", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _user(app, learner).role == "learner"
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(AccountAudit)) == 0


def test_an_admin_cannot_remove_their_own_admin_role(app, client, admin):
    response = _post(client, f"/admin/users/{admin}/role", role="learner", reason="oops")
    assert response.status_code == 400
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    assert _user(app, admin).role == "admin"


def test_deactivation_ends_every_session_and_reactivation_lets_them_back(app, client, admin, make_user):
    learner = make_user("learner@example.com")
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        Auth(device).login("learner@example.com")
        assert device.get("/account").status_code == 200
    response = _post(client, f"/admin/users/{learner}/status", action="deactivate", reason="asked to pause")
    assert response.status_code == 303
    for device in (phone, laptop):
        assert device.get("/account").status_code == 302  # back to the login page
    assert Auth(app.test_client()).login("learner@example.com").status_code == 401
    assert _post(client, f"/admin/users/{learner}/status", action="deactivate",
                 reason="again").status_code == 400
    assert _post(client, f"/admin/users/{learner}/status", action="reactivate",
                 reason="back").status_code == 303
    assert Auth(app.test_client()).login("learner@example.com").status_code == 302
    with unit_of_work(app):
        assert list(db.session.scalars(select(AccountAudit.action).order_by(AccountAudit.id))) == [
            "deactivated", "reactivated"]


def test_an_admin_cannot_deactivate_themselves(app, client, admin):
    response = _post(client, f"/admin/users/{admin}/status", action="deactivate", reason="x")
    assert response.status_code == 400
    assert "your own account" in response.get_data(as_text=True)
    assert _user(app, admin).active


@pytest.fixture
def person(app, client, imported, make_user):
    """Someone with a full history: mentor, mentee, lessons, attempts, a certificate, a
    reminder they sent, a webhook about them, an admin's note naming them."""
    from app.api.models import WebhookDelivery
    from app.quizzes.models import Attempt, AttemptAnswer, AttemptGrant
    from app.referrals import mentoring
    from app.referrals import services as tree

    mentor = make_user("mentor@example.com", name="导师甲")
    person = make_user(PHONE, name=NAME)
    mentee = make_user("mentee@example.com", name="新人乙")
    own = app.test_client()
    Auth(own).login(PHONE)
    learner = Learner(own)
    learner.read("gamma", "intro")
    complete_gamma(learner)
    learner.read("alpha", "first")
    with unit_of_work(app):
        for uid in (mentor, person, mentee):
            tree.ensure_node(db.session.get(User, uid))
        tree.reassign_mentor(person, mentor, "joined her mentor's group", None)
        tree.reassign_mentor(mentee, person, f"moved under {NAME} ({PHONE})", None)
        user = db.session.get(User, person)
        user.external_id = "shop-778899"
        # She typed her own name and number into a free-text answer.
        attempt = db.session.scalars(select(Attempt).where(Attempt.user_id == person)).first()
        db.session.add(AttemptAnswer(attempt_id=attempt.id, question_id="typed",
                                     response={"text": f"我是{NAME}，加我 {PHONE}"},
                                     saved_at=attempt.started_at))
        mentoring.nudge(user, mentee)
        db.session.add(WebhookDelivery(id="d" * 36, event="tier.changed", status="delivered", payload={
            "user_id": person, "external_id": "shop-778899", "from_tier": "trainee",
            "to_tier": "certified", "reason": "certificate issued"}))
        # Her mentor gave her one more attempt, naming her in the free-text reason.
        db.session.add(AttemptGrant(quiz_id=attempt.quiz_id, user_id=person, granted_by_id=mentor,
                                    after_attempts=1, reason=f"{NAME} was ill on the day"))
        db.session.commit()
    return {"id": person, "mentor": mentor, "mentee": mentee}


def test_personal_data_export(app, client, admin, person):
    response = _post(client, f"/admin/users/{person['id']}/export", reason="PIPL request #12")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["display_name"] == NAME and data["profile"]["phone"] == PHONE
    assert data["profile"]["external_id"] == "shop-778899"
    tree = data["mentor_tree"]
    assert tree["mentor"] == {"id": person["mentor"], "name": "导师甲"}
    assert tree["direct_mentees"] == [{"id": person["mentee"], "name": "新人乙"}]
    assert {e["course"] for e in data["enrolments"]} == {"gamma", "alpha"}
    assert next(e for e in data["enrolments"] if e["course"] == "gamma")["completed_at"]
    assert {(r["course"], r["lesson"]) for r in data["lessons_read"]} == {
        ("gamma", "intro"), ("gamma", "more"), ("alpha", "first")}
    attempts = data["quiz_attempts"]
    assert [(a["module"], a["passed"]) for a in attempts] == [("start", True), ("next", True)]
    assert {a["question"] for a in attempts[1]["answers"]} == {"one"}
    assert [(c["course"], c["name_on_certificate"]) for c in data["certificates"]] == [("gamma", NAME)]
    assert "certificate_issued" in {n["kind"] for n in data["notifications"]}
    assert [m["reason"] for m in data["mentor_changes"]] == ["joined her mentor's group"]
    assert data["shared_with_the_shop"][0]["payload"]["external_id"] == "shop-778899"
    # Where she is signed in, and what was done for her access, are hers to see too.
    assert [s["ended_at"] for s in data["sign_in_sessions"]] == [None]
    assert data["password_resets"] == []
    assert [(g["course"], g["granted_by_id"], g["reason"]) for g in
            data["extra_quiz_attempts_given"]] == [("gamma", person["mentor"], f"{NAME} was ill on the day")]
    with unit_of_work(app):
        entry = db.session.scalars(select(AccountAudit)).one()
        assert (entry.action, entry.reason, entry.actor_id) == ("exported", "PIPL request #12", admin)


def test_export_needs_a_reason(app, client, admin, person):
    response = _post(client, f"/admin/users/{person['id']}/export")
    assert response.status_code == 400
    assert "Please give the reason" in response.get_data(as_text=True)


def _totals() -> dict:
    from app.certificates.models import Certificate
    from app.learning.models import Enrolment, LessonProgress
    from app.quizzes.models import Attempt, AttemptAnswer
    from app.referrals.models import TreeNode

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {"users": count(User), "enrolments": count(Enrolment),
            "completions": count(Enrolment, Enrolment.completed_at.is_not(None)),
            "lessons read": count(LessonProgress), "attempts": count(Attempt),
            "passed": count(Attempt, Attempt.passed.is_(True)), "answers": count(AttemptAnswer),
            "certificates": count(Certificate),
            "valid certificates": count(Certificate, Certificate.revoked_at.is_(None)),
            "tree nodes": count(TreeNode),
            "tiers": sorted(db.session.scalars(select(TreeNode.tier)))}


def _traces() -> list[tuple[str, str, str]]:
    """Every text or JSON cell in the database holding the person's name, phone or email."""
    needles = [NAME, PHONE, PHONE.removeprefix("+86"), EMAIL, "shop-778899"]
    # JSON columns keep non-ASCII text as \\u escapes.
    needles += [json.dumps(n)[1:-1] for n in needles if not n.isascii()]
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (String, Text, JSON)):
                continue
            text = cast(column, Text)
            for needle in needles:
                hits = db.session.scalar(select(func.count()).select_from(table).where(
                    text.contains(needle, autoescape=True)))
                if hits:
                    found.append((table.name, column.name, needle))
    return found


def test_anonymisation_keeps_totals_and_removes_every_trace(app, client, admin, person):
    from app.certificates.models import Certificate
    from app.notifications.models import Notification
    from app.referrals.models import TreeNode

    with unit_of_work(app):
        before = _totals()
        assert {t[0] for t in _traces()} >= {"users", "certificates", "notifications",
                                            "mentor_changes", "webhook_deliveries",
                                            "quiz_answers", "quiz_attempt_grants"}
        code = db.session.get(TreeNode, person["id"]).invite_code
    confirm = client.get(f"/admin/users/{person['id']}/anonymise")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    response = _post(client, f"/admin/users/{person['id']}/anonymise",
                     reason=f"asked by {NAME} by phone {PHONE}", confirmation=str(person["id"]))
    assert response.status_code == 303

    with unit_of_work(app):
        assert _totals() == before
        assert _traces() == []
        user = db.session.get(User, person["id"])
        assert user.anonymised_at and not user.active and user.phone is None
        assert user.display_name == "已匿名 · Anonymised"
        node = db.session.get(TreeNode, person["id"])
        assert node.mentor_id == person["mentor"]  # tiers are compared in the totals
        assert db.session.scalar(select(TreeNode.mentor_id).where(
            TreeNode.user_id == person["mentee"])) == person["id"]
        certificate = db.session.scalars(select(Certificate)).one()
        assert certificate.valid and certificate.learner_name == "已匿名 · Anonymised"
        nudge = db.session.scalars(select(Notification).where(Notification.kind == "nudge")).one()
        # The reminder names its sender (now anonymised) and what kind it was, nothing else.
        assert nudge.payload["mentor"] == "已匿名 · Anonymised"
        assert set(nudge.payload) <= {"mentor", "reminder", "course_title"}
        entry = db.session.scalars(select(AccountAudit).where(AccountAudit.action == "anonymised")).one()
        assert entry.actor_id == admin and NAME not in entry.reason
        certificate_code = certificate.code

    verify = client.get(f"/verify/{certificate_code}").get_data(as_text=True)
    assert "已匿名 · Anonymised" in verify and NAME not in verify
    assert Auth(app.test_client()).login(PHONE).status_code == 401
    assert Auth(app.test_client()).register("new@example.com", invite_code=code).status_code == 400
    again = _post(client, f"/admin/users/{person['id']}/anonymise", reason="again",
                  confirmation=str(person["id"]))
    assert again.status_code == 400 and "was anonymised" in again.get_data(as_text=True)


def test_anonymisation_ends_the_persons_sessions(app, client, admin, make_user):
    learner = make_user("learner@example.com")
    device = app.test_client()
    Auth(device).login("learner@example.com")
    assert _post(client, f"/admin/users/{learner}/anonymise", reason="request",
                 confirmation=str(learner)).status_code == 303
    assert device.get("/account").status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"reason": "request", "confirmation": "999"}, "type the person"),
    ({"reason": "", "confirmation": "{id}"}, "Please give the reason"),
])
def test_anonymisation_needs_reason_and_confirmation(app, client, admin, make_user, data, message):
    learner = make_user("learner@example.com", name="还在这里")
    data = {k: v.format(id=learner) for k, v in data.items()}
    response = _post(client, f"/admin/users/{learner}/anonymise", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _user(app, learner).display_name == "还在这里"


def test_an_admin_cannot_anonymise_themselves(app, client, admin):
    response = _post(client, f"/admin/users/{admin}/anonymise", reason="x", confirmation=str(admin))
    assert response.status_code == 400
    assert _user(app, admin).anonymised_at is None


def test_a_trainers_export_holds_her_authoring_and_what_she_did_for_others(app, client, admin, imported, make_user):
    """What staff did is personal data too: course access, uploads, drafts, publications,
    and actions taken on other people's accounts."""
    from app.authoring.models import CourseGrant, CourseVersion, DraftFile, StagedImport
    from app.learning.models import Course

    trainer = make_user("trainer@example.com", role="trainer", name="王老师")
    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == "gamma"))
        db.session.add_all([
            CourseGrant(course_id=course.id, user_id=trainer, kind="editor", granted_by_id=admin),
            StagedImport(id="s" * 32, course_slug="gamma", user_id=trainer, files={"course.md": "x"}),
            DraftFile(course_id=course.id, path="notes-by-trainer.md", text="x", updated_by_id=trainer),
            CourseVersion(course_id=course.id, number=99, files={}, digest="0" * 64,
                          published_by_id=trainer),
            AccountAudit(user_id=admin, actor_id=trainer, action="role_changed", reason="test")])
        db.session.commit()
    data = json.loads(_post(client, f"/admin/users/{trainer}/export", reason="PIPL").get_data(as_text=True))
    assert [(g["course"], g["granted_by_id"]) for g in data["course_access"]] == [("gamma", admin)]
    assert [s["files"] for s in data["course_uploads_staged"]] == [["course.md"]]
    assert [f["path"] for f in data["draft_files_last_saved_by_them"]] == ["notes-by-trainer.md"]
    assert [v["number"] for v in data["course_versions_published_by_them"]] == [99]
    assert [a["user_id"] for a in data["account_actions_taken_by_them"]] == [admin]
    admin_data = json.loads(_post(client, f"/admin/users/{admin}/export", reason="PIPL").get_data(as_text=True))
    assert [g["user_id"] for g in admin_data["course_access_given_by_them"]] == [trainer]
