"""Item-writing advice for quizzes (and phone-reading advice for lessons): warnings, not errors.

A quiz a learner can pass by test-wiseness measures nothing: the key is the longest option,
true/false keys all point one way, "all of the above" gives itself away, a negative stem is
misread in a hurry, a repeated option answers another question, a numeric range accepts
nearly anything. Each rule is a small function over the parsed quiz files
(quizzes.parser.ParsedQuiz) returning ItemWarning(file, line, message).

Messages are English on the command line, like a compiler's; the browser shows them in the
trainer's language (ItemWarning.localized).
"""
from __future__ import annotations

import re
import unicodedata

from ..content import ContentError
from ..quizzes.parser import ParsedQuiz, parse_numeric


def _l(text: str) -> str:
    """Marks a message for the catalog; it is translated where it is shown."""
    return text


LONGEST_KEY = _l("the correct option is the longest in %(count)s of %(total)s single-choice "
                 "questions (lines %(lines)s): learners can pass by picking the longest; write "
                 "distractors as long and specific as the key")
TRUEFALSE_ONE_WAY = _l("all %(total)s true/false questions of this quiz are keyed "
                       "'%(key)s' (lines %(lines)s): balance true and false keys")
COURSE_TRUEFALSE_ONE_WAY = _l("all %(total)s true/false questions of this course are keyed "
                              "'%(key)s': balance true and false keys across its quizzes")
CATCH_ALL_OPTION = _l("'%(option)s' gives the answer away (with it, one known wrong option "
                      "rules it out): write a real choice instead")
NEGATIVE_STEM = _l("the question asks for the wrong one ('%(word)s') without emphasis: "
                   "write it as **%(word)s** so a learner in a hurry does not misread it")
REPEATED_OPTION = _l("this option repeats one of question '%(other)s' (line %(other_line)s): one "
                     "question must not answer another")
WIDE_NUMERIC = _l("the accepted answers %(spec)s span %(width)s, more than the value itself: "
                  "almost any guess passes; narrow the tolerance or range")
WIDE_TABLE = _l("this table has %(columns)s columns: on a phone 360 px wide it cannot be "
                "read; keep tables to at most 4 columns (split it, or turn it into a list)")

KEY_WORDS = {True: _l("true"), False: _l("false")}  # translated where shown, like the message
CATCH_ALL_PHRASES = ("all of the above", "none of the above", "以上都对", "以上都不对", "以上皆是",
                     "以上皆非", "以上都是", "以上都不是", "以上全对", "以上全错")
# A stem asking for the wrong answer: English "NOT"/"EXCEPT" in capitals, or "which … not"
# in one clause ("Which of these is not…"); Chinese a negative after the question word in
# one clause ("以下哪项不属于…") or "错误的是". A negative telling the story ("群不是你建的。
# 你怎么做？", "she's not sure") is not a negative stem.
_NEGATIVE_EN = re.compile(r"\b(NOT|EXCEPT)\b|(?i:\bwhich\b[^?.!;:\"“”]*?\b(not)\b)")
_NEGATIVE_ZH = re.compile(r"(?:哪|什么)[^。！？；，,：:“”\"]*?(不是|不属于|不正确|不应该|不应|不恰当|"
                          r"不合适|不能)|(错误的是|不正确的是|不对的是)")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
WIDE_TABLE_COLUMNS = 5


class ItemWarning(ContentError):
    """A warning with a translatable message; `reason` is its English text."""

    def __init__(self, path: str, line: int, message: str, **params):
        super().__init__(path, line, message % params)
        self.message, self.params = message, params

    def __reduce__(self):  # picklable: zip checks run in a child process
        return _rebuild, (self.path, self.line, self.message, self.params)

    def localized(self) -> str:
        from flask_babel import gettext

        words = set(KEY_WORDS.values())
        return gettext(self.message, **{name: gettext(value) if value in words else value
                                        for name, value in self.params.items()})


def _rebuild(path, line, message, params):
    return ItemWarning(path, line, message, **params)


def _plain(text: str) -> str:
    """An option as a learner compares it: no Markdown marks, one width, one case."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[*_`~\[\]()]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", _plain(text).lower())


def _lines(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def longest_key(quiz: ParsedQuiz) -> list[ItemWarning]:
    singles = [q for q in quiz.questions if q.type == "single"]
    flagged = []
    for question in singles:
        lengths = [len(_plain(o.text)) for o in question.options]
        key = next(i for i, o in enumerate(question.options) if o.correct)
        if all(lengths[key] > length for i, length in enumerate(lengths) if i != key):
            flagged.append(question.line)
    if singles and len(flagged) * 2 > len(singles):
        return [ItemWarning(quiz.path, flagged[0], LONGEST_KEY, count=len(flagged),
                            total=len(singles), lines=_lines(flagged))]
    return []


def truefalse_keys(quiz: ParsedQuiz) -> list[tuple[int, bool]]:
    """(line, keyed true) for every true/false question: the true statement comes first."""
    return [(q.line, q.options[0].correct) for q in quiz.questions if q.type == "truefalse"]


def truefalse_one_way(quiz: ParsedQuiz) -> list[ItemWarning]:
    keys = truefalse_keys(quiz)
    if len(keys) >= 3 and len({is_true for _line, is_true in keys}) == 1:
        return [ItemWarning(quiz.path, keys[0][0], TRUEFALSE_ONE_WAY, total=len(keys),
                            key=KEY_WORDS[keys[0][1]],
                            lines=_lines([line for line, _ in keys]))]
    return []


def course_truefalse_one_way(path: str, keys: list[bool]) -> list[ItemWarning]:
    if len(keys) >= 3 and len(set(keys)) == 1:
        return [ItemWarning(path, 1, COURSE_TRUEFALSE_ONE_WAY, total=len(keys),
                            key=KEY_WORDS[keys[0]])]
    return []


def catch_all_options(quiz: ParsedQuiz) -> list[ItemWarning]:
    found = []
    for question in quiz.questions:
        for option in question.options:
            plain = _plain(option.text).lower()
            phrase = next((p for p in CATCH_ALL_PHRASES if p in plain), None)
            if phrase:
                found.append(ItemWarning(quiz.path, option.line, CATCH_ALL_OPTION, option=phrase))
    return found


def negative_word(stem: str) -> str | None:
    """The negative word of a stem when it is not emphasised (**NOT**, **不是**)."""
    bare = _EMPHASIS.sub(" ", stem)
    match = _NEGATIVE_EN.search(bare) or _NEGATIVE_ZH.search(bare)
    return next(group for group in match.groups() if group) if match else None


def negative_stems(quiz: ParsedQuiz) -> list[ItemWarning]:
    found = []
    for question in quiz.questions:
        if question.type == "truefalse":
            continue  # a statement to judge, not a question asking for the wrong option
        word = negative_word(question.title)
        if word:
            found.append(ItemWarning(quiz.path, question.line, NEGATIVE_STEM, word=word))
    return found


def repeated_options(quiz: ParsedQuiz) -> list[ItemWarning]:
    seen: dict[str, tuple[str, int]] = {}
    found = []
    for question in quiz.questions:
        if question.type not in ("single", "multiple"):
            continue  # true/false options are 对/错 everywhere, by design
        mine = set()
        for option in question.options:
            key = _compact(option.text)
            if not key or key in mine:
                continue
            mine.add(key)
            if key in seen:
                other, line = seen[key]
                found.append(ItemWarning(quiz.path, option.line, REPEATED_OPTION, other=other,
                                         other_line=line))
            else:
                seen[key] = (question.id, question.line)
    return found


def wide_numeric(quiz: ParsedQuiz) -> list[ItemWarning]:
    found = []
    for question in quiz.questions:
        if question.type != "numeric":
            continue
        for answer in question.answers:
            spec, line = answer.text, answer.line
            accepted = parse_numeric(spec)
            if accepted is None:
                continue
            width = accepted["max"] - accepted["min"]
            value = abs(accepted.get("value", (accepted["max"] + accepted["min"]) / 2))
            if width > value:
                found.append(ItemWarning(quiz.path, line, WIDE_NUMERIC, spec=spec,
                                         width=f"{width:g}"))
    return found


def quiz_warnings(parsed: dict[str, ParsedQuiz]) -> list[ItemWarning]:
    """Every item-writing warning of one quiz, given its language files (same key in each).

    Wording rules are judged in every language; rules about the key once (the first file).
    """
    warnings: list[ItemWarning] = []
    files = [parsed[locale] for locale in sorted(parsed, key=lambda l: (l != "zh", l))]
    for quiz in files:
        for rule in (longest_key, catch_all_options, negative_stems, repeated_options):
            warnings += rule(quiz)
    if files:
        warnings += truefalse_one_way(files[0]) + wide_numeric(files[0])
    return warnings


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def wide_tables(markdown: str, path: str, first_line: int) -> list[ItemWarning]:
    """Markdown tables of WIDE_TABLE_COLUMNS columns or more (outside fenced blocks)."""
    found, fence = [], None
    rows = markdown.split("\n")
    for number, row in enumerate(rows):
        opening = _FENCE_LINE.match(row)
        if opening:
            mark = opening.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not row.strip().strip(mark[0]):
                fence = None
            continue
        if fence is None and number and _TABLE_RULE.match(row) and "|" in rows[number - 1]:
            columns = len([cell for cell in row.strip().strip("|").split("|")])
            if columns >= WIDE_TABLE_COLUMNS:
                found.append(ItemWarning(path, first_line + number - 1, WIDE_TABLE,
                                         columns=columns))
    return found
