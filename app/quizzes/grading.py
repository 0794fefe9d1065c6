"""Grading rules as pure functions over plain data (quiz version content and responses).

Response shapes, one per question type:
  single, truefalse: {"choice": "b"}      multiple: {"choices": ["a", "c"]}
  text, numeric:     {"text": "..."}      order:    {"order": ["c", "a", "b"]}
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from .ids import SCHEME

MAX_TEXT = 500

# NFKC already folds full-width forms (，！？：；（）Ａ１) to ASCII; these are the CJK
# punctuation marks it leaves alone.
_CJK_PUNCTUATION = str.maketrans({
    "。": ".", "、": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
    "『": '"', "』": '"', "【": "[", "】": "]", "《": "<", "》": ">", "〈": "<", "〉": ">",
    "—": "-", "–": "-", "～": "~", "·": ".", "…": "...", "〜": "~",
})
_TRAILING_PUNCTUATION = ".,;:!?~ "


class ResponseError(ValueError):
    """A response that does not fit its question (unknown option, too long...)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalize_text(value: str) -> str:
    """Ignore case, surrounding and repeated spaces, width, and Chinese vs Latin punctuation."""
    value = unicodedata.normalize("NFKC", value).translate(_CJK_PUNCTUATION).casefold()
    return " ".join(value.split()).strip(_TRAILING_PUNCTUATION)


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(value: str) -> float | None:
    """A number as a learner types it: '1,200', '１２', '¥39.9', '65%', '39.9元'."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    text = text.removeprefix("¥").removesuffix("元").removesuffix("%").strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def clean_response(question: dict, raw) -> dict:
    """Check a submitted value against the question; ResponseError if it cannot be an answer.

    raw: a string, or a list of strings for multiple/order (as a form or JSON sends them).
    """
    kind = question["type"]
    values = raw if isinstance(raw, list) else [raw]
    if any(not isinstance(v, str) or len(v) > MAX_TEXT for v in values):
        raise ResponseError("too_long")
    if kind in ("single", "truefalse"):
        ids = {option["id"] for option in question["options"]}
        if len(values) != 1 or values[0] not in ids:
            raise ResponseError("unknown_option")
        return {"choice": values[0]}
    if kind == "multiple":
        ids = {option["id"] for option in question["options"]}
        chosen = [v for v in values if v]
        if any(v not in ids for v in chosen) or len(set(chosen)) != len(chosen):
            raise ResponseError("unknown_option")
        return {"choices": sorted(chosen)}
    if kind in ("text", "numeric"):
        if len(values) != 1:
            raise ResponseError("bad_answer")
        return {"text": values[0].strip()}
    if kind == "order":
        ids = {item["id"] for item in question["items"]}
        if len(values) != len(ids) or any(v and v not in ids for v in values):
            raise ResponseError("unknown_option")
        return {"order": values}
    raise ResponseError("bad_answer")


def has_answer(response: dict | None) -> bool:
    if not response:
        return False
    value = next(iter(response.values()))
    return any(value) if isinstance(value, list) else bool(value)


def _credit(option: dict) -> float:
    credit = option.get("credit")
    return credit if credit is not None else (1.0 if option["correct"] else 0.0)


def _weighted(question: dict) -> bool:
    """Options with percentages (docs/course-format.md); old questions have none."""
    return any("credit" in option for option in question.get("options", ()))


def _text_credit(question: dict, given: str) -> float:
    if not given:
        return 0.0
    if any(normalize_text(a) == given for a in question["accepted"]):
        return 1.0
    # The parser refuses two answers that read the same with different credits, so at most
    # one partial answer matches.
    return next((p["credit"] for p in question.get("partial", ())
                 if normalize_text(p["text"]) == given), 0.0)


def question_fraction(question: dict, response: dict | None, multiple_scoring: str) -> float:
    """Share of the question's points earned: 0..1, or down to -1 where an answer has a
    negative credit (a single choice, a text or numeric answer)."""
    if not response:
        return 0.0
    kind = question["type"]
    if kind in ("single", "truefalse"):
        chosen = response.get("choice")
        return next((_credit(o) for o in question["options"] if o["id"] == chosen), 0.0)
    if kind == "multiple":
        chosen = set(response.get("choices", []))
        if _weighted(question):
            # Moodle's rule: the picked options' credits added up, kept within 0..1.
            total = sum(_credit(o) for o in question["options"] if o["id"] in chosen)
            total = round(min(1.0, max(0.0, total)), 6)
            if multiple_scoring == "all_or_nothing":
                return 1.0 if total == 1.0 else 0.0
            return total
        correct = {o["id"] for o in question["options"] if o["correct"]}
        wrong = {o["id"] for o in question["options"]} - correct
        if multiple_scoring == "all_or_nothing":
            return 1.0 if chosen == correct else 0.0
        # Each right option earns its share; each wrong pick takes back a share of the wrong.
        earned = len(chosen & correct) / len(correct)
        penalty = len(chosen & wrong) / len(wrong) if wrong else 0.0
        return max(0.0, earned - penalty)
    if kind == "text":
        return _text_credit(question, normalize_text(response.get("text", "")))
    if kind == "numeric":
        number = parse_number(response.get("text", ""))
        if number is None:
            return 0.0
        # The first range that holds the number decides (a narrow exact answer above a
        # wider one for part credit).
        return next((r.get("credit", 1.0) for r in question["ranges"]
                     if r["min"] - 1e-9 <= number <= r["max"] + 1e-9), 0.0)
    if kind == "order":
        return 1.0 if response.get("order") == [i["id"] for i in question["items"]] else 0.0
    return 0.0


@dataclass
class Grade:
    score: float
    max_score: float
    percent: float
    passed: bool
    questions: dict = field(default_factory=dict)  # id -> {points, max, fraction, answered, late}


def grade(content: dict, layout: dict, responses: dict[str, dict | None],
          late: set[str] = frozenset()) -> Grade:
    """Mark the attempt's drawn questions; `late` ids were answered only after the deadline."""
    settings = content["settings"]
    by_id = {q["id"]: q for q in content["questions"]}
    score = max_score = 0.0
    details = {}
    for question_id in layout["questions"]:
        question = by_id[question_id]
        response = responses.get(question_id)
        fraction = question_fraction(question, response, settings["multiple_scoring"])
        points = round(question["points"] * fraction, 4)
        score += points
        max_score += question["points"]
        details[question_id] = {"points": points, "max": question["points"],
                                "fraction": fraction, "answered": has_answer(response),
                                "late": question_id in late}
    # Negative credits can take points back, never below nothing for the whole attempt.
    score = max(0.0, score)
    percent = round(100 * score / max_score, 2) if max_score else 0.0
    return Grade(score=round(score, 4), max_score=max_score, percent=percent,
                 passed=percent + 1e-9 >= settings["pass_mark"], questions=details)


def draw_layout(content: dict, rng: random.Random) -> dict:
    """Which questions an attempt shows, in which order, with which option order."""
    settings = content["settings"]
    questions = list(content["questions"])
    if settings.get("draw"):
        questions = rng.sample(questions, settings["draw"])
        if not settings["shuffle_questions"]:
            order = {q["id"]: i for i, q in enumerate(content["questions"])}
            questions.sort(key=lambda q: order[q["id"]])
    elif settings["shuffle_questions"]:
        rng.shuffle(questions)
    layout = {"questions": [q["id"] for q in questions], "options": {}, "ids": SCHEME}
    for question in questions:
        if question["type"] == "order":
            ids = [item["id"] for item in question["items"]]
            shuffled = ids[:]
            rng.shuffle(shuffled)
            # Never show the answer as the start, except with two steps: there "not the
            # shown order" would itself be the answer.
            while len(ids) > 2 and shuffled == ids:
                rng.shuffle(shuffled)
            layout["options"][question["id"]] = shuffled
        elif "options" in question:
            ids = [option["id"] for option in question["options"]]
            # True/false keeps its natural order; other choices may shuffle.
            if settings["shuffle_options"] and question["type"] != "truefalse":
                rng.shuffle(ids)
            layout["options"][question["id"]] = ids
    return layout


# Wait after the 1st, 2nd, 3rd … failed attempt, in minutes; the last value repeats.
DEFAULT_COOLDOWN = [0, 10, 60, 240, 1440]


def cooldown_after(failures: int, schedule) -> timedelta:
    """How long a learner waits after her `failures`-th failed attempt.

    schedule: the quiz's `cooldown_minutes`, a whole number (the same wait every time) or a
    list (a wait per failure, the last one repeating).
    """
    if failures <= 0:
        return timedelta(0)
    if isinstance(schedule, list):
        minutes = schedule[min(failures, len(schedule)) - 1] if schedule else 0
    else:
        minutes = schedule or 0
    return timedelta(minutes=minutes)
