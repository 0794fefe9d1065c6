"""Every route × every kind of visitor: who may pass, CSRF on every state change, headers.

A route without an entry in ACCESS fails the test: decide who may use it when you add it.
"""
import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.extensions import db
from app.quizzes.models import Attempt
from tests.certificates.conftest import complete_gamma
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import Learner

ROLES = ["anonymous", "learner", "other_learner", "mentor", "trainer", "other_trainer", "admin"]
# who: public (anyone), user (signed in), owner (the learner whose attempt it is), admin,
# author (a trainer granted the course, or an admin; other_trainer is a trainer who wasn't),
# writer (any trainer or admin: pages not about one course), uploader (who uploaded a zip),
# coach (the learner's direct mentor, a trainer granted her quiz's course, or an admin),
# reviewer (who reviews her hand-in: her mentor when the mentor's tier reviews, else a
# trainer granted the course; and admins), submission (the learner, her reviewer, admins).
ACCESS = {
    ("learning.home", "GET"): "public",
    ("accounts.login", "GET"): "public",
    ("accounts.login", "POST"): "public",
    ("accounts.register", "GET"): "public",
    ("accounts.register", "POST"): "public",
    ("accounts.logout", "POST"): "public",
    ("accounts.set_language", "POST"): "public",
    ("accounts.account", "GET"): "user",
    ("accounts.account", "POST"): "user",
    ("accounts.end_session", "POST"): "owner",  # the learner's own sign-in session
    ("accounts.end_all_sessions", "POST"): "user",
    ("accounts.forgot_password", "GET"): "public",
    ("accounts.forgot_password", "POST"): "public",
    ("accounts.reset_password", "GET"): "public",
    ("accounts.reset_password", "POST"): "public",
    ("learning.catalog", "GET"): "user",
    ("learning.course", "GET"): "user",
    ("learning.lesson", "GET"): "user",
    ("learning.mark_read", "POST"): "user",
    ("learning.tick", "POST"): "user",  # a checklist item of a lesson she can see
    ("quizzes.overview", "GET"): "user",
    ("practice.overview", "GET"): "user",
    ("practice.start", "POST"): "user",
    ("practice.play", "GET"): "owner",
    ("practice.choose", "POST"): "owner",
    ("practice.assignment", "GET"): "user",
    ("practice.save_assignment", "POST"): "user",
    ("practice.add_image", "POST"): "owner",  # her open submission's pictures
    ("practice.remove_image", "POST"): "owner",
    ("practice.submission", "GET"): "owner",
    ("practice.submission_image", "GET"): "submission",
    ("practice.review_queue", "GET"): "user",  # her own queue (empty unless she reviews)
    ("practice.review", "GET"): "reviewer",
    ("practice.record_review", "POST"): "reviewer",
    ("practice.my_templates", "GET"): "user",
    ("practice.keep_template", "POST"): "user",
    ("practice.forget_template", "POST"): "owner",
    ("quizzes.start", "POST"): "user",
    ("quizzes.attempt", "GET"): "owner",
    ("quizzes.result", "GET"): "owner",
    ("quizzes.save_answer", "POST"): "owner",
    ("quizzes.submit", "POST"): "owner",
    ("quizzes.learner_quizzes", "GET"): "coach",
    ("quizzes.grant_attempt", "POST"): "coach",
    ("certificates.mine", "GET"): "user",
    ("certificates.course", "GET"): "user",
    ("certificates.verify", "GET"): "public",
    ("certificates.credential", "GET"): "public",
    ("certificates.pdf", "GET"): "public",
    ("certificates.poster", "GET"): "public",
    ("certificates.check_page", "GET"): "public",
    ("certificates.check_page", "POST"): "public",
    ("certificates.status_list", "GET"): "public",
    ("certificates.achievement", "GET"): "public",
    ("certificates.achievement_json", "GET"): "public",
    ("certificates.issuer", "GET"): "public",
    ("certificates.issuer_json", "GET"): "public",
    ("certificates.manage", "GET"): "admin",
    ("certificates.manage", "POST"): "admin",
    ("notifications.index", "GET"): "user",
    ("notifications.mark_read", "POST"): "user",
    ("referrals.join", "GET"): "public",
    ("referrals.invite", "GET"): "user",
    ("referrals.poster", "GET"): "user",
    ("tiers.mine", "GET"): "user",
    ("mentoring.dashboard", "GET"): "user",
    ("mentoring.nudge", "POST"): "mentor",
    ("mentoring.issue_reset_link", "POST"): "mentor",
    ("tree_admin.index", "GET"): "admin",
    ("tree_admin.node", "GET"): "admin",
    ("tree_admin.reassign", "POST"): "admin",
    ("tree_admin.reparent", "POST"): "admin",
    ("api.tier_by_id", "GET"): "token",
    ("api.tier_by_external_id", "GET"): "token",
    ("api.certificates", "GET"): "token",
    ("api.openapi", "GET"): "public",
    ("webhooks_admin.index", "GET"): "admin",
    ("webhooks_admin.retry", "POST"): "admin",
    ("users_admin.index", "GET"): "admin",
    ("users_admin.user", "GET"): "admin",
    ("users_admin.change_role", "POST"): "admin",
    ("users_admin.change_status", "POST"): "admin",
    ("users_admin.export", "POST"): "admin",
    ("users_admin.issue_reset_link", "POST"): "admin",
    ("users_admin.anonymise", "GET"): "admin",
    ("users_admin.anonymise", "POST"): "admin",
    ("ledger.index", "GET"): "admin",
    ("ledger.export", "GET"): "admin",
    ("statistics.hub", "GET"): "admin",
    ("statistics.dashboard", "GET"): "admin",
    ("statistics.course_funnel", "GET"): "admin",
    ("statistics.quiz_items", "GET"): "admin",
    ("statistics.mentors", "GET"): "admin",
    ("statistics.roleplays", "GET"): "admin",
    ("authoring.overview", "GET"): "writer",
    ("authoring.create_course", "POST"): "writer",
    ("authoring.course", "GET"): "author",
    ("authoring.edit_file", "GET"): "author",
    ("authoring.save_file", "POST"): "author",
    ("authoring.preview_file", "POST"): "author",
    ("authoring.add_module", "POST"): "author",
    ("authoring.add_lesson", "POST"): "author",
    ("authoring.add_quiz", "POST"): "author",
    ("authoring.delete_file", "POST"): "author",
    ("authoring.upload_image", "POST"): "author",
    ("authoring.review_publish", "GET"): "author",
    ("authoring.publish", "POST"): "author",
    ("authoring.versions", "GET"): "author",
    ("authoring.diff", "GET"): "author",
    ("authoring.confirm_revert", "GET"): "author",
    ("authoring.revert", "POST"): "author",
    ("authoring.export", "GET"): "author",
    ("authoring.import_form", "GET"): "writer",
    ("authoring.upload_zip", "POST"): "writer",
    ("authoring.import_preview", "GET"): "uploader",
    ("authoring.import_apply", "POST"): "uploader",
    ("authoring.access", "GET"): "admin",
    ("authoring.access", "POST"): "admin",
    ("media.media", "GET"): "user",
    ("ops.healthz", "GET"): "public",
    ("ops.liveness", "GET"): "public",
    ("ops.asset", "GET"): "public",
    ("static", "GET"): "public",
}


def allowed(rule: str, role: str) -> bool:
    return {"public": True, "user": role != "anonymous", "owner": role == "learner",
            "mentor": role == "mentor", "admin": role == "admin",
            # another attempt: the learner's direct mentor, the course's trainer, admins
            "coach": role in ("mentor", "trainer", "admin"),
            # the world's mentor is a trainee: her mentee's work goes to gamma's trainer
            "reviewer": role in ("trainer", "admin"),
            "submission": role in ("learner", "trainer", "admin"),
            # authoring: trainers granted the course, and admins; an upload is its uploader's
            "author": role in ("trainer", "admin"), "uploader": role == "trainer",
            "writer": role in ("trainer", "other_trainer", "admin"),
            "token": False}[rule]  # the API takes tokens, never a browser session


def all_routes(app):
    # Signing out last: it ends the sessions the other checks use.
    last = {"accounts.end_session": 1, "accounts.end_all_sessions": 2, "accounts.logout": 3}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (last.get(r.endpoint, 0), r.rule))
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def world(app, client, imported, make_user):
    """The learner completed gamma (attempts, a certificate); everyone else has an account."""
    make_user("learner@example.com")
    Auth(client).login("learner@example.com")
    Auth(app.test_client()).login("learner@example.com")  # her other device: a session to end
    person = Learner(client)
    person.read("gamma", "intro")
    complete_gamma(person)
    for role in ROLES[2:]:
        make_user(f"{role}@example.com", role={"trainer": "trainer", "other_trainer": "trainer",
                                               "admin": "admin"}.get(role, "learner"))
    with unit_of_work(app):
        from app.accounts.models import SignInSession, User
        from app.certificates.models import Certificate
        from app.ops import asset_url
        from app.referrals import services as tree

        users = {u.email: u for u in db.session.scalars(select(User))}
        mentor = tree.ensure_node(users["mentor@example.com"])
        learner_node = tree.ensure_node(users["learner@example.com"])
        tree.reassign_mentor(learner_node.user_id, mentor.user_id, "test world", None)
        # A mentor gives attempts only for a course she is certified in herself.
        gamma_id = db.session.scalar(select(Certificate.course_id))
        db.session.add(Certificate(code="MENTOR-CERT", user_id=mentor.user_id, course_id=gamma_id,
                                   generation=1, learner_name="mentor", course_title={"zh": "g"},
                                   issued_at=users["mentor@example.com"].created_at))
        from app.api.models import WebhookDelivery

        db.session.add(WebhookDelivery(id="00000000-0000-0000-0000-000000000000", event="tier.changed",
                                       payload={}, status="failed"))
        db.session.commit()

        from app.authoring.files import write_zip
        from app.authoring.transfer import export_course, read_upload, stage_upload
        from app.authoring.uploads import clean_image
        from app.authoring.services import store_image
        from app.learning.models import Course
        from tests.authoring.conftest import grant
        from tests.authoring.test_transfer import png

        grant(app, "gamma", "trainer@example.com")
        gamma = db.session.scalar(select(Course).where(Course.slug == "gamma"))
        source, fileset = read_upload(write_zip("gamma", export_course(gamma)), 10_000_000, 1_000_000)
        staged = stage_upload(source, fileset, users["trainer@example.com"])
        image = store_image(clean_image(png()))
        db.session.commit()

        # A role-play in gamma's first module, and the learner's play of it.
        from collections import Counter

        from app.learning.models import Module
        from app.practice import services as practice
        from tests.practice.conftest import delta_content

        start_id = db.session.scalar(select(Module.id).where(Module.course_id == gamma.id,
                                                             Module.slug == "start"))
        practice.import_scenarios(start_id, [{"slug": "price", "content": delta_content(),
                                              "required": False}], Counter())
        play = practice.start_play(users["learner@example.com"],
                                   practice.find_scenario(start_id, "price"))
        db.session.commit()

        # An assignment in gamma's first module, her picture and her hand-in waiting for
        # gamma's trainer, and a lesson template she kept.
        from app.practice import assignments
        from app.practice.models import KeptTemplate
        from tests.practice.assignment_helpers import epsilon_assignment_content, png as photo

        learner = users["learner@example.com"]
        assignments.import_assignments(start_id, [{
            "slug": "welcome", "content": epsilon_assignment_content("intro"),
            "required": False}], Counter())
        work = assignments.find_assignment(start_id, "welcome")
        draft = assignments.save_draft(learner, work, "欢迎新朋友！")
        picture = assignments.add_image(learner, draft.id, photo())
        hand_in = assignments.hand_in(learner, work, "欢迎新朋友！群规在群公告里。")
        kept = KeptTemplate(user_id=learner.id, course_slug="gamma", lesson_slug="intro",
                            position=1, text="欢迎")
        db.session.add(kept)
        db.session.commit()

        with app.test_request_context():
            digest = asset_url("css/app.css").split("/")[2]
        values = {"slug": "gamma", "lesson_slug": "intro", "module_slug": "start",
                  "item_id": "write-welcome",  # tests/fixtures/courses/gamma: intro's checklist
                  "attempt_id": db.session.scalar(select(Attempt.id).order_by(Attempt.id)),
                  "quiz_id": db.session.scalar(select(Attempt.quiz_id).order_by(Attempt.id)),
                  "code": db.session.scalar(select(Certificate.code).where(
                      Certificate.user_id == users["learner@example.com"].id)),
                  "digest": digest, "filename": "css/app.css",
                  "mentee_id": users["learner@example.com"].id,
                  "user_id": users["learner@example.com"].id, "external_id": "x",
                  "delivery_id": "00000000-0000-0000-0000-000000000000", "course_id": gamma.id,
                  "path": "01-start/quiz.zh.md", "number": 1, "token": staged.id,
                  "scenario_slug": "price", "play_id": play.id,
                  "assignment_slug": "welcome", "submission_id": draft.id,
                  "image_id": picture.id, "version_id": hand_in.id, "position": 1,
                  "kept_id": kept.id,
                  "name": f"{image}.png", "key": "not-a-reset-link",
                  "session_id": db.session.scalar(select(SignInSession.id).where(
                      SignInSession.user_id == users["learner@example.com"].id)
                      .order_by(SignInSession.id.desc()).limit(1))}
    clients = {"anonymous": app.test_client(), "learner": client}
    for role in ROLES[2:]:
        clients[role] = app.test_client()
        Auth(clients[role]).login(f"{role}@example.com")
    return values, clients


def url_for_rule(rule, values) -> str:
    return rule.build(values, append_unknown=False)[1]


def test_every_route_has_an_entry(app):
    missing = [(rule.endpoint, method) for rule, method in all_routes(app)
               if (rule.endpoint, method) not in ACCESS]
    assert missing == [], "add these routes to ACCESS in tests/test_routes.py"


@pytest.mark.slow
def test_access_matrix(app, world):
    values, clients = world
    failures = []
    for rule, method in all_routes(app):
        who = ACCESS[(rule.endpoint, method)]
        url = url_for_rule(rule, values)
        for role in ROLES:
            client = clients[role]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": csrf_token(client, "/")})
            to_login = response.status_code == 302 and "/login" in response.headers.get("Location", "")
            denied = response.status_code in (401, 403, 404) or (to_login and rule.endpoint != "accounts.logout")
            if rule.endpoint in ("learning.home", "accounts.login", "accounts.register"):
                denied = response.status_code >= 400 and response.status_code not in (400, 401)
            response.close()
            if response.status_code >= 500:
                failures.append((rule.endpoint, method, role, response.status_code, "server error"))
            elif allowed(who, role) == denied:
                failures.append((rule.endpoint, method, role, response.status_code,
                                 "should be allowed" if allowed(who, role) else "should be denied"))
    assert failures == []


@pytest.mark.slow
def test_every_state_change_needs_a_csrf_token(app, world):
    values, clients = world
    for rule, method in all_routes(app):
        if method == "GET" or rule.endpoint.startswith("api."):
            continue  # the token-authenticated API is exempt from CSRF
        for role in ("learner", "admin"):
            response = clients[role].post(url_for_rule(rule, values), data={"action": "revoke", "reason": "x"})
            response.close()
            assert response.status_code == 400, (rule.endpoint, role, response.status_code)
    with unit_of_work(app):
        from app.certificates.models import Certificate

        assert db.session.scalar(select(Certificate.revoked_at)) is None



def _multipart(pairs) -> bytes:
    return b"".join(b'--XyZ\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n'
                    + value + b"\r\n" for name, value in pairs) + b"--XyZ--\r\n"


@pytest.mark.slow
@pytest.mark.parametrize("kind, field", [
    ("urlencoded", b"%ff%fe%40example.com"), ("urlencoded", b"%zz"), ("urlencoded", b"caf\xe9"),
    ("urlencoded", b"ab%00cd"), ("urlencoded", b"ab%1Bcd"),
    # The same text as a multipart body: one header changed must not change the answer.
    ("multipart", b"\xff\xfeName"), ("multipart", b"ab\x00cd")])
def test_every_form_refuses_text_it_cannot_decode(app, world, kind, field):
    """Every form of the portal, signed in as the people who may send it: a field with a
    percent-escape that is not UTF-8, a malformed one or raw non-UTF-8 bytes is refused with
    the reason in the user's language (400), before CSRF, authorization or the view, and
    nothing is written."""
    values, clients = world
    with unit_of_work(app):
        from app.accounts.models import User

        users_before = db.session.scalar(select(func.count()).select_from(User))
    checked = 0
    for rule, method in all_routes(app):
        if method == "GET" or rule.endpoint.startswith("api."):
            continue  # the token API takes no forms
        for role in ("anonymous", "learner", "admin"):
            client = clients[role]
            token = csrf_token(client, "/").encode()
            names = (b"login", b"display_name", b"reason", b"text", b"name", b"q", b"action")
            if kind == "multipart":
                body = _multipart([(b"csrf_token", token)] + [(n, field) for n in names])
                content_type = "multipart/form-data; boundary=XyZ"
            else:
                body = b"csrf_token=" + token + b"".join(b"&" + n + b"=" + field for n in names)
                content_type = "application/x-www-form-urlencoded"
            response = client.post(url_for_rule(rule, values), data=body, content_type=content_type)
            text = response.get_data(as_text=True)
            response.close()
            assert response.status_code == 400, (rule.endpoint, role, response.status_code)
            assert "无法识别" in text, (rule.endpoint, role)  # the learners' language: Chinese
            checked += 1
    assert checked > 100
    with unit_of_work(app):
        from app.certificates.models import Certificate

        assert db.session.scalar(select(func.count()).select_from(User)) == users_before
        assert db.session.scalar(select(Certificate.revoked_at)) is None

@pytest.mark.slow
def test_security_headers_on_every_html_page(app, world):
    values, clients = world
    for rule, method in all_routes(app):
        if method != "GET":
            continue
        for role in ("anonymous", "learner"):
            response = clients[role].get(url_for_rule(rule, values))
            response.close()
            headers = response.headers
            assert headers.get("X-Content-Type-Options") == "nosniff", rule.endpoint
            assert headers.get("Referrer-Policy"), rule.endpoint
            if response.mimetype == "text/html":
                csp = headers["Content-Security-Policy"]
                assert "object-src 'none'" in csp and "base-uri 'none'" in csp
                assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
                if role == "learner":
                    assert headers["Cache-Control"] == "no-store", rule.endpoint
