"""```template and ```checklist blocks: rendered by the one pipeline, through the sanitiser,
with no inline script or style; the copy button comes from a script file."""
import re
from html.parser import HTMLParser
from pathlib import Path

from app.content import render_markdown
from app.content.render import sanitize_html

ROOT = Path(__file__).resolve().parents[2]
LESSON = """Say hello:

```template
欢迎【名字】进群！<script>alert(1)</script> & "quotes"
第二行 <img src=x onerror=alert(1)>
```

```checklist
- write-welcome: 写好**你自己的**欢迎语 <b onclick="x()">b</b>
- send-to-one: 发给一位新成员
```

After.
"""


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html):
    parser = Elements()
    parser.feed(html)
    return parser.elements


def test_a_template_renders_as_its_text_in_a_template_block():
    html = render_markdown(LESSON).html
    block = re.search(r'<div class="template-block"><pre><code>(.*?)</code></pre></div>', html, re.S)
    assert block, html
    # The text exactly as written, every character escaped: nothing in it is markup.
    assert block.group(1) == ('欢迎【名字】进群！&lt;script&gt;alert(1)&lt;/script&gt; &amp; "quotes"\n'
                              "第二行 &lt;img src=x onerror=alert(1)&gt;")
    assert "<p>After.</p>" in html and "<p>Say hello:</p>" in html


def test_a_checklist_renders_its_items_with_their_ids_and_inline_markdown():
    rendered = render_markdown(LESSON)
    assert rendered.checklist == [(9, "write-welcome"), (10, "send-to-one")]
    assert rendered.templates == 1 and rendered.problems == []
    assert ('<ul class="checklist"><li class="checklist-item" id="c-check-write-welcome">'
            "写好<strong>你自己的</strong>欢迎语 <b>b</b></li>") in rendered.html
    assert '<li class="checklist-item" id="c-check-send-to-one">发给一位新成员</li>' in rendered.html


def test_the_blocks_survive_the_sanitiser_and_nothing_runs_or_styles():
    html = render_markdown(LESSON).html  # render_markdown ends in the sanitiser
    # Sanitising again changes nothing but the id prefix: the blocks are what the list keeps.
    assert sanitize_html(html) == html.replace('id="c-', 'id="c-c-')
    classes = {attrs["class"] for _tag, attrs in elements(html) if "class" in attrs}
    assert classes == {"template-block", "checklist", "checklist-item"}
    for tag, attrs in elements(html):
        assert tag not in ("script", "style", "button", "form", "input")
        assert not any(name.startswith("on") or name == "style" for name in attrs), (tag, attrs)


def test_lesson_markdown_cannot_borrow_more_of_the_page_than_the_block_classes():
    html = render_markdown('<div class="template-block button primary">x</div>\n\n'
                           '<ul class="checklist flash"><li class="checklist-item wide">y</li></ul>\n\n'
                           '<button class="copy-button" onclick="steal()">Copy</button>').html
    assert 'class="template-block"' in html and 'class="checklist"' in html
    assert "button" not in html.replace("template-block", "") and "steal" not in html


def test_other_fenced_code_stays_code_even_when_it_shows_a_template_fence():
    html = render_markdown("````markdown\n```template\nhi\n```\n````\n").html
    assert "template-block" not in html and "```template" in html


def test_the_lesson_page_loads_the_copy_and_tick_script_from_a_file(client, imported, learner):
    page = client.get("/courses/gamma/intro").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all(body.strip() == "" and "src=" in attrs for attrs, body in scripts)
    assert any("/assets/" in attrs and "lesson" in attrs for attrs, _ in scripts)
    assert " style=" not in page and "<style" not in page
    script = (ROOT / "app" / "static" / "js" / "lesson.js").read_text(encoding="utf-8")
    # The Clipboard API first, selecting the text (and execCommand) when it is missing or refused.
    assert "navigator.clipboard.writeText" in script and "execCommand(\"copy\")" in script
    assert "addRange" in script


def test_the_copy_labels_come_in_the_page_language(client, imported, learner):
    chinese = client.get("/courses/gamma/intro").get_data(as_text=True)
    assert 'data-copy-label="复制"' in chinese and 'data-copied-label="已复制"' in chinese
    from tests.conftest import csrf_token

    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client, "/courses")})
    english = client.get("/courses/gamma/intro").get_data(as_text=True)
    assert 'data-copy-label="Copy"' in english and 'data-copied-label="Copied"' in english
