"""The editor previews a role-play file as a walk through its graph: links from each reply to
the node it leads to (no script needed), points and feedback, endings, every node's
reachability, the checker's problems beside it; hostile Markdown stays inert."""
import html as html_lib
import re
from pathlib import Path

from tests.authoring.conftest import trainer  # noqa: F401  (the fixture)

PRICE = Path(__file__).parent.parent / "practice" / "fixtures" / "delta" / "01-first" / \
    "roleplay-price.en.md"
PATH = "01-start/roleplay-price.en.md"


def _section(page: str, node_id: str) -> str:
    match = re.search(rf'<section class="card walk-node[^"]*" id="walk-{node_id}".*?</section>',
                      page, re.S)
    assert match, node_id
    return match.group(0)


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def test_follow_the_replies_from_the_start_to_an_ending(app, trainer):  # noqa: F811
    saved = trainer.save("gamma", PATH, PRICE.read_text(), 0)
    assert saved.status_code == 302
    page = trainer.client.get(f"/author/courses/gamma/files/{PATH}").get_data(as_text=True)
    assert 'href="#walk-start"' in page  # "Start the walk"
    start = _section(page, "start")
    assert "It is 42 on another app. Why is yours 49.90?" in _text(start)
    # The first reply: a link to its node, its points and its feedback beside it.
    link = re.search(r'<a href="#walk-([a-z-]+)">Thanks for telling me. May I see the offer\?</a>',
                     start)
    assert link and link.group(1) == "checked"
    assert "→ #checked · Empathy 2, Honesty 1" in _text(start)
    assert "Accepting her comparison keeps <strong>her trust</strong>" in start
    # Following it: the node it names is there, with the customer's next message.
    following = _section(page, link.group(1))
    assert "So is it the same thing?" in _text(following)
    won = re.search(r'<a href="#walk-([a-z-]+)">Theirs has 36 pods', following).group(1)
    ending = _section(page, won)
    assert "A good ending" in ending and "doing the maths" in ending
    assert 'href="#walk-start">Back to the first message' in ending
    # Every node and whether it is reachable; the missing photo is named beside it by line.
    table = _text(page[page.index("Every node"):])
    assert "#start yes, after 0 choices yes" in table
    assert "#won (ending) yes, after 2 choices is an ending" in table
    assert "Line 13</button>: broken image &#39;photo.svg&#39;" in page


def test_the_live_and_no_script_previews_show_the_walk_and_the_checkers_errors(app, trainer):  # noqa: F811
    text = PRICE.read_text() + "\n## Nobody comes here {#orphan}\nHello?\n\n- Hi {next=won empathy=1}\n  > Feedback: ok\n"
    token = trainer.token()
    live = trainer.client.post(f"/author/courses/gamma/preview/{PATH}",
                               data={"csrf_token": token, "text": text})
    assert live.status_code == 200
    problems = [p["message"] for p in live.json["problems"]]
    assert any("'orphan' cannot be reached from the start" in p for p in problems)
    table = _text(live.json["html"][live.json["html"].index("Every node"):])
    assert "#orphan no: no option leads here yes" in table
    # Without script: the form's Preview button posts the text and gets the same walk.
    page = trainer.client.post(f"/author/courses/gamma/files/{PATH}", data={
        "csrf_token": token, "text": text, "revision": 0, "action": "preview"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="walk-orphan"' in html and "cannot be reached from the start" in html


HOSTILE = """---
title: <script>alert('title')</script>
customer: <img src=x onerror=alert(1)>
dimensions:
  empathy: <b onmouseover=alert(2)>Empathy</b>
  honesty: Honesty
pass_mark: 60
---

## <i onclick=alert(3)>Start</i> {#start}
<script>alert(4)</script> Hello <img src=x onerror=alert(5)> [click](javascript:alert(6))

- <a href="javascript:alert(7)">reply</a> {next=end empathy=1 honesty=1}
  > Feedback: <iframe src="https://evil.example"></iframe> **fine** [x](javascript:alert(8))

## End {#end ending=good}
<style>body{display:none}</style> Done.
"""


def _elements(fragment: str) -> list[tuple[str, list]]:
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(fragment)
    return found


def test_hostile_markdown_in_a_scenario_renders_inert(app, trainer):  # noqa: F811
    live = trainer.client.post(f"/author/courses/gamma/preview/{PATH}",
                               data={"csrf_token": trainer.token(), "text": HOSTILE})
    assert live.status_code == 200
    out = live.json["html"]
    assert 'id="walk-start"' in out and 'href="#walk-end"' in out  # the walk is there
    tags = _elements(out)
    assert not [t for t, _ in tags if t in ("script", "iframe", "style", "object", "embed")]
    attributes = [(name, value or "") for _, attrs in tags for name, value in attrs]
    assert not [a for a in attributes if a[0].startswith("on")]
    assert not [a for a in attributes if "javascript:" in a[1].lower()]
    assert "<strong>fine</strong>" in out  # Markdown still works
    # Option text and labels are text: the tags show as characters, never as elements.
    assert "&lt;a href=" in out and "&lt;i onclick" in out
