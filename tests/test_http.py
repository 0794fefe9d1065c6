"""HTTP behaviour: error codes with clear pages, size limits, security headers."""
import re

from tests.conftest import csrf_token


def test_oversized_request_gets_413_with_a_message(client):
    token = csrf_token(client, "/register")
    response = client.post("/register", data={"login": "x" * (3 * 1024 * 1024), "csrf_token": token})
    assert response.status_code == 413
    assert "太大" in response.get_data(as_text=True)


def test_wrong_method_is_405_not_500(client):
    assert client.put("/login").status_code == 405


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_personal_pages_are_not_cached(client, learner, imported):
    assert client.get("/courses").headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client, learner, imported):
    # Scripts are files (script-src 'self'); a <script> without src would be blocked.
    for url in ("/", "/courses", "/courses/alpha", "/courses/alpha/first", "/account"):
        assert not re.search(r"<script(?![^>]*\ssrc=)", client.get(url).get_data(as_text=True)), url
