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
    # Sanitising again (as for any raw HTML) keeps everything but the blocks' own classes,
    # which only the pipeline's blocks may carry, and prefixes the ids again.
    again = html.replace('id="c-', 'id="c-c-')
    for name in ("template-block", "checklist-item", "checklist"):
        again = again.replace(f' class="{name}"', " ")
    assert sanitize_html(html) == again
    classes = {attrs["class"] for _tag, attrs in elements(html) if "class" in attrs}
    assert classes == {"template-block", "checklist", "checklist-item"}
    for tag, attrs in elements(html):
        assert tag not in ("script", "style", "button", "form", "input")
        assert not any(name.startswith("on") or name == "style" for name in attrs), (tag, attrs)


def test_lesson_markdown_cannot_borrow_the_page_classes_nor_the_block_classes():
    html = render_markdown('<div class="template-block button primary">x</div>\n\n'
                           '<ul class="checklist flash"><li class="checklist-item wide">y</li></ul>\n\n'
                           '<button class="copy-button" onclick="steal()">Copy</button>').html
    assert "class=" not in html  # raw HTML: neither the page's classes nor our blocks'
    assert "button" not in html and "steal" not in html


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


def test_raw_html_cannot_pass_for_one_of_our_blocks():
    """A hand-written <li class="checklist-item"> or <div class="template-block"> in the
    Markdown is not a checklist item or a template: only the pipeline's blocks carry those
    classes (they hold a mark raw HTML cannot know)."""
    forged = ('<ul class="checklist"><li class="checklist-item" id="check-fake">'
              '<ul><li>inner</li></ul>tick me</li></ul>\n\n'
              '<div class="template-block"><pre><code>copy me</code></pre></div>\n\n'
              'Some <span class="checklist-item">inline</span> text.\n\n' + LESSON)
    rendered = render_markdown(forged)
    classes = [attrs.get("class") for _tag, attrs in elements(rendered.html) if "class" in attrs]
    assert classes.count("checklist-item") == 2 and classes.count("template-block") == 1
    assert classes.count("checklist") == 1
    assert not re.search(r'class="checklist-item"[^>]*id="c-check-fake"', rendered.html)
    assert [item for _line, item in rendered.checklist] == ["write-welcome", "send-to-one"]
    assert "b-" not in " ".join(c for c in classes if c)  # the mark never reaches the page
