"""Markdown → HTML (Python-Markdown) → sanitised HTML (nh3). Nothing else renders Markdown."""
from __future__ import annotations

import bisect
import math
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.toc import slugify_unicode
from markdown.htmlparser import HTMLExtractor, inner_blank_line_re
from markdown.preprocessors import Preprocessor

from .reasons import N_, Reason

EXTENSIONS = ["tables", "fenced_code", "toc", "admonition", "attr_list", "sane_lists"]
EXTENSION_CONFIGS = {"toc": {"toc_depth": "2-3", "permalink": False, "slugify": slugify_unicode}}

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s",
    "del", "ins", "mark", "small", "sub", "sup", "code", "pre", "kbd", "blockquote", "ul", "ol",
    "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "a", "img", "div", "span", "abbr",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
# Only the classes our stylesheet knows (admonitions, code languages): trainer Markdown
# must not dress itself up as the portal's own buttons or notices.
_ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "danger", "attention",
                "error"}
ALLOWED_CLASSES = {
    "div": {"admonition", *_ADMONITIONS, "template-block"},
    "p": {"admonition-title"},
    # ```template and ```checklist blocks (below): copied by static/js/lesson.js, ticked on
    # the lesson page. Nothing else of the page's own look is open to lesson Markdown.
    "ul": {"checklist"},
    "li": {"checklist-item"},
}
# A checklist item's id: stable across edits and languages, it keys the learner's tick.
CHECKLIST_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CHECKLIST_ID_MAX = 60
CHECKLIST_ITEM_PREFIX = "check-"  # the <li>'s id on the page: c-check-<item id>
# Every id from lesson content gets this prefix (and same-page links and the TOC with it), so
# a lesson's `id="login-form"` or `{#csrf_token}` can never stand in for one of the page's own
# elements (DOM clobbering). The page templates use no id starting with it.
ID_PREFIX = "c-"
# Relative URLs (lesson links, uploaded images) pass; javascript:, data:, vbscript: never do.
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "level"}]
    minutes: int = 1
    # (line in the Markdown, 1-based; what the author should know): raw HTML left open
    notes: list[tuple[int, str]] = field(default_factory=list)
    # (line, reason): a ```checklist or ```template block that cannot be read
    problems: list[tuple[int, str]] = field(default_factory=list)
    checklist: list[tuple[int, str]] = field(default_factory=list)  # (line, item id) in order
    templates: int = 0  # ```template blocks


def _url_filter(_tag: str, attribute: str, value: str) -> str | None:
    # Browsers drop tabs and newlines inside URLs ("jav\tascript:"), which an URL parser
    # reads as a harmless relative path; judge the scheme the way the browser will.
    if attribute in ("href", "src"):
        squashed = "".join(ch for ch in value if ch > " ")
        scheme = _SCHEME.match(squashed)
        if scheme and scheme.group(1).lower() not in URL_SCHEMES:
            return None
    return value


def is_relative_url(value: str) -> bool:
    """A link into the course folder: no scheme, not site-absolute, not a page anchor."""
    squashed = "".join(ch for ch in value if ch > " ")
    return bool(squashed) and not _SCHEME.match(squashed) and not squashed.startswith(("/", "#"))


# resolve(attribute, url) → the URL to use, or None to drop it: how lessons' relative links
# and images become portal URLs (see authoring.curriculum).
Resolver = Callable[[str, str], "str | None"]


def content_id(value: str) -> str:
    """The id a lesson's anchor gets on the page (see ID_PREFIX)."""
    return ID_PREFIX + value


BLOCK_CLASSES = {"template-block", "checklist", "checklist-item"}  # only the pipeline's own
_CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def _own_blocks_only(html: str, mark: str | None) -> str:
    """Keep BLOCK_CLASSES only on elements our blocks made (they carry `mark`), drop the mark."""
    def fix(match: re.Match) -> str:
        classes = match.group(1).split()
        if mark is None or mark not in classes:
            classes = [c for c in classes if c not in BLOCK_CLASSES]
        classes = [c for c in classes if c != mark]
        return f'class="{" ".join(classes)}"' if classes else ""

    return _CLASS_ATTRIBUTE.sub(fix, html)


def sanitize_html(html: str, resolve: Resolver | None = None, block_mark: str | None = None) -> str:
    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "id":
            return content_id(value) if value.strip() else None
        value = _url_filter(tag, attribute, value)
        if value is not None and attribute == "href" and value.startswith("#") and len(value) > 1:
            return "#" + content_id(value[1:])
        if value is not None and resolve and attribute in ("href", "src") and is_relative_url(value):
            return resolve(attribute, value)
        return value

    classes = ALLOWED_CLASSES if block_mark is None else {
        tag: names | {block_mark} for tag, names in ALLOWED_CLASSES.items()}
    return _own_blocks_only(nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        allowed_classes=classes,
        attribute_filter=attribute_filter,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ), block_mark)


def reading_minutes(text: str) -> int:
    """About 400 Chinese characters or 200 English words a minute, on a phone."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return max(1, math.ceil(cjk / 400 + words / 200))


def _flatten_toc(tokens: list[dict], out: list[dict]) -> list[dict]:
    for token in tokens:
        out.append({"id": content_id(token["id"]), "name": token["name"], "level": token["level"]})
        _flatten_toc(token.get("children", []), out)
    return out


class _ClosedRawHtml(HTMLExtractor):
    """Python-Markdown's raw-HTML reader, except that a block tag never closed in the rest of
    the lesson (`<table>` and no `</table>`) ends at its first blank line, closed there.

    The stock reader takes everything after such a tag as raw HTML: the rest of the lesson
    turned into one unrendered table cell. nh3 balances the tags either way; this keeps the
    Markdown after the mistake rendered and outside the stray element.
    """

    def __init__(self, md, source: str):
        super().__init__(md)
        self.end_tags: dict[str, list[int]] = {}
        for match in re.finditer(r"</([a-zA-Z][a-zA-Z0-9]*)", source):
            self.end_tags.setdefault(match.group(1).lower(), []).append(match.start())

    def handle_starttag(self, tag, attrs):
        opening = not self.inraw
        super().handle_starttag(tag, attrs)
        if opening and self.inraw:
            self.block = (self.lineno, tag)

    def _note_unclosed(self) -> None:
        line, tag = self.block
        self.md.unclosed_html.append((line, Reason(N_(
            "<%(tag)s> is never closed: it ends, closed, at the next blank line (or the end of "
            "the lesson)"), tag=tag)))

    def close(self):
        if self.inraw and self.stack:
            self._note_unclosed()
        super().close()

    def _closes_later(self, position: int) -> bool:
        tag = self.stack[0]
        ends = self.end_tags.get(tag, [])
        return len(ends) - bisect.bisect_right(ends, position) >= self.stack.count(tag)

    def handle_data(self, data: str):
        if self.inraw and self.stack:
            blank = inner_blank_line_re.search(data)
            if blank and not self._closes_later(self.line_offset + self.offset):
                self._note_unclosed()
                self._cache.append(data[:blank.start()])
                self._cache.extend(f"</{tag}>" for tag in reversed(self.stack))
                self.stack, self.inraw = [], False
                self.cleandoc.append(self.md.htmlStash.store("".join(self._cache)))
                self.cleandoc.append("\n\n")
                self._cache = []
                data = data[blank.start():]
        super().handle_data(data)


class _RawHtmlBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        self.md.unclosed_html = []
        parser = _ClosedRawHtml(self.md, source)
        parser.feed(source)
        parser.close()
        return "".join(parser.cleandoc).split("\n")


_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[ \t]*$")
_CHECKLIST_LINE = re.compile(r"^\s*[-*+]\s+(?P<id>[^:：\s]+)\s*[:：]\s*(?P<text>\S.*)$")


class _LessonBlocks(Preprocessor):
    """```template (a message to copy) and ```checklist (`- id: text` items to tick) fences.

    They become stashed HTML (escaped text, our own classes) before fenced_code sees them;
    the sanitiser still judges the result. Each block keeps its line count, so the lines
    reported after it stay right.
    """

    def run(self, lines: list[str]) -> list[str]:
        self.md.lesson_blocks = {"problems": [], "checklist": [], "templates": 0}
        # Our blocks carry this render's random mark; raw HTML in the lesson cannot know
        # it, so a hand-written <li class="checklist-item"> is not taken for one of ours.
        self.md.block_mark = "b-" + secrets.token_hex(8)
        out: list[str] = []
        index = 0
        while index < len(lines):
            opening = _FENCE.match(lines[index])
            if not opening:
                out.append(lines[index])
                index += 1
                continue
            fence, info = opening.group("fence"), opening.group("info").lower()
            end = next((j for j in range(index + 1, len(lines))
                        if lines[j].strip().startswith(fence[0] * len(fence))
                        and not lines[j].strip().strip(fence[0])), None)
            if info not in ("template", "checklist"):
                # Any other fenced block (code) passes whole: its text is not ours to read.
                stop = len(lines) if end is None else end + 1
                out.extend(lines[index:stop])
                index = stop
                continue
            if end is None:
                self.md.lesson_blocks["problems"].append(
                    (index + 1, Reason(N_("the ```%(kind)s block is never closed (end it with "
                                          "%(fence)s)"), kind=info, fence=fence)))
                out.extend(lines[index:])
                break
            body = lines[index + 1:end]
            html = (self._template(body) if info == "template"
                    else self._checklist(body, index + 2))
            out.extend(["", self.md.htmlStash.store(html)] + [""] * (end - index - 1))
            index = end + 1
        return out

    def _template(self, body: list[str]) -> str:
        self.md.lesson_blocks["templates"] += 1
        text = "\n".join(body).strip("\n")
        return (f'<div class="template-block {self.md.block_mark}"><pre><code>{_escape(text)}'
                '</code></pre></div>')

    def _checklist(self, body: list[str], first_line: int) -> str:
        blocks = self.md.lesson_blocks
        items = []
        for offset, row in enumerate(body):
            line = first_line + offset
            if not row.strip():
                continue
            match = _CHECKLIST_LINE.match(row)
            if not match:
                blocks["problems"].append((line, Reason(N_(
                    "a checklist line reads '- id: what to do' (e.g. '- list-30-names: Write "
                    "down 30 names')"))))
                continue
            item_id = match.group("id")
            if not CHECKLIST_ID.match(item_id) or len(item_id) > CHECKLIST_ID_MAX:
                blocks["problems"].append((line, Reason(N_(
                    "checklist id '%(id)s' may only use a-z, 0-9 and '-' (up to %(count)s)"),
                    id=item_id, count=CHECKLIST_ID_MAX)))
                continue
            if any(seen == item_id for _line, seen in blocks["checklist"]):
                blocks["problems"].append((line, Reason(N_(
                    "checklist id '%(id)s' is used twice in this lesson (each item needs its "
                    "own id)"), id=item_id)))
                continue
            blocks["checklist"].append((line, item_id))
            items.append(f'<li class="checklist-item {self.md.block_mark}" '
                         f'id="{CHECKLIST_ITEM_PREFIX}{item_id}">'
                         f'{_inline_html(match.group("text"))}</li>')
        if not items:
            blocks["problems"].append((first_line - 1, Reason(N_("the checklist has no items"))))
        return f'<ul class="checklist {self.md.block_mark}">' + "".join(items) + "</ul>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_local = threading.local()


def _inline_html(text: str) -> str:
    """One checklist item's Markdown (bold, links…), from a second instance: the main one
    is busy converting the lesson that holds it. Sanitised with the lesson afterwards."""
    md = getattr(_local, "inline_md", None)
    if md is None:
        md = _local.inline_md = markdown.Markdown(output_format="html")
    html = md.reset().convert(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and len(_P_TAG.findall(html)) == 2:
        html = html[3:-4]
    return html


def _markdown() -> markdown.Markdown:
    # Building a Markdown instance with its extensions costs more than converting a short
    # text (quiz options are many short texts): keep one per thread and reset it.
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = markdown.Markdown(extensions=EXTENSIONS,
                                           extension_configs=EXTENSION_CONFIGS,
                                           output_format="html")
        md.preprocessors.register(_RawHtmlBlocks(md), "html_block", 20)  # replaces the stock one
        md.preprocessors.register(_LessonBlocks(md), "lesson_blocks", 27)  # before fenced_code
    return md.reset()


# Python-Markdown's link and autolink patterns rescan from every '[' and '<' of a paragraph,
# so their cost grows with the square of how many there are (16,000 '[' took 30 s), and each
# level of list or quote nesting is a level of recursion (a few hundred hit Python's limit).
# Counted first, in one linear pass; real lessons stay far below (shipped: at most 8 in a
# paragraph, 47 in a file, 2 levels).
MAX_BRACKETS_PER_PARAGRAPH = 200
MAX_BRACKETS = 2000
MAX_NESTING = 20
MAX_FENCES = 200
_NESTING = re.compile(r"^(?:[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t])))+")


def _without_code(text: str) -> str:
    """The text with its fenced code blocks blanked (their lines kept, for line numbers):
    exactly the blocks Python-Markdown's fenced_code sets aside before looking for links, by
    its own pattern. A lone or indented fence is no block and hides nothing. ```checklist
    blocks stay: each item is rendered as Markdown."""
    def blank(match: re.Match) -> str:
        if (match.group("lang") or "").lower() == "checklist":
            return match.group(0)
        return "\n" * match.group(0).count("\n")

    return FencedBlockPreprocessor.FENCED_BLOCK_RE.sub(blank, text)


def shape_problem(text: str) -> tuple[int, str] | None:
    """(line, reason) when the text is built to make rendering slow or deep, else None."""
    # Fence lines first: Python-Markdown's fenced-code pattern (ours too, below) rescans from
    # each unclosed one (10,000 "~~~x" lines took 8 s).
    fences = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip(" ").startswith(("```", "~~~")):
            fences += 1
            if fences > MAX_FENCES:
                return number, Reason(N_("more than %(count)s code fence lines (``` or ~~~) in "
                                         "one file: split the lesson"), count=MAX_FENCES)
    paragraph = total = 0
    for number, line in enumerate(_without_code(text.replace("\r\n", "\n")).split("\n"), start=1):
        if not line.strip():
            paragraph = 0
            continue
        brackets = line.count("[") + line.count("<")
        paragraph, total = paragraph + brackets, total + brackets
        if paragraph > MAX_BRACKETS_PER_PARAGRAPH:
            return number, Reason(N_("more than %(count)s '[' and '<' in one paragraph: split "
                                     "it, or write them as &#91; and &lt;"),
                                  count=MAX_BRACKETS_PER_PARAGRAPH)
        if total > MAX_BRACKETS:
            return number, Reason(N_("more than %(count)s '[' and '<' in one file: split the "
                                     "lesson, or write them as &#91; and &lt;"), count=MAX_BRACKETS)
        markers = _NESTING.match(line)
        indent = len(line) - len(line.lstrip(" \t"))
        depth = (len(re.findall(r"[>*+-]|\d+[.)]", markers.group(0))) if markers else 0) \
            + len(line[:indent].replace("\t", "    ")) // 4
        if depth > MAX_NESTING:
            return number, Reason(N_("lists or quotes are nested more than %(count)s levels "
                                     "deep"), count=MAX_NESTING)
    return None


def _scrolling_tables(html: str) -> str:
    """Each table in a box that scrolls sideways on a narrow phone (words stay whole); the
    box takes keyboard focus so it can be scrolled without a finger. Runs on sanitised,
    balanced HTML, so every <table> has its </table>."""
    return (html.replace("<table>", '<div class="table-scroll" tabindex="0"><table>')
            .replace("</table>", "</table></div>"))


def render_markdown(text: str, resolve: Resolver | None = None) -> Rendered:
    problem = shape_problem(text)
    if problem is not None:
        # Not rendered at all: the text is shown to no one until it is fixed.
        return Rendered(html="", toc=[], minutes=reading_minutes(text), problems=[problem])
    md = _markdown()
    try:
        converted = md.convert(text)
    except RecursionError:
        return Rendered(html="", toc=[], minutes=reading_minutes(text), problems=[
            (1, Reason(N_("the text is nested too deeply to show (lists or quotes inside each "
                          "other)")))])
    html = _scrolling_tables(sanitize_html(converted, resolve, getattr(md, "block_mark", None)))
    toc = _flatten_toc(getattr(md, "toc_tokens", []), [])
    # toc names come from Markdown headings and are shown escaped by Jinja; strip any tags.
    for entry in toc:
        entry["name"] = nh3.clean(entry["name"], tags=set())
    blocks = getattr(md, "lesson_blocks", {})
    return Rendered(html=html, toc=toc, minutes=reading_minutes(text),
                    notes=list(getattr(md, "unclosed_html", [])),
                    problems=list(blocks.get("problems", [])),
                    checklist=list(blocks.get("checklist", [])),
                    templates=blocks.get("templates", 0))


def render_inline(text: str) -> str:
    """Markdown for one line (an option, a heading): sanitised HTML without the outer <p>."""
    html = render_markdown(text).html.strip()
    # Only unwrap a single paragraph: `<p>a</p><p class=…>b</p>` must stay whole, or what
    # is left would close a <p> it never opened.
    if html.startswith("<p>") and html.endswith("</p>") and len(_P_TAG.findall(html)) == 2:
        html = html[3:-4]
    return html


_P_TAG = re.compile(r"</?p[\s>]")
