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

from app.transactions import unit_of_work
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




def assert_contained(html: str, container: str = "div"):
    parser = Balance()
    parser.feed(f'<{container} id="lesson">')
    parser.ids.clear()
    parser.feed(html)
    parser.goahead(True)  # flush what html.parser holds back, as the end of the page would
    assert parser.problems == [], (parser.problems, html)
    assert parser.stack == [container], (parser.stack, html)
    parser.feed(f"</{container}>")
    parser.close()
    assert parser.stack == [] and parser.problems == []
    for value in parser.ids:
        assert value.startswith(ID_PREFIX), (value, html)
        assert value not in PAGE_IDS
        assert not any(value.startswith(prefix) for prefix in PAGE_ID_PREFIXES if prefix), value


PIECES = [
    "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "<thead>", "<tbody>",
    "<div>", "</div>", "</div></div></div>", "<p>", "</p>", "<span>", "</span>", "<ul>", "<li>",
    "</li>", "<ol start=3>", "<pre>", "</pre>", "<code>", "`", "```", "<b>", "</i>", "<i>",
    "<a href=\"#top\">", "<a href='#login-form'>", "</a>", "<img src=x>", "<br>", "<hr/>",
    "<blockquote>", "<dl><dt>", "<caption>", "<template>", "</template>", "<svg>", "<math>",
    "<textarea>", "</textarea>", "<title>", "<xmp>", "<plaintext>", "<noscript>", "<select>",
    "<form id=\"login-form\">", "</form>", "<input name=\"csrf_token\">", "<button>",
    "<iframe>", "<script>", "</script>", "<style>", "<!--", "-->", "<![CDATA[", "]]>",
    "<span id=\"quiz-form\">", "<div id='csrf_token' name=\"password\">", "<h2 id=editor-form>",
    "## Heading", "### Sub {#login-form}", "{: #preview }", "\n", "\n\n", "    ", "> ",
    "- ", "1. ", "| a | b |\n|---|---|\n| 1 | 2 |", "!!! note \"x\"\n    ", "*", "**", "&",
    "&amp;", "<", ">", "\"", "'", "text", "文字", "[link](#x)", "![i](p.png)", "<abbr title=a>",
    "<object>", "<body>", "<html>", "</body>", "<head>", "<frameset>", "<p/>", "<div/>",
    "<p title=\"x\">",
    # lesson blocks: a template or checklist fence, its items, its end (closed or not)
    "\n```template\n", "\n```checklist\n", "- an-id: text\n", "- Bad_Id: x\n", "\n```\n",
]
soup = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_lesson_html_is_balanced_and_contained(text):
    assert_contained(render_markdown(text).html)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_inline_html_is_balanced_inside_a_span(text):
    assert_contained(render_inline(text), "span")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_toc_anchors_are_ids_in_the_body(text):
    rendered = render_markdown(text)
    parser = Balance()
    parser.feed(rendered.html)
    for entry in rendered.toc:
        assert entry["id"].startswith(ID_PREFIX) and entry["id"] in parser.ids


def test_every_xss_payload_is_contained():
    for payload in PAYLOADS.read_text(encoding="utf-8").splitlines():
        if payload.strip():
            assert_contained(render_markdown(payload).html)
            assert_contained(render_inline(payload), "span")


def test_the_page_ids_were_found_and_none_uses_the_prefix():
    assert {"quiz-form", "editor-form", "preview"} <= PAGE_IDS
    assert not any(value.startswith(ID_PREFIX) for value in PAGE_IDS | PAGE_ID_PREFIXES)


def test_ids_that_would_clobber_the_page_are_prefixed_and_links_follow():
    html = render_markdown('## Sign in {#login-form}\n\n<span id="csrf_token">x</span> '
                           '[back](#login-form)\n').html
    assert 'id="c-login-form"' in html and 'href="#c-login-form"' in html
    assert 'id="c-csrf_token"' in html and 'id="login-form"' not in html


def test_an_unclosed_table_no_longer_swallows_the_rest_of_the_lesson():
    html = render_markdown("Intro\n\n<table>\n<tr><td>cell\n\n## Next part\n\n- item **bold**\n\n"
                           "Last words.\n").html
    assert '<h2 id="c-next-part">Next part</h2>' in html
    assert "<strong>bold</strong>" in html and "<p>Last words.</p>" in html
    assert html.index("</table>") < html.index("<h2")


def test_raw_html_that_is_closed_later_is_kept_as_written():
    html = render_markdown("<table>\n<tr><td>a</td></tr>\n\n<tr><td>b</td></tr>\n</table>\n\n"
                           "after\n").html
    assert html.count("<table>") == 1 and html.index("b</td>") < html.index("</table>")
    assert "<p>after</p>" in html


def test_unwrapping_one_paragraph_never_leaves_half_a_tag():
    assert_contained(render_inline('a\n\n<p title="x">b</p>'), "span")
    assert render_inline("just **one** paragraph") == "just <strong>one</strong> paragraph"


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
    with unit_of_work(app):
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


def test_the_checker_warns_where_raw_html_is_left_open(tmp_path):
    import shutil

    from click.testing import CliRunner

    from app.authoring.cli import check_command

    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "courses" / "alpha", tmp_path / "alpha")
    lesson = tmp_path / "alpha" / "01-basics" / "01-first.en.md"
    lesson.write_text("---\ntitle: First\n---\nIntro\n\n<table>\n<tr><td>cell\n\n## Next\n",
                      encoding="utf-8")
    result = CliRunner().invoke(check_command, [str(tmp_path / "alpha"), "--strict"])
    assert "alpha/01-basics/01-first.en.md:6: warning: <table> is never closed" in result.output
    assert result.exit_code == 1
