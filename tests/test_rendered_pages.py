"""Every page as the browser gets it, for every kind of visitor: no attribute that says "None",
password boxes that are password boxes with a show/hide button, a label on every input, ids
that don't repeat, nothing inline that the Content-Security-Policy would block — and the
headers that keep the portal's powers and windows to itself.

The pages come from the route × role matrix of tests/test_routes.py (every GET route, and
every POST route answered with a re-rendered form), plus the forms' error branches in both
languages, because errors add attributes (aria-invalid, aria-describedby) of their own.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import PASSWORD, Auth, csrf_token
# The route × role matrix's world (users of every role, a course, an attempt, a certificate)
# and its URL filling: `world` is a fixture, used here by name.
from tests.test_routes import ROLES, all_routes, url_for_rule, world  # noqa: F401

# Attributes that mean nothing (or something broken) when present without a value or empty.
NEEDS_VALUE = {
    "type", "name", "id", "for", "autocomplete", "inputmode", "enterkeyhint", "href", "src",
    "srcset", "action", "formaction", "method", "enctype", "form", "list", "lang", "dir", "rel",
    "role", "accept", "pattern", "maxlength", "minlength", "min", "max", "step", "rows", "cols",
    "tabindex", "colspan", "rowspan", "headers", "scope", "charset", "http-equiv", "width",
    "height", "datetime", "aria-label", "aria-labelledby", "aria-describedby", "aria-controls",
    "aria-invalid", "aria-live", "aria-current", "aria-hidden", "aria-expanded", "nonce",
}
# Where "none" or "false" is one of the attribute's own keywords (autocapitalize="none" is
# how a login box asks the keyboard not to capitalise); anywhere else it is a leaked value.
NONE_IS_A_KEYWORD = {"autocapitalize", "preload", "aria-sort", "aria-autocomplete", "aria-haspopup"}
FALSE_IS_A_KEYWORD = {"spellcheck", "draggable", "contenteditable", "writingsuggestions"}
PYTHON_LEAKS = {"None", "False", "True"}  # str() of a Python value that should not have been there
URL_ATTRS = {"href", "src", "action", "formaction", "poster", "data", "cite"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
NOT_A_CONTROL = {"hidden", "submit", "button", "reset", "image"}
INPUT_TYPES = {"text", "password", "email", "tel", "url", "search", "number", "date", "time",
               "datetime-local", "month", "week", "color", "range", "file", "checkbox", "radio",
               "hidden", "submit", "button", "reset", "image"}
INPUTMODES = {"none", "text", "tel", "url", "email", "numeric", "decimal", "search"}
# The WHATWG autofill field names this portal can have a use for, plus on/off.
AUTOCOMPLETE = {
    "on", "off", "name", "nickname", "username", "current-password", "new-password",
    "one-time-code", "email", "tel", "tel-national", "organization", "language", "bday",
    "country", "country-name", "postal-code", "street-address", "url", "photo", "sex",
}
# Script types that are data, not code: the CSP does not apply to them.
DATA_SCRIPTS = {"application/json", "application/ld+json"}


class Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], ancestors: list[str]):
        self.tag, self.attr_list, self.ancestors = tag, attrs, ancestors
        self.attrs = dict(attrs)
        self.text = ""

    def __repr__(self) -> str:
        shown = " ".join(f'{k}="{v}"' if v is not None else k for k, v in self.attr_list)
        return f"<{self.tag} {shown}>"


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, [e.tag for e in self._open])
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, attrs, [e.tag for e in self._open]))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        for element in self._open:
            element.text += data


def page_problems(html: str, csp: str | None) -> list[str]:
    """Everything wrong with one page, as readable lines."""
    parser = PageParser()
    parser.feed(html)
    parser.close()
    elements = parser.elements
    problems: list[str] = []
    ids: dict[str, int] = {}
    for element in elements:
        if element.attrs.get("id"):
            ids[element.attrs["id"]] = ids.get(element.attrs["id"], 0) + 1
    problems += [f"id {name!r} appears {count} times" for name, count in ids.items() if count > 1]
    labelled_by_for = {e.attrs.get("for") for e in elements if e.tag == "label"}
    toggles = {e.attrs.get("aria-controls") for e in elements
               if e.tag == "button" and e.attrs.get("type") == "button"}
    nonces = set(re.findall(r"'nonce-([^']+)'", csp or ""))

    for element in elements:
        names = [name for name, _value in element.attr_list]
        if len(names) != len(set(names)):
            problems.append(f"an attribute appears twice: {element}")
        for name, value in element.attr_list:
            if value is None or value.strip() == "":
                if name in NEEDS_VALUE:
                    problems.append(f"{name} without a value: {element}")
                continue
            word = value.strip()
            if word in PYTHON_LEAKS:
                problems.append(f'{name}="{word}": {element}')
            elif word.lower() == "none" and name not in NONE_IS_A_KEYWORD \
                    and not name.startswith("data-"):
                problems.append(f'{name}="{word}": {element}')
            elif word.lower() == "false" and name not in FALSE_IS_A_KEYWORD \
                    and not name.startswith(("aria-", "data-")):
                problems.append(f'{name}="{word}": {element}')
            if name.startswith("on"):
                problems.append(f"an inline event handler, which the CSP blocks: {element}")
            if name == "style":
                problems.append(f"an inline style, which the CSP blocks: {element}")
            if name in URL_ATTRS and re.sub(r"\s", "", word).lower().startswith("javascript:"):
                problems.append(f"a javascript: URL: {element}")
            if name in ("aria-labelledby", "aria-describedby", "aria-controls"):
                problems += [f"{name} names a missing id {ref!r}: {element}"
                             for ref in word.split() if ref not in ids]
        if element.tag == "label" and element.attrs.get("for") and element.attrs["for"] not in ids:
            problems.append(f"label for a missing id: {element}")
        if element.tag == "style":
            problems.append("a <style> element, which the CSP blocks")
        if element.tag == "script":
            problems += script_problems(element, nonces)
        if element.tag in ("input", "select", "textarea"):
            problems += control_problems(element, ids, labelled_by_for, toggles)
    return problems


def script_problems(script: Element, nonces: set[str]) -> list[str]:
    kind = (script.attrs.get("type") or "").lower()
    if kind in DATA_SCRIPTS:
        return []
    src = script.attrs.get("src")
    if not src:
        return [f"an inline script, which the CSP blocks: {script} {script.text[:60]!r}"]
    problems = []
    if not src.startswith("/") or src.startswith("//"):
        problems.append(f"a script from another origin (script-src is 'self'): {script}")
    if nonces and script.attrs.get("nonce") not in nonces:
        problems.append(f"a script without the CSP nonce: {script}")
    return problems


def control_problems(control: Element, ids, labelled_by_for, toggles) -> list[str]:
    attrs, problems = control.attrs, []
    kind = (attrs.get("type") or "text").lower() if control.tag == "input" else control.tag
    if control.tag == "input" and kind not in INPUT_TYPES:
        problems.append(f"unknown input type: {control}")
    if attrs.get("inputmode") and attrs["inputmode"] not in INPUTMODES:
        problems.append(f"unknown inputmode: {control}")
    tokens = (attrs.get("autocomplete") or "").split()
    if tokens and tokens[-1] not in AUTOCOMPLETE:
        problems.append(f"unknown autocomplete token: {control}")
    name = (attrs.get("name") or "").lower()
    # (a form prefixed "password" names its CSRF token "password-csrf_token": not a secret box)
    secret = ("password" in name and not name.endswith("csrf_token")) \
        or {"current-password", "new-password"} & set(tokens)
    if control.tag == "input" and secret and kind != "password":
        problems.append(f"a password in a box that shows it (type is {kind!r}): {control}")
    if kind == "password":
        if not {"current-password", "new-password"} & set(tokens):
            problems.append(f"a password box without autocomplete current-/new-password: {control}")
        if attrs.get("id") not in toggles:
            problems.append(f"a password box without a show/hide button: {control}")
    if kind in NOT_A_CONTROL:
        return problems
    labelled = (attrs.get("id") in labelled_by_for and attrs.get("id")) \
        or "label" in control.ancestors or (attrs.get("aria-label") or "").strip() \
        or any(ref in ids for ref in (attrs.get("aria-labelledby") or "").split())
    if not labelled:
        problems.append(f"an input without a label: {control}")
    return problems


def sweep(response, where: str) -> list[str]:
    """The problems of one response, each prefixed with where it came from."""
    if response.mimetype != "text/html":
        return []
    html = response.get_data(as_text=True)
    return [f"{where}: {problem}" for problem in
            page_problems(html, response.headers.get("Content-Security-Policy"))]


def report(problems: list[str]) -> str:
    """One line per distinct problem, with where it was first seen and how often."""
    firsts: dict[str, tuple[str, int]] = {}
    for line in problems:
        where, _sep, problem = line.partition(": ")
        first, count = firsts.get(problem, (where, 0))
        firsts[problem] = (first, count + 1)
    return f"{len(problems)} problems:\n" + "\n".join(
        f"{problem}  [{where}; {count}x]" for problem, (where, count) in firsts.items())


def test_every_page_every_visitor_sees_renders_its_attributes_and_forms_right(app, world):
    values, clients = world
    problems, pages = [], 0
    for rule, method in all_routes(app):
        url = url_for_rule(rule, values)
        for role in ROLES:
            client = clients[role]
            if method == "GET":
                response = client.get(url)
            else:  # a form posted empty comes back re-rendered with its errors
                response = client.post(url, data={"csrf_token": csrf_token(client, "/")})
            pages += response.mimetype == "text/html"
            problems += sweep(response, f"{method} {url} as {role} ({response.status_code})")
            response.close()
    assert pages > 100  # the walk really saw the portal's pages
    assert not problems, report(problems)


def forms_with_errors(client, language: str, reset_path: str):
    """The accounts forms' error branches, each as (what, response)."""
    auth = Auth(client)
    client.post("/language", data={"language": language, "csrf_token": csrf_token(client, "/")})
    yield "forgot password, empty", client.post("/password/forgot", data={
        "csrf_token": csrf_token(client, "/password/forgot")})
    yield "reset link, too short", client.post(reset_path, data={
        "new_password": "short", "csrf_token": csrf_token(client, reset_path)})
    yield "login, wrong password", auth.login("nobody@example.com", "wrong-password-123")
    yield "login, empty", client.post("/login", data={"csrf_token": csrf_token(client)})
    yield "register, everything wrong", auth.register("not a phone", name="", password="short",
                                                      invite_code="NO-SUCH-CODE")
    yield "register, common password", auth.register("13800138009", password="password123")
    assert auth.login("learner@example.com").status_code == 302
    client.post("/language", data={"language": language, "csrf_token": csrf_token(client, "/")})
    yield "account, wrong current password", auth.post("/account", {
        "password-current_password": "not-my-password",
        "password-new_password": "another-river-88"})
    yield "account, new password too short", auth.post("/account", {
        "password-current_password": PASSWORD, "password-new_password": "short"})
    yield "account, empty name", auth.post("/account", {"profile-display_name": "",
                                                        "profile-language": language})


@pytest.mark.parametrize("language, show, hide", [("zh", "显示密码", "隐藏密码"),
                                                  ("en", "Show password", "Hide password")])
def test_forms_with_errors_render_right_in_both_languages(app, make_user, language, show, hide):
    from urllib.parse import urlsplit

    from app.accounts.models import User
    from app.accounts.resets import issue_handover_link
    from app.extensions import db

    learner, admin = make_user("learner@example.com"), make_user("admin@example.com", role="admin")
    with app.test_request_context():  # a live reset link, as an admin hands one over
        person, actor = db.session.get(User, learner), db.session.get(User, admin)
        link, _reset = issue_handover_link(person, actor, "lost phone")
        db.session.commit()
    client = app.test_client()
    problems, seen = [], 0
    for what, response in forms_with_errors(client, language, urlsplit(link).path):
        html = response.get_data(as_text=True)
        assert response.status_code in (400, 401), (what, response.status_code)
        problems += sweep(response, what)
        # Every page but "forgot" has a password box, with its toggle named in the language.
        toggled = 'type="password"' in html and show in html and hide in html
        if "forgot" not in what and not toggled:
            problems.append(f"{what}: no password box with a {show!r}/{hide!r} button")
        # Fields with errors are marked and point at their messages (a wrong password is
        # only a message at the top: it must not say which of the two was wrong).
        marked = 'aria-invalid="true"' in html \
            and re.search(r'aria-describedby="[^"]+-error"', html)
        if bool(marked) != (what != "login, wrong password"):
            problems.append(f"{what}: fields marked invalid: {bool(marked)}")
        seen += 1
    assert seen == 9
    assert not problems, report(problems)


def test_the_sweep_catches_each_kind_of_mistake():
    """The checks themselves: each broken snippet is caught, the correct page is not."""
    good = """<form action="/login" method="post"><label for="login">Login</label>
      <input id="login" name="login" type="text" inputmode="email" autocomplete="username"
             autocapitalize="none" spellcheck="false" value="">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password">
      <button type="button" aria-controls="password" hidden>Show password</button>
      <label><input type="radio" name="language" value="zh"> 中文</label>
      <select aria-label="Step 1" name="q"><option value="">—</option></select>
      <img src="/x.png" alt=""><script src="/assets/abc/js/password.js" defer></script></form>"""
    assert page_problems(good, "script-src 'self'") == []
    broken = {
        '<input id="a" name="a" type="None"><label for="a">A</label>': "type=\"None\"",
        '<input id="a" name="a" autocomplete="None"><label for="a">A</label>': "autocomplete",
        '<input id="a" name="a" inputmode="none"><label for="a">A</label>': "inputmode",
        '<input id="a" name="a" data-x="False"><label for="a">A</label>': "False",
        '<a href="">x</a>': "href without a value",
        '<input id="a" name="password" type="text"><label for="a">P</label>': "shows it",
        '<input id="a" name="secret" autocomplete="current-password"><label for="a">P</label>':
            "shows it",
        '<input id="a" type="password" autocomplete="new-password"><label for="a">P</label>':
            "show/hide",
        '<input id="a" name="p" type="password"><label for="a">P</label>': "current-/new-password",
        '<input id="a" name="a">': "without a label",
        '<p id="x"></p><p id="x"></p>': "appears 2 times",
        "<script>alert(1)</script>": "inline script",
        '<script src="https://cdn.example.com/x.js"></script>': "another origin",
        '<p style="color:red">x</p>': "inline style",
        '<button onclick="x()">x</button>': "event handler",
        '<input id="a" name="a" aria-describedby="a-error"><label for="a">A</label>': "missing id",
    }
    for snippet, expected in broken.items():
        found = page_problems(snippet, "script-src 'self'")
        assert any(expected in problem for problem in found), (snippet, found)
    nonce_page = '<script src="/a.js"></script>'
    assert page_problems(nonce_page, "script-src 'nonce-abc'")


PERMISSIONS_DENIED = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "hid",
                      "bluetooth", "midi", "magnetometer", "gyroscope", "accelerometer",
                      "display-capture", "screen-wake-lock", "xr-spatial-tracking",
                      "clipboard-read", "browsing-topics"]


def permissions(header: str) -> dict[str, str]:
    return {name.strip(): allow.strip() for name, allow in
            (item.split("=", 1) for item in header.split(",") if "=" in item)}


def test_every_response_keeps_powers_and_windows_to_the_portal(app, world):
    """Permissions-Policy and Cross-Origin-Opener-Policy on pages, files, errors and redirects."""
    values, clients = world
    checked = 0
    for rule, method in all_routes(app):
        url = url_for_rule(rule, values)
        for role in ("anonymous", "learner", "admin"):
            client = clients[role]
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": csrf_token(client, "/")}))
            response.close()
            where = (method, url, role, response.status_code)
            assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
            policy = permissions(response.headers.get("Permissions-Policy", ""))
            denied = [feature for feature in PERMISSIONS_DENIED if policy.get(feature) != "()"]
            assert denied == [], (where, policy)
            # Invite pages copy their link to the clipboard: that stays the portal's own.
            assert policy.get("clipboard-write") == "(self)", where
            checked += 1
    response = clients["anonymous"].get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert permissions(response.headers["Permissions-Policy"])["camera"] == "()"
    assert checked > 200
