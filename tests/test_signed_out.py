"""A session that ends while a page is open: scripts hear 401, sign-in comes back to a page.

The class: no way into the login page (a form post, a script's fetch, with or without the
session's CSRF token) may carry a `next=` that only takes POST, and `safe_next` refuses every
such target, since a GET of it after signing in can only say "not allowed".
"""
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app.transactions import unit_of_work
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import Learner


def post_only_rules(app):
    """Rules without GET whose URL no other rule answers with a page (save_file shares its URL
    with the editor page edit_file, so it is not one)."""
    return [rule for rule in app.url_map.iter_rules()
            if "GET" not in rule.methods and not answers_get(app, example_path(rule))]


def example_path(rule) -> str:
    # "1" fits every converter the portal uses (int, string, path) and no row needs to exist:
    # a signed-out request is answered before the view looks anything up.
    return rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]


def answers_get(app, target: str) -> bool:
    adapter = app.url_map.bind("")
    try:
        adapter.match(urlsplit(target).path, method="GET")
    except RequestRedirect:
        return True
    except (NotFound, MethodNotAllowed):
        return False
    return True


def next_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("next")
    return values[0] if values else None


def test_every_route_is_covered(app):
    # The class below is only as wide as the routes it finds: the portal has POST-only actions.
    paths = {example_path(rule) for rule in post_only_rules(app)}
    assert "/attempts/1/submit" in paths and "/attempts/1/answer" in paths and len(paths) > 10


@pytest.mark.parametrize("with_session", [True, False], ids=["logged-out-session", "no-cookie"])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_no_signed_out_request_leads_back_to_a_post_only_route(app, with_session, accept):
    failures = []
    for rule in post_only_rules(app):
        path = example_path(rule)
        client = app.test_client()
        data = {"csrf_token": csrf_token(client, "/login")} if with_session else {}
        response = client.post(path, data=data, headers={"Accept": accept})
        response.close()
        if response.status_code >= 500:
            failures.append((path, response.status_code))
            continue
        if response.status_code == 401 and response.is_json:
            login_url = response.get_json()["login_url"]
        elif response.status_code in (301, 302, 303, 307, 308):
            login_url = response.headers["Location"]
        else:
            continue  # not sent to sign in (public actions, the token API, CSRF refusals)
        if urlsplit(login_url).path != "/login":
            continue
        target = next_of(login_url)
        if target is not None and not answers_get(app, target):
            failures.append((path, target))
    assert failures == []


def test_sign_in_only_actions_answer_the_same_with_or_without_the_session_cookie(app):
    """An expired cookie takes the session's CSRF token with it: the person is still just signed
    out, not told that the form is broken."""
    different = []
    for rule in post_only_rules(app):
        path = example_path(rule)
        with_session = app.test_client()
        token = csrf_token(with_session, "/login")
        kept = with_session.post(path, data={"csrf_token": token})
        lost = app.test_client().post(path)
        if kept.status_code == 302 and urlsplit(kept.headers["Location"]).path == "/login":
            if (lost.status_code, lost.headers.get("Location")) != (302, kept.headers["Location"]):
                different.append((path, lost.status_code))
    assert different == []


def test_safe_next_refuses_every_post_only_route(app):
    from app.accounts.views import safe_next

    with app.test_request_context():
        for rule in post_only_rules(app):
            for target in (example_path(rule), example_path(rule) + "?x=1"):
                kept = safe_next(target)
                assert kept != target, target
                assert kept is None or answers_get(app, kept), (target, kept)
        assert safe_next("/attempts/7/submit") == "/attempts/7"
        assert safe_next("/courses/gamma/start/quiz/start") == "/courses/gamma/start/quiz"
        assert safe_next("/logout") is None  # nothing above it but the home page
        assert safe_next("/courses/gamma?x=1") == "/courses/gamma?x=1"  # pages pass unchanged


@pytest.mark.parametrize("locale, message", [("zh", "你已退出登录——请重新登录后继续。"),
                                             ("en", "You were signed out — sign in to keep going.")])
def test_autosave_after_the_session_ended_is_a_401_that_says_so(app, client, imported, make_user,
                                                                locale, message):
    make_user("learner@example.com", locale=locale)
    Auth(client).login("learner@example.com")
    person = Learner(client)
    person.read("gamma", "intro")
    attempt_id = person.start_attempt_id()
    token = person.token(attempt_id)
    # Logged out in another tab: same cookie jar, the session's CSRF token survives.
    Auth(client).logout()
    response = person.autosave(attempt_id, "rate", "开单率", token=token)
    assert response.status_code == 401, response.status_code
    body = response.get_json()
    assert body["error"] == "signed_out"
    assert next_of(body["login_url"]) == f"/attempts/{attempt_id}"
    # The cookie expired: nothing of the session is left, CSRF token included.
    lost = Learner(app.test_client()).autosave(attempt_id, "rate", "开单率", token=token)
    assert lost.status_code == 401 and lost.get_json()["error"] == "signed_out"
    assert next_of(lost.get_json()["login_url"]) == f"/attempts/{attempt_id}"
    # The message is in the language of the person's browser (the session that held it is gone).
    heard = Learner(app.test_client()).client.post(
        f"/attempts/{attempt_id}/answer", data={"question_id": "rate"},
        headers={"Accept": "application/json", "Accept-Language": locale})
    assert heard.get_json()["message"] == message


def test_submit_after_the_session_ended_signs_in_back_to_the_attempt(app, client, imported, make_user):
    from app.extensions import db
    from app.quizzes.models import Attempt

    make_user("learner@example.com")
    Auth(client).login("learner@example.com")
    person = Learner(client)
    person.read("gamma", "intro")
    attempt_id = person.start_attempt_id()
    token = person.token(attempt_id)
    assert person.autosave(attempt_id, "rate", "开单率", token=token).status_code == 200
    client.delete_cookie("smallb_session")  # the cookie expired while the page was open

    response = client.post(f"/attempts/{attempt_id}/submit",
                           data={"csrf_token": token, "q-rate": "开单率"})
    assert response.status_code == 302
    assert next_of(response.headers["Location"]) == f"/attempts/{attempt_id}"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "你已退出登录——请重新登录后继续。" in login_page
    signed_in = client.post(response.headers["Location"],
                            data={"login": "learner@example.com", "password": "quiet-river-lantern-42",
                                  "csrf_token": csrf_token(client, response.headers["Location"])})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == f"/attempts/{attempt_id}"
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200 and 'value="开单率"' in page.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.get(Attempt, attempt_id).state == "open"  # nothing graded behind her back


def test_attempt_page_keeps_answers_per_person_and_attempt_and_links_back(app, client, imported,
                                                                          make_user):
    from app.accounts.models import User
    from app.extensions import db

    make_user("learner@example.com")
    Auth(client).login("learner@example.com")
    person = Learner(client)
    person.read("gamma", "intro")
    attempt_id = person.start_attempt_id()
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    with unit_of_work(app):
        user_id = db.session.scalar(db.select(User.id).where(User.email == "learner@example.com"))
    assert f'data-store="smallb.quiz.{user_id}.{attempt_id}"' in page
    assert f'href="/login?next=/attempts/{attempt_id}"' in page
    assert "你已退出登录——请重新登录后继续。" in page and "已暂存在这台设备上" in page
    # Graded: the result page tells the device to forget what it kept for this attempt.
    person.submit(attempt_id, {})
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f'data-forget-answers="smallb.quiz.{user_id}.{attempt_id}"' in result


_PIECES = ["/", "//", "%2F", "%2f", "%252F", "\\", "%5C", "evil.example", "courses", "gamma",
           "attempts", "7", "submit", "@", ":", "%09", "%0a", "\t", ".", "..", "?next=//x", "#"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_safe_next_only_ever_gives_a_plain_path_on_this_site(app, pieces):
    """Whatever `next=` holds (encoded slashes, backslashes, control characters), what the
    login redirects to is None or a path of ours: it starts with one slash, decodes to a
    path that does too, and names no host."""
    from app.accounts.views import safe_next

    target = "/" + "".join(pieces)
    with app.test_request_context():
        kept = safe_next(target)
    if kept is None:
        return
    decoded = unquote(urlsplit(kept).path)
    assert kept.startswith("/") and not kept.startswith("//"), kept
    assert decoded.startswith("/") and not decoded.startswith("//"), kept
    assert not urlsplit(kept).netloc and "\\" not in decoded, kept
    assert not any(ord(ch) < 32 for ch in kept + decoded), kept
