"""Every UI string is translated; pages come in each language; the switcher works."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
import pytest

from tests.conftest import csrf_token

ROOT = Path(__file__).parents[1]
CATALOG = ROOT / "app" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
# N_ marks checker messages, translated where they are shown (app/content/frontmatter.py).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "N_": None}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]


@pytest.mark.slow
def test_every_ui_string_has_a_chinese_translation_and_the_mo_is_compiled():
    source_ids = {message for _file, _line, message, _comments, _context in
                  extract_from_dir(ROOT, METHODS, keywords=KEYWORDS)}
    source_ids = {m if isinstance(m, str) else m[0] for m in source_ids}
    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle)
    def key(m):
        return m.id[0] if isinstance(m.id, (tuple, list)) else m.id

    def done(m):
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        return m.id and all(strings) and not m.fuzzy

    translated = {key(m): m.string for m in po if done(m)}
    missing = sorted(source_ids - set(translated))
    assert not missing, f"untranslated: {missing}"
    with open(CATALOG / "messages.mo", "rb") as handle:
        mo = {key(m): m.string for m in read_mo(handle) if m.id}
    as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else v  # noqa: E731
    assert {k: as_tuple(translated[k]) for k in source_ids} == \
        {k: as_tuple(mo.get(k)) for k in source_ids}, \
        "messages.mo is stale: run pybabel compile -d app/translations"


def test_accept_language_picks_the_page_language(client):
    assert "Log in" in client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in page and 'lang="zh-Hans"' in page


def test_default_language_is_chinese(client):
    assert "免费注册" in client.get("/").get_data(as_text=True)


def test_switcher_sets_the_language_for_visitors(client):
    token = csrf_token(client, "/")
    response = client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Log in" in client.get("/login", headers={"Accept-Language": "zh"}).get_data(as_text=True)


def test_users_setting_wins_over_accept_language(client, imported, make_user, auth):
    make_user("en@example.com", locale="en")
    auth.login("en@example.com")
    page = client.get("/courses/alpha/first", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "The English body of the first lesson." in page and "4 min read" in page


def test_switching_language_while_logged_in_saves_it(client, imported, learner):
    token = csrf_token(client, "/courses")
    client.post("/language", data={"language": "en", "csrf_token": token})
    page = client.get("/courses").get_data(as_text=True)
    assert "Alpha course" in page and "0 of 3 lessons read" in page


def test_switcher_rejects_unknown_languages(client):
    token = csrf_token(client, "/")
    client.post("/language", data={"language": "fr", "csrf_token": token})
    assert "免费注册" in client.get("/").get_data(as_text=True)


def test_the_trainer_role_has_one_chinese_name():
    """讲师 everywhere: a second word for the same role makes people think there are two."""
    catalog = (CATALOG / "messages.po").read_text(encoding="utf-8")
    assert "讲师" in catalog and "培训师" not in catalog
    shipped = Path(__file__).parents[1] / "courses"
    assert not [p for p in shipped.rglob("*.zh.md") if "培训师" in p.read_text(encoding="utf-8")]
