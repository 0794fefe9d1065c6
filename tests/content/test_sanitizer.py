"""Hostile trainer Markdown: no script, handler, javascript:/data: URL or frame survives."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.transactions import unit_of_work
from app.content import render_markdown

PAYLOADS = [line for line in (Path(__file__).parents[1] / "data" / "xss-payloads.txt")
            .read_text(encoding="utf-8").splitlines() if line.strip()]
FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style",
                  "meta", "link", "base", "form", "input", "button", "textarea", "select", "svg",
                  "math", "template", "noscript", "isindex", "video", "audio", "source", "body",
                  "marquee", "details", "xss"}
FORBIDDEN_ATTRS = {"style", "srcdoc", "formaction", "action", "background", "dynsrc", "lowsrc"}
URL_ATTRS = {"href", "src", "xlink:href", "data", "poster", "cite"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in FORBIDDEN_ATTRS:
                self.problems.append(f"{tag}[{name}]")
            if name in URL_ATTRS and value:
                squashed = "".join(ch for ch in value if ch > " ").lower()
                if squashed.startswith(BAD_SCHEMES):
                    self.problems.append(f"{tag}[{name}={value!r}]")


def problems_in(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_there_are_at_least_50_payloads():
    assert len(PAYLOADS) >= 50


def test_the_inspector_catches_what_it_should():
    assert problems_in('<script>x</script><a href=" JaVa script:x">') != []
    assert problems_in('<img src=x onerror=alert(1)>') == ["img[onerror]"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_alone_is_neutralised(payload):
    assert problems_in(render_markdown(payload).html) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_inside_markdown_is_neutralised(payload):
    text = f"## Section\n\nSome text {payload} more text.\n\n- item {payload}\n\n> {payload}\n\n| a |\n|---|\n| {payload} |\n"
    assert problems_in(render_markdown(text).html) == []


def test_ordinary_markdown_survives():
    html = render_markdown(
        "## 欢迎语\n\n**加粗** [链接](https://example.com) ![图](/media/a.png)\n\n"
        "!!! tip \"小贴士\"\n    内容\n\n| a | b |\n|---|---|\n| 1 | 2 |\n").html
    assert '<h2 id="c-欢迎语">' in html and "<strong>加粗</strong>" in html
    assert 'href="https://example.com"' in html and 'src="/media/a.png"' in html
    assert '<div class="admonition tip">' in html and "<table>" in html


def test_all_payloads_in_one_imported_lesson_never_reach_the_page(app, client, courses_dir, learner):
    from app.authoring.services import import_curriculum

    lesson = courses_dir / "alpha" / "01-basics" / "01-first.zh.md"
    lesson.write_text("---\ntitle: 危险\n---\n" + "\n\n".join(PAYLOADS), encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(courses_dir)
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    body = page.split('<div class="lesson-body">', 1)[1].split("</article>", 1)[0]
    assert problems_in(body) == []
    # The page's own scripts are files from /assets/ (CSP: no inline script); none from the lesson.
    scripts = re.findall(r"<script[^>]*>", page, re.IGNORECASE)
    assert all(re.fullmatch(r'<script src="/assets/[^"]+" (defer|nonce="[^"]+")[^>]*>', tag)
               for tag in scripts), scripts
