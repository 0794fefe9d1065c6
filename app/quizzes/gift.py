r"""Moodle GIFT import: GIFT text -> question data -> our quiz Markdown (docs/course-format.md).

`parse_gift(text)` reads a GIFT file the way Moodle's qformat_gift does (question/format/gift):
questions are separated by blank lines; lines starting with `//` are comments (`[id:…]` and
`[tag:…]` in them give the idnumber and tags); `$CATEGORY: path` sets the category of the
questions after it; `::name::` names a question; `[moodle|html|plain|markdown]` sets a text
format; `{…}` is the answer block (`=` right, `~` wrong, `~%50%` / `=%50%` weights, `#feedback`,
`####general feedback`, `{T}` `{FALSE#wrong#right}`, `{#3:2}` `{#3.141..3.142}` `{#=1822:0
=%50%1822:2}`, `{=a -> b}` matching, `{}` essay, no block = description). When text follows the
closing brace the block is a missing word and `_____` takes its place in the question text.
`\\ \~ \= \# \{ \} \:` are escapes and `\n` is a line break. Malformed input raises
`GiftError(line, reason)` (a ValueError whose message is "line N: reason").

Where Moodle is lax this parser is stricter: an unclosed or stray brace, a second answer block,
an empty answer, a weight outside -100%..100%, a non-numeric numerical answer, a matching pair
without `->` or a choice question with fewer than two answers are errors, not silent imports.
A weight after `=` in a choice question (`=%50%x`) is read as a weight (Moodle keeps it as text).
Numerical answers keep Moodle's midpoint/tolerance form; `minimum`/`maximum` are set only when
the answer was written as a range (`3.141..3.142`), so the writer can keep the author's form.
`line` is the 1-based line of the question's first non-comment line; `name` is "" when the
question has no `::name::`. Truefalse questions get two answers, "True" and "False" (fraction 1
on the right one, each with the feedback shown to a learner who picks it) and `correct_answer`.

`convert_gift(questions)` writes one quiz file in our format and says exactly what did not come
across: the questions it skipped, and per converted question what was lost (`to_quiz_markdown`
gives the file and the skipped list only). Moodle's fractions become credits
(docs/course-format.md), so a converted question scores every answer as Moodle does:
single-answer choices keep each option's fraction (several 100% options are each fully right);
multiple-response choices carry a percentage on every option, which makes ours add up the
picked options' credits within 0..100% as Moodle does; short answers get the credit Moodle gives
exactly that text (the first matching answer in Moodle's order, a wildcard included); numerical
answers keep Moodle's order, since both take the first range that holds the number. Lost, and
reported: per-answer feedback on short-answer and numerical questions, `*` wildcards with a
credit, answers that read the same here but score differently in Moodle, Moodle ID numbers,
tags and categories. Matching, essay and description items, and questions nobody could score
100% on, are skipped with a reason.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .grading import normalize_text

__all__ = [
    "FORMATS", "QTYPES", "GiftAnswer", "GiftConversion", "GiftError", "GiftPair", "GiftQuestion",
    "convert_gift", "extract_idnumber_and_tags", "moodle_text_fraction", "moodle_text_matches",
    "parse_gift", "to_quiz_markdown",
]

FORMATS = ("moodle", "html", "plain", "markdown")
QTYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "match", "essay", "description")


class GiftError(ValueError):
    """Malformed GIFT input; `line` is 1-based, the message reads "line N: reason"."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class GiftAnswer:
    text: str
    fraction: float  # 1 = 100%, 0.5 = 50%, -1 = -100%
    feedback: str
    tolerance: float | None = None  # numerical only; None for the catch-all "*" answer
    minimum: float | None = None  # numerical answers written as a range only
    maximum: float | None = None
    text_format: str = "moodle"
    feedback_format: str = "moodle"


@dataclass
class GiftPair:
    subquestion: str
    answer: str
    text_format: str = "moodle"  # of the subquestion; inherits the question text's format


@dataclass
class GiftQuestion:
    line: int
    name: str
    qtype: str
    text: str
    text_format: str
    single: bool = True  # multichoice: False = multiple response (Moodle: no "=" answer)
    answers: list[GiftAnswer] = field(default_factory=list)
    pairs: list[GiftPair] = field(default_factory=list)
    general_feedback: str = ""
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    general_feedback_format: str = "moodle"
    correct_answer: bool | None = None  # truefalse only


# ---------------------------------------------------------------------------------------------
# Parsing

# Escaped characters are swapped for Unicode noncharacters (never used in interchanged text)
# while the control characters are interpreted, then restored; Moodle does the same with
# "&&058;"-style placeholders.
_ESCAPABLE = "\\:#={}~n"
_PLACEHOLDER = {char: chr(0xFDD0 + i) for i, char in enumerate(_ESCAPABLE)}
_RESTORE = {ord(p): ("\n" if char == "n" else char) for char, p in _PLACEHOLDER.items()}
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_NONCHARACTER = re.compile("[\uFDD0-\uFDD7]")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_ID_TOKEN = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_TOKEN = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])+)\]")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    return _ESCAPE.sub(lambda m: _PLACEHOLDER[m.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _with_format(raw: str, default: str) -> tuple[str, str]:
    """Moodle's parse_text_with_format: an optional [format] prefix, then unescape and trim."""
    raw = raw.strip()
    fmt = default
    match = re.match(r"\[([^\]]*)\]", raw)
    if match and match.group(1) in FORMATS:
        fmt, raw = match.group(1), raw[match.end():]
    return _restore(raw).strip(), fmt


def _pieces(text: str, starters: str) -> list[tuple[int, str]]:
    """Split before each starter character; (offset, piece). A blank leading piece is dropped."""
    cuts = [i for i, char in enumerate(text) if char in starters]
    bounds = [0, *cuts, len(text)]
    # Every piece but the first starts with its starter, so only the first can be blank.
    return [(a, text[a:b]) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def extract_idnumber_and_tags(comment: str) -> tuple[str, list[str]]:
    """The `[id:…]` and `[tag:…]` tokens of a question's comment lines (`\\]` escapes a `]`)."""
    match = _ID_TOKEN.search(comment)
    idnumber = match.group(1).strip().replace("\\]", "]") if match else ""
    tags = [raw.strip().replace("\\]", "]") for raw in _TAG_TOKEN.findall(comment)]
    return idnumber, tags


def parse_gift(text: str) -> list[GiftQuestion]:
    """All questions of a GIFT file, in order. Raises GiftError on malformed input."""
    if not isinstance(text, str):
        raise TypeError("parse_gift() takes the text of a GIFT file (str)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    questions: list[GiftQuestion] = []
    category: str | None = None
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n") + [""], start=1):
        if line.strip():
            if _NONCHARACTER.search(line):
                raise GiftError(number, "unsupported character U+FDD0..U+FDD7 (a Unicode "
                                        "noncharacter) in the text")
            block.append((number, line))
        elif block:
            category = _read_block(block, category, questions)
            block = []
    return questions


def _read_block(block: list[tuple[int, str]], category: str | None,
                questions: list[GiftQuestion]) -> str | None:
    comments = [line.strip() for _, line in block if line.strip().startswith("//")]
    lines = [(n, line) for n, line in block if not line.strip().startswith("//")]
    while lines and lines[0][1].strip().startswith("$CATEGORY:"):
        category = _restore(_protect(lines.pop(0)[1].strip()[len("$CATEGORY:"):])).strip()
    if lines:
        questions.append(_read_question(lines, "".join(c + "\n" for c in comments), category))
    return category


def _read_question(lines: list[tuple[int, str]], comments: str,
                   category: str | None) -> GiftQuestion:
    numbers = [n for n, _ in lines]
    full = _protect("\n".join(line for _, line in lines))

    def line_at(offset: int) -> int:
        return numbers[min(full.count("\n", 0, offset), len(numbers) - 1)]

    start = numbers[0]
    pos = len(full) - len(full.lstrip())
    name = ""
    if full.startswith("::", pos):
        end = full.find("::", pos + 2)
        if end < 0:
            raise GiftError(line_at(pos), "the question name starts with '::' but has no "
                                          "closing '::' (write \\: for a literal colon)")
        name = " ".join(_restore(full[pos + 2:end]).split())
        pos = end + 2
        while pos < len(full) and full[pos].isspace():
            pos += 1
    body = full[pos:].rstrip()
    opening, closing = body.find("{"), body.find("}")

    def where(offset: int) -> int:
        return line_at(pos + offset)

    idnumber, tags = extract_idnumber_and_tags(comments)
    question = GiftQuestion(line=start, name=name, qtype="description", text="",
                            text_format="moodle", category=category, tags=tags,
                            idnumber=idnumber)
    if opening < 0 and closing < 0:
        if not body:
            raise GiftError(start, "the question has no text and no answer block")
        question.text, question.text_format = _with_format(body, "moodle")
        question.general_feedback_format = question.text_format
        return question
    if opening < 0:
        raise GiftError(where(closing), "'}' without an opening '{' (write \\} for a literal "
                                        "brace)")
    if closing < 0:
        raise GiftError(where(opening), "unclosed '{': the answer block must end with '}' "
                                        "before the next blank line (write \\{ for a literal "
                                        "brace)")
    if closing < opening:
        raise GiftError(where(closing), "'}' before the answer block's '{' (write \\} for a "
                                        "literal brace)")
    inner = body.find("{", opening + 1, closing)
    if inner >= 0:
        raise GiftError(where(inner), "'{' inside an answer block (write \\{ for a literal "
                                      "brace)")
    extra = re.search(r"[{}]", body[closing + 1:])
    if extra:
        raise GiftError(where(closing + 1 + extra.start()),
                        "a question has only one answer block {…} (write \\{ and \\} for "
                        "literal braces)")

    raw_answers = body[opening + 1:closing]
    answer_text = raw_answers.strip()
    answer_base = opening + 1 + len(raw_answers) - len(raw_answers.lstrip())
    if closing == len(body) - 1:
        question_text = body[:opening]
    else:  # missing word: the blank goes where the answer block was
        question_text = body[:opening] + "_____" + body[closing + 1:]
    general_feedback = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        general_feedback = answer_text[separator + 4:]
        answer_text = answer_text[:separator].strip()

    question.text, question.text_format = _with_format(question_text, "moodle")
    fmt = question.text_format
    question.general_feedback, question.general_feedback_format = _with_format(
        general_feedback, fmt)
    block_line = where(opening)

    def piece_line(offset: int) -> int:
        return where(answer_base + offset + len(answer_text[offset:]) -
                     len(answer_text[offset:].lstrip()))

    if answer_text == "":
        question.qtype = "essay"
    elif answer_text[0] == "#":
        question.qtype = "numerical"
        question.answers = _numerical(answer_text, fmt, piece_line)
    elif "~" in answer_text:
        question.qtype = "multichoice"
        question.single = "=" in answer_text
        question.answers = _multichoice(answer_text, fmt, piece_line)
        if len(question.answers) < 2:
            raise GiftError(block_line, "a multiple-choice question needs at least two answers")
    elif "=" in answer_text and "->" in answer_text:
        question.qtype = "match"
        question.pairs = _matching(answer_text, fmt, piece_line)
        if len(question.pairs) < 2:
            raise GiftError(block_line, "a matching question needs at least two pairs "
                                        "(=question -> answer)")
    elif answer_text.split("#", 1)[0].strip() in _TF:
        question.qtype = "truefalse"
        bits = answer_text.split("#", 2) + ["", ""]
        correct = _TF[bits[0].strip()]
        wrong, wrong_fmt = _with_format(bits[1], fmt)
        right, right_fmt = _with_format(bits[2], fmt)
        true_fb, false_fb = ((right, right_fmt), (wrong, wrong_fmt)) if correct else \
            ((wrong, wrong_fmt), (right, right_fmt))
        question.correct_answer = correct
        question.answers = [
            GiftAnswer("True", 1.0 if correct else 0.0, true_fb[0], text_format=fmt,
                       feedback_format=true_fb[1]),
            GiftAnswer("False", 0.0 if correct else 1.0, false_fb[0], text_format=fmt,
                       feedback_format=false_fb[1]),
        ]
    else:
        question.qtype = "shortanswer"
        question.answers = _shortanswer(answer_text, fmt, piece_line)
    return question


def _weight(text: str, line: int) -> tuple[float | None, str]:
    match = _WEIGHT.match(text)
    if not match:
        return None, text
    percent = float(match.group(1))
    if not -100 <= percent <= 100:
        raise GiftError(line, f"answer weight {match.group(1)}% is outside -100%..100%")
    return percent / 100, text[match.end():]


def _comment(text: str, fmt: str) -> tuple[str, str, str, str]:
    head, separator, tail = text.partition("#")
    answer, answer_fmt = _with_format(head, fmt)
    feedback, feedback_fmt = _with_format(tail, fmt) if separator else ("", fmt)
    return answer, answer_fmt, feedback, feedback_fmt


def _multichoice(answer_text: str, fmt: str, piece_line) -> list[GiftAnswer]:
    answers = []
    for offset, piece in _pieces(answer_text, "~="):
        line = piece_line(offset)
        fraction = 0.0
        if piece.startswith("="):
            fraction, piece = 1.0, piece[1:]
        elif piece.startswith("~"):
            piece = piece[1:]
        weight, piece = _weight(piece.strip(), line)
        if weight is not None:
            fraction = weight
        text, text_fmt, feedback, feedback_fmt = _comment(piece, fmt)
        if not text:
            raise GiftError(line, "empty answer in a multiple-choice question")
        answers.append(GiftAnswer(text, fraction, feedback, text_format=text_fmt,
                                  feedback_format=feedback_fmt))
    return answers


def _shortanswer(answer_text: str, fmt: str, piece_line) -> list[GiftAnswer]:
    answers = []
    for offset, piece in _pieces(answer_text, "="):
        line = piece_line(offset)
        weight, piece = _weight(piece.removeprefix("=").strip(), line)
        text, text_fmt, feedback, feedback_fmt = _comment(piece, fmt)
        if not text:
            raise GiftError(line, "empty answer in a short-answer question")
        answers.append(GiftAnswer(text, 1.0 if weight is None else weight, feedback,
                                  text_format=text_fmt, feedback_format=feedback_fmt))
    return answers


def _matching(answer_text: str, fmt: str, piece_line) -> list[GiftPair]:
    pairs = []
    for offset, piece in _pieces(answer_text, "="):
        piece = piece.removeprefix("=")
        if "->" not in piece:
            raise GiftError(piece_line(offset), "a matching pair needs '->' "
                                                "(=question -> answer)")
        subquestion, _, answer = piece.partition("->")
        text, text_fmt = _with_format(subquestion, fmt)
        answer = _restore(answer).strip()
        if not answer:
            raise GiftError(piece_line(offset), "a matching pair needs an answer after '->'")
        pairs.append(GiftPair(text, answer, text_fmt))
    return pairs


def _decimal(text: str, line: int, what: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise GiftError(line, f"{what} '{text}' is not a number")
    return Decimal(text)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _numerical(answer_text: str, fmt: str, piece_line) -> list[GiftAnswer]:
    rest = answer_text[1:]
    wrong = None
    tilde = rest.find("~")
    if tilde >= 0:
        wrong, rest = (tilde + 1, rest[tilde:]), rest[:tilde]
    answers = []
    for offset, piece in _pieces(rest, "="):
        line = piece_line(offset + 1)
        weight, piece = _weight(piece.removeprefix("=").strip(), line)
        value, value_fmt, feedback, feedback_fmt = _comment(piece, fmt)
        answer = GiftAnswer(value, 1.0 if weight is None else weight, feedback,
                            text_format=value_fmt, feedback_format=feedback_fmt)
        if value == "*":
            pass  # Moodle's catch-all answer: any number; kept as is, skipped when converting
        elif ".." in value[1:]:
            low, high = (part.strip() for part in value.split("..", 1))
            lo, hi = _decimal(low, line, "range start"), _decimal(high, line, "range end")
            if lo > hi:
                raise GiftError(line, f"numerical range {low}..{high} starts above its end")
            answer.text = _decimal_text((lo + hi) / 2)
            answer.tolerance = float((hi - lo) / 2)
            answer.minimum, answer.maximum = float(lo), float(hi)
        elif ":" in value[1:]:
            number, tolerance = (part.strip() for part in value.split(":", 1))
            _decimal(number, line, "answer")
            margin = _decimal(tolerance, line, "tolerance")
            if margin < 0:
                raise GiftError(line, f"tolerance '{tolerance}' is negative")
            answer.text, answer.tolerance = number, float(margin)
        else:
            _decimal(value, line, "answer")
            answer.tolerance = 0.0
        answers.append(answer)
    if not answers:
        raise GiftError(piece_line(0), "a numerical question needs at least one answer "
                                       "({#answer}, {#answer:tolerance} or {#min..max})")
    if wrong is not None:
        offset, text = wrong
        head, _, tail = text[1:].partition("#")
        if head.strip():
            raise GiftError(piece_line(offset), "in a numerical question '~' only gives the "
                                                "feedback for wrong answers (~#feedback)")
        feedback, feedback_fmt = _with_format(tail, fmt)
        answers.append(GiftAnswer("*", 0.0, feedback, text_format=fmt,
                                  feedback_format=feedback_fmt))
    return answers


# ---------------------------------------------------------------------------------------------
# Our quiz Markdown

class _Unsupported(Exception):
    """A GIFT question our quiz format cannot express; the message says why."""


_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.S)
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]{}|]")
_ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_FULL = 1 - 1e-6  # as the quiz parser: Moodle's own margin for "100%"


def _escape_chars(text: str, entities: bool) -> str:
    if entities:
        return _INLINE_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", text)
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def _protect_start(line: str, entities: bool, inline: bool = False) -> str:
    """Keep a line from starting a list, quote, heading, rule or (not inline) setext underline."""
    stripped = line.lstrip()
    lead = line[:len(line) - len(stripped)]
    if not stripped:
        return line
    number = re.match(r"\d+(?=[.)](?:\s|$))", stripped)
    cut = number.end() if number else 0
    char = stripped[cut]
    marker = char in "+-*" and (len(stripped) == 1 or stripped[1].isspace()
                                or re.fullmatch(r"[-*_\s]{3,}", stripped))
    underline = not inline and re.fullmatch(r"=+\s*", stripped)
    if not (number or char in "#>" or marker or underline):
        return line
    if entities or char == "=":
        escaped = f"&#{ord(char)};"
    else:
        escaped = "\\" + char
    return lead + stripped[:cut] + escaped + stripped[cut + 1:]


def _markdown_lines(text: str, fmt: str, inline: bool = False) -> list[str]:
    """Text in a GIFT format as Markdown lines that cannot break the quiz file."""
    entities = False
    if fmt == "markdown":
        out = text.replace("{", "\\{").replace("}", "\\}")
    elif fmt == "plain":
        out = _escape_chars(text.replace("&", "&amp;").replace("<", "&lt;"), False)
    elif fmt == "html" or _TAG.search(text):  # HTML: escape outside tags, with entities
        entities = True
        parts, last = [], 0
        for tag in _TAG.finditer(text):
            parts += [_escape_chars(text[last:tag.start()], True), tag.group()]
            last = tag.end()
        out = "".join(parts) + _escape_chars(text[last:], True)
    else:
        out = _escape_chars(text, False)
    lines = out.split("\n")
    if fmt in ("moodle", "plain"):
        lines = [line.strip() for line in lines]
    return [_protect_start(line.rstrip(), entities, inline) for line in lines if line.strip()]


def _inline(text: str, fmt: str) -> str:
    # One line, and runs of spaces as one: a page shows them so anyway.
    return " ".join(" ".join(_markdown_lines(text, fmt, inline=True)).split())


def _plain(text: str, fmt: str) -> str:
    if fmt in ("html", "moodle"):
        text = html.unescape(_TAG.sub(" ", text))
    elif fmt == "markdown":
        text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def _heading_text(text: str) -> str:
    out = _escape_chars(_ENTITY.sub("&amp;", text).replace("<", "&lt;"), False)
    return _protect_start(out, False)


def _shorten(text: str, limit: int = 80) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _title_and_body(q: GiftQuestion) -> tuple[str, list[str]]:
    plain = _plain(q.text, q.text_format)
    if q.name:
        title = q.name
        body = _markdown_lines(q.text, q.text_format) if plain != q.name else []
    else:
        lines = [line.strip() for line in q.text.split("\n") if line.strip()]
        simple = plain == " ".join(q.text.split())  # no markup to lose in a plain heading
        if simple and len(lines) == 1 and len(plain) <= 120:
            title, body = plain, []
        elif simple and lines and len(lines[0]) <= 120:
            title, body = lines[0], _markdown_lines("\n".join(lines[1:]), q.text_format)
        else:
            title, body = _shorten(plain), _markdown_lines(q.text, q.text_format)
    return _heading_text(title) or "Question", body


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"['’]", "", text)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:60].rstrip("-")


def _option(text: str, mark: str, feedback: str = "", feedback_fmt: str = "moodle",
            text_fmt: str = "moodle") -> list[str]:
    """An option line; mark is what goes in the box: 'x', ' ' or a credit such as '50%'."""
    label = _inline(text, text_fmt)
    if not label:
        raise _Unsupported("an option has no text")
    lines = [f"- [{mark}] {label}"]
    note = _inline(feedback, feedback_fmt)
    if note:
        lines.append(f"  > Feedback: {note}")
    return lines


def _percent(fraction: float) -> str:
    """0.5 -> '50%', -0.3333333 -> '-33.33333%' (Moodle keeps 7 decimals of a fraction)."""
    return _decimal_text(Decimal(repr(round(fraction * 100, 5)))) + "%"


def _choice(q: GiftQuestion) -> tuple[str, list[str], list[str]]:
    if len(q.answers) < 2:
        raise _Unsupported("a choice question needs at least two options")
    fractions = [a.fraction for a in q.answers]
    if q.single:
        full = sum(f >= _FULL for f in fractions)
        if not full:
            raise _Unsupported("no option is worth 100% in this single-answer question")
        qtype = "single"
        # One 100% option and the rest 0%: the plain [x] / [ ] form says it all.
        weighted = full > 1 or any(f not in (0.0, 1.0) for f in fractions)
    else:
        # Moodle adds up the credits of the picked options (kept within 0..100%); percentages
        # on every option make our multiple question score the same way.
        positive = sum(f for f in fractions if f > 0)
        if positive < _FULL:
            raise _Unsupported(f"the positive weights add up to {_percent(positive)}, so nobody "
                               "can earn full marks, which our quiz format refuses")
        qtype, weighted = "multiple", True
    lines = []
    for answer in q.answers:
        mark = _percent(answer.fraction) if weighted else ("x" if answer.fraction >= _FULL else " ")
        lines += _option(answer.text, mark, answer.feedback, answer.feedback_format,
                         answer.text_format)
    return qtype, lines, []


def _truefalse(q: GiftQuestion) -> tuple[str, list[str], list[str]]:
    by_label = {a.text.lower(): a for a in q.answers}
    true, false = by_label.get("true"), by_label.get("false")
    correct = q.correct_answer
    if correct is None:
        if true is None:
            raise _Unsupported("a true/false question without its correct answer")
        correct = true.fraction > 0
    lines = _option("True", "x" if correct else " ", true.feedback if true else "",
                    true.feedback_format if true else q.text_format)
    lines += _option("False", " " if correct else "x", false.feedback if false else "",
                     false.feedback_format if false else q.text_format)
    return "truefalse", lines, []


_STARS = re.compile(r"(?<!\\)\*+")
_LOOKS_LIKE_MARK = re.compile(r"\[(?:[ xX]|-?\d{1,3}(?:\.\d+)?\s*%)\]")


def moodle_text_matches(pattern: str, response: str) -> bool:
    r"""Moodle's short-answer comparison (compare_string_with_wildcard, case ignored as GIFT
    imports it): NFC, `*` matches anything (`\*` is a star), the response trimmed."""
    pattern = unicodedata.normalize("NFC", pattern)
    response = unicodedata.normalize("NFC", response).strip()
    bits = [re.escape(bit.replace("\\*", "*")) for bit in _STARS.split(pattern)]
    return re.fullmatch(".*".join(bits), response, re.IGNORECASE | re.DOTALL) is not None


def moodle_text_fraction(q: GiftQuestion, response: str) -> float:
    """What Moodle gives a typed response: the fraction of the first answer that matches."""
    return next((a.fraction for a in q.answers if moodle_text_matches(a.text, response)), 0.0)


def _shortanswer_items(q: GiftQuestion) -> tuple[str, list[str], list[str]]:
    lost: list[str] = []
    written: dict[str, tuple[str, float]] = {}  # our reading of the answer -> (text, credit)
    for answer in q.answers:
        text = " ".join(answer.text.split())
        if answer.feedback:
            lost.append(f"the feedback on the answer '{text}' (text questions have no "
                        "per-answer feedback)")
        if _STARS.search(answer.text):
            if answer.fraction:
                lost.append(f"the answer '{text}' (Moodle's '*' wildcard, worth "
                            f"{_percent(answer.fraction)}): answers only it accepts score 0 here")
            continue
        text = text.replace("\\*", "*")
        # The credit Moodle gives to exactly this text: an earlier answer (a wildcard too)
        # may take it first.
        credit = moodle_text_fraction(q, answer.text.replace("\\*", "*"))
        key = normalize_text(text)
        if not key:
            lost.append(f"the answer '{text}' is only punctuation or spaces, which text "
                        "questions ignore")
            continue
        if key in written:
            other, other_credit = written[key]
            if other_credit != credit:
                lost.append(f"the answers '{other}' and '{text}' read the same here (case, "
                            f"width and punctuation are ignored); Moodle gives them "
                            f"{_percent(other_credit)} and {_percent(credit)}, here both "
                            f"score {_percent(other_credit)}")
            continue
        written[key] = (text, credit)
    lines = []
    for text, credit in written.values():
        if not credit:
            continue  # 0% is what any answer not listed scores
        if credit >= _FULL and not _LOOKS_LIKE_MARK.match(text):
            lines.append(f"- {text}")
        else:  # a credit in front also keeps '[x] …' from reading as a choice option
            lines.append(f"- [{_percent(credit)}] {text}")
    if not any(credit >= _FULL for _text, credit in written.values()):
        if any(_STARS.search(a.text) and a.fraction >= _FULL for a in q.answers):
            raise _Unsupported("its 100% answers use Moodle's '*' wildcard, which our text "
                               "questions do not support")
        raise _Unsupported("no answer is worth 100%, so nobody can earn full marks, which our "
                           "quiz format refuses")
    return "text", lines, lost


def _number(value: float) -> str:
    return _decimal_text(Decimal(repr(float(value))))


def _numeric_range(answer: GiftAnswer) -> tuple[str, float, float]:
    if answer.minimum is not None and answer.maximum is not None:
        return (f"{_number(answer.minimum)}..{_number(answer.maximum)}", answer.minimum,
                answer.maximum)
    try:
        value = Decimal(answer.text.strip())
    except InvalidOperation:
        raise _Unsupported(f"'{answer.text}' is not a number") from None
    tolerance = abs(answer.tolerance or 0.0)
    spec = f"{_decimal_text(value)} ± {_number(tolerance)}" if tolerance else _decimal_text(value)
    return spec, float(value) - tolerance, float(value) + tolerance


def _numeric_items(q: GiftQuestion) -> tuple[str, list[str], list[str]]:
    # Moodle and our numeric questions both take the first answer whose range holds the
    # number, so the answers are written in Moodle's order.
    lost: list[str] = []
    lines: list[str] = []
    kept: list[tuple[float, float, float]] = []
    for answer in q.answers:
        catch_all = answer.text.strip() == "*"
        spec, low, high = ("", 0.0, 0.0) if catch_all else _numeric_range(answer)
        if answer.feedback:
            label = "any other number" if catch_all else f"the answer {spec}"
            lost.append(f"the feedback on {label} (numeric questions have no per-answer "
                        "feedback)")
        if catch_all:
            if answer.fraction:
                lost.append(f"Moodle gives any other number {_percent(answer.fraction)}; here "
                            "it scores 0")
            break  # nothing after a '*' is ever reached in Moodle
        # An answer inside an earlier one is never reached (in Moodle either).
        if any(lo <= low and high <= hi for lo, hi, _f in kept):
            continue
        kept.append((low, high, answer.fraction))
        # A 0% range is kept too: it still takes the numbers it holds before later ones.
        lines.append(f"- {spec}" if answer.fraction == 1.0
                     else f"- [{_percent(answer.fraction)}] {spec}")
    if not any(f >= _FULL for _lo, _hi, f in kept):
        raise _Unsupported("no answer is worth 100%, so nobody can earn full marks, which our "
                           "quiz format refuses")
    return "numeric", lines, lost


_SKIP = {
    "match": "matching questions are not supported; rewrite as an ordering question",
    "essay": "essay questions are not supported: they need manual grading",
    "description": "description items (text without an answer block) are not questions; "
                   "put this text in a lesson",
}
_CONVERT = {
    "multichoice": _choice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer_items,
    "numerical": _numeric_items,
}


@dataclass
class GiftConversion:
    """A GIFT file as one quiz file, and exactly what did not come across.

    skipped: (line, name, reason) of questions left out; lost: (line, name, what) of what a
    converted question lost; categories: the Moodle categories, which a quiz does not have.
    """
    markdown: str
    converted: int
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    lost: list[tuple[int, str, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.skipped or self.lost or self.categories)


def _metadata_lost(q: GiftQuestion) -> list[str]:
    lost = []
    if q.idnumber:
        lost.append(f"the Moodle ID number '{q.idnumber}'")
    if q.tags:
        lost.append("the Moodle tags " + ", ".join(f"'{tag}'" for tag in q.tags))
    return lost


def convert_gift(questions: list[GiftQuestion], pass_mark: int = 80) -> GiftConversion:
    """One quiz file in our Markdown format, with what was skipped and what was lost.

    Question ids are slugs of the GIFT names (q-<line> when there is none), unique in the file.
    If every question is skipped the file has front matter only, which is not a valid quiz.
    """
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int) or not 1 <= pass_mark <= 100:
        raise ValueError("pass_mark must be a whole number 1-100")
    out = ["---", f"pass_mark: {pass_mark}", "shuffle_options: true", "reveal: feedback_after_attempt",
           "multiple_scoring: partial", "---"]
    result = GiftConversion(markdown="", converted=0)
    used: set[str] = set()
    for q in questions:
        if q.category and q.category not in result.categories:
            result.categories.append(q.category)
        try:
            if q.qtype in _SKIP:
                raise _Unsupported(_SKIP[q.qtype])
            if q.qtype not in _CONVERT:
                raise _Unsupported(f"unknown question type '{q.qtype}'")
            qtype, items, lost = _CONVERT[q.qtype](q)
            title, body = _title_and_body(q)
        except _Unsupported as exc:
            result.skipped.append((q.line, q.name, str(exc)))
            continue
        result.converted += 1
        result.lost += [(q.line, q.name, what) for what in lost + _metadata_lost(q)]
        base = _slug(q.name) or f"q-{q.line}"
        qid, n = base, 2
        while qid in used:
            qid, n = f"{base}-{n}", n + 1
        used.add(qid)
        out += ["", f"## {title} {{#{qid} type={qtype}}}", *body, "", *items]
        feedback = _markdown_lines(q.general_feedback, q.general_feedback_format)
        if feedback:
            out += ["", f"> Feedback: {feedback[0].strip()}",
                    *(f"> {line.strip()}" for line in feedback[1:])]
    result.markdown = "\n".join(out) + "\n"
    return result


def to_quiz_markdown(questions: list[GiftQuestion],
                     pass_mark: int = 80) -> tuple[str, list[tuple[int, str, str]]]:
    """convert_gift() as (markdown, skipped)."""
    result = convert_gift(questions, pass_mark)
    return result.markdown, result.skipped
