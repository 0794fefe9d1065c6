"""Lesson HTML stays inside its container and cannot stand in for the page's own elements.

Property tests over the one sanitiser: whatever Markdown/HTML soup a trainer writes, the
output parsed inside `<div id="lesson">…</div>` leaves that div the only open element, every
tag balanced, every id prefixed and none equal to an id the page templates use.
"""
import re
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content import render_inline, render_markdown
from app.content.render import ID_PREFIX

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
TEMPLATES = Path(__file__).parents[2] / "app" / "templates"
PAYLOADS = Path(__file__).parents[1] / "data" / "xss-payloads.txt"


def template_ids() -> tuple[set[str], set[str]]:
    """Static ids, and the static beginnings of ids built in templates (`question-{{ … }}`)."""
    static, prefixes = set(), set()
    for template in TEMPLATES.rglob("*.html"):
        for value in re.findall(r'\bid="([^"]*)"', template.read_text(encoding="utf-8")):
            if "{{" in value or "{%" in value:
                if not value.startswith("{"):
                    prefixes.add(re.split(r"\{[{%]", value)[0])
            else:
                static.add(value)
    return static, prefixes


PAGE_IDS, PAGE_ID_PREFIXES = template_ids()


class Balance(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.append(value or "")
            if name == "name":
                self.problems.append(f"<{tag} name={value!r}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> with {self.stack[-3:]} open")
            return
        self.stack.pop()




class PageIds(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def test_on_the_lesson_page_toc_links_land_and_lesson_ids_cannot_clobber(app, client,
                                                                         courses_dir, learner):
    from app.authoring.services import import_curriculum

    lesson = courses_dir / "alpha" / "01-basics" / "01-first.zh.md"
    lesson.write_text("---\ntitle: 第一课\n---\n## 欢迎\n正文 [第二节](#login-form)\n\n"
                      "## 第二节 {#login-form}\n<span id=\"csrf_token\">x</span>\n\n## 第三节\n"
                      "[下一课的第二节](02-second.zh.md#第二节)\n", encoding="utf-8")
    (courses_dir / "alpha" / "01-basics" / "02-second.zh.md").write_text(
        "---\ntitle: 第二课\n---\n## 第一节\n文字\n\n## 第二节\n文字\n", encoding="utf-8")
    with app.app_context():
        import_curriculum(courses_dir)
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    parser = PageIds()
    parser.feed(page)
    assert len(parser.ids) == len(set(parser.ids)), "an id repeats on the page"
    assert "login-form" not in parser.ids and "csrf_token" not in parser.ids
    fragments = [href[1:] for href in parser.links if href.startswith("#")]
    assert {"c-欢迎", "c-login-form", "c-第三节"} <= set(fragments)
    assert all(fragment in parser.ids for fragment in fragments), (fragments, parser.ids)
    # A link to a heading of another lesson lands on that lesson's prefixed id.
    other = next(href for href in parser.links if href.startswith("/courses/alpha/second#"))
    target = PageIds()
    response = client.get(other.split("#")[0])
    assert response.status_code == 200, (other, response.status_code, response.headers)
    target.feed(response.get_data(as_text=True))
    assert other.split("#", 1)[1] in target.ids
