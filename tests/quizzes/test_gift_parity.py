"""GIFT scoring parity: an imported question scores every possible answer as Moodle does.

For each question of every GIFT file in shared/conformance/gift (next to the repository), the
test enumerates the responses a learner can give — each option alone, every set of options of
a multiple-response question, each accepted text (and its upper-case form, and a wrong one),
numbers on and just outside every numeric range — and compares the score of the imported
question (convert_gift -> our quiz parser -> our grading) with Moodle's own scoring rules,
written out below from Moodle's question types, not taken from our code:

- multichoice, one answer (question/type/multichoice, qtype_multichoice_single_question::
  grade_response): the chosen answer's fraction, negative ones included;
- multichoice, several answers (qtype_multichoice_multi_question::grade_response): the sum of
  the chosen answers' fractions, clamped to 0..1;
- truefalse: 1 for the right one, 0 for the other;
- shortanswer (question_first_matching_answer_grading_strategy and
  compare_string_with_wildcard): the fraction of the first answer, in order, that matches
  (case ignored as GIFT imports it, NFC, `*` any text, the response trimmed), else 0;
- numerical (qtype_numerical_question::get_matching_answer, nominal tolerance): the fraction
  of the first answer whose [answer - tolerance, answer + tolerance] (plus Moodle's 1e-14 ×
  max(1, |answer|)) holds the number, `*` holding every number; else 0.

The parity figure (questions imported with identical scoring / questions) is printed.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path

import pytest

from app.quizzes.gift import parse_gift, to_quiz_markdown
from app.quizzes.grading import clean_response, question_fraction
from app.quizzes.parser import merge_languages, parse_quiz_file

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "gift"
GIFT_FILES = sorted(CONFORMANCE.rglob("*.txt")) if CONFORMANCE.is_dir() else []
pytestmark = pytest.mark.skipif(
    not GIFT_FILES, reason=f"GIFT conformance data not found at {CONFORMANCE} (shared/ is "
                           "expected next to the repository root)")

GRADABLE = ("multichoice", "truefalse", "shortanswer", "numerical")
MAX_SUBSETS_OF = 10  # every subset up to 2**10 responses; larger questions: sets of up to 3
PHP_PRECISION = 1e-14


# --------------------------------------------------------------------------- Moodle's rules

def moodle_wildcard_match(pattern: str, response: str) -> bool:
    pattern = unicodedata.normalize("NFC", pattern)
    response = unicodedata.normalize("NFC", response).strip()
    parts = re.split(r"(?<!\\)\*+", pattern)
    regex = ".*".join(re.escape(part.replace("\\*", "*")) for part in parts)
    return re.fullmatch(regex, response, flags=re.IGNORECASE | re.DOTALL) is not None


def moodle_numeric_holds(answer, value: float) -> bool:
    if answer.text.strip() == "*":
        return True
    centre = float(answer.text)
    margin = abs(answer.tolerance or 0.0) + PHP_PRECISION * max(1.0, abs(centre))
    return centre - margin <= value <= centre + margin


def moodle_score(question, response) -> float:
    kind = question.qtype
    if response is None:
        return 0.0
    if kind == "multichoice" and question.single:
        return question.answers[response].fraction
    if kind == "multichoice":
        return min(1.0, max(0.0, sum(question.answers[i].fraction for i in response)))
    if kind == "truefalse":
        return 1.0 if response == question.correct_answer else 0.0
    if kind == "shortanswer":
        return next((a.fraction for a in question.answers
                     if moodle_wildcard_match(a.text, response)), 0.0)
    if kind == "numerical":
        return next((a.fraction for a in question.answers if moodle_numeric_holds(a, response)),
                    0.0)
    raise AssertionError(kind)


# --------------------------------------------------------------------------- the responses

def responses(question) -> list:
    """Every response worth trying, in Moodle's terms (option indexes, texts, numbers)."""
    kind, n = question.qtype, len(question.answers)
    if kind == "multichoice" and question.single:
        return [None, *range(n)]
    if kind == "multichoice":
        sizes = range(n + 1) if n <= MAX_SUBSETS_OF else range(4)
        return [set(c) for size in sizes for c in itertools.combinations(range(n), size)]
    if kind == "truefalse":
        return [None, True, False]
    if kind == "shortanswer":
        texts = []
        for answer in question.answers:
            # A wildcard pattern is tried with what a learner might put in the star.
            text = re.sub(r"(?<!\\)\*+", "x", answer.text).replace("\\*", "*")
            texts += [text, text.upper()]
        return [None, *dict.fromkeys(texts), "certainly not an answer"]
    if kind == "numerical":
        values = []
        for answer in question.answers:
            if answer.text.strip() == "*":
                continue
            centre, tolerance = float(answer.text), abs(answer.tolerance or 0.0)
            step = max(tolerance / 4, 1e-4 * max(1.0, abs(centre)))
            values += [centre, centre - tolerance, centre + tolerance,
                       centre - tolerance - step, centre + tolerance + step]
        return [None, *dict.fromkeys(values), 987654.321]
    raise AssertionError(kind)


def our_raw(question, response):
    """The same response as our quiz page sends it (author's option ids a, b, c …)."""
    kind = question.qtype
    if kind == "multichoice" and question.single:
        return chr(97 + response)
    if kind == "multichoice":
        return [chr(97 + i) for i in sorted(response)]
    if kind == "truefalse":
        return "a" if response else "b"  # True is written first
    if kind == "numerical":
        return repr(response)
    return response


# --------------------------------------------------------------------------- the comparison

def imported(question) -> dict | None:
    """The question as our portal stores it after `flask quizzes import-gift`, or None."""
    markdown, skipped = to_quiz_markdown([question])
    if skipped:
        return None
    quiz = merge_languages({"en": parse_quiz_file(markdown, "quiz.en.md")})
    [ours] = quiz["questions"]
    return ours


def our_score(ours: dict, question, response) -> float:
    if response is None:
        return question_fraction(ours, None, "partial")
    return question_fraction(ours, clean_response(ours, our_raw(question, response)), "partial")


def compare(question) -> tuple[str, str]:
    """('same' | 'differs' | 'skipped', detail)."""
    ours = imported(question)
    if ours is None:
        return "skipped", to_quiz_markdown([question])[1][0][2]
    for response in responses(question):
        want, got = moodle_score(question, response), our_score(ours, question, response)
        if abs(want - got) > 1e-6:
            return "differs", f"{response!r}: Moodle {want:g}, here {got:g}"
    return "same", ""


def weighted(question) -> bool:
    """Partial or negative credit, or several fully right answers to one question."""
    fractions = [a.fraction for a in question.answers if a.text.strip() != "*"]
    return any(f not in (0.0, 1.0) for f in fractions) or (
        question.qtype == "multichoice" and question.single and fractions.count(1.0) > 1)


def parity_table() -> list[tuple[str, object, str, str]]:
    rows = []
    for path in GIFT_FILES:
        for question in parse_gift(path.read_text(encoding="utf-8-sig")):
            if question.qtype in GRADABLE:
                verdict, detail = compare(question)
                rows.append((f"{path.relative_to(CONFORMANCE)}:{question.line}", question,
                             verdict, detail))
    return rows


def test_every_gradable_gift_question_scores_as_in_moodle():
    rows = parity_table()
    same = [r for r in rows if r[2] == "same"]
    heavy = [r for r in rows if weighted(r[1])]
    print(f"\nGIFT scoring parity: {len(same)}/{len(rows)} gradable questions imported with "
          f"identical scoring ({sum(r[2] == 'same' for r in heavy)}/{len(heavy)} weighted); "
          f"{sum(r[2] == 'skipped' for r in rows)} skipped")
    for where, question, verdict, detail in rows:
        if verdict != "same":
            print(f"  {verdict}: {where} {question.name or '(no name)'} "
                  f"[{question.qtype}] {detail}")
    assert len(rows) >= 60 and len(heavy) >= 10  # the files are all there
    assert [r for r in rows if r[2] != "same"] == []


def test_the_enumeration_can_tell_a_difference():
    # A multiple-response question under our old rule (right picks / right options − wrong
    # picks / wrong options) must show up as different from Moodle's sum.
    [question] = parse_gift("Which two? {~%50%a ~%50%b ~c ~d}\n")
    ours = imported(question)
    assert ours is not None and compare(question) == ("same", "")
    for option in ours["options"]:
        del option["credit"]  # what the old format would have stored
    worst = max(abs(moodle_score(question, r) - our_score(ours, question, r))
                for r in responses(question))
    assert worst == pytest.approx(1.0)  # all four ticked: Moodle 1, the old rule 0


def test_each_kind_of_question_is_in_the_data():
    rows = parity_table()
    kinds = {(r[1].qtype, r[1].single if r[1].qtype == "multichoice" else None)
             for r in rows if weighted(r[1])}
    assert {("multichoice", True), ("multichoice", False), ("shortanswer", None),
            ("numerical", None)} <= kinds


# --------------------------------------------------------------------------- edge cases

@pytest.mark.parametrize("gift", [
    "Q {=a ~%-50%b ~%25%c}",                               # single, negative and partial
    "Q {=a =b ~c}",                                         # two fully right answers
    "Q {~%100%a ~%-50%b ~%-50%c}",                          # one right box, penalties
    "Q {~%50%a ~%50%b ~%50%c ~%-100%d}",                    # more than 100% to pick from
    "Q {~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}",        # Moodle's thirds
    "Q {=Frog =%50%frog =%25%Toad}",                        # Moodle never reaches 'frog'
    "Q {=%0%Toad =Frog =%50%toad}",                         # a 0% answer taken first
    "Q {#=%50%1820..1830 =1825..1835}",                     # overlapping, first one wins
    "Q {#=1822:0 =%50%1822:2 =%-25%1822:10}",               # narrow first, then wider
    "Q {#=%0%5..6 =1..10}",                                 # a 0% range before a wide one
    "Q {#=3 =%50%3:1 ~#wrong}",                             # 0% catch-all feedback only
])
def test_converted_questions_score_as_in_moodle(gift):
    [question] = parse_gift(gift + "\n")
    assert compare(question) == ("same", "")


@pytest.mark.parametrize("gift, lost", [
    ("Q {=Frog =%50%Fro*}", "'*' wildcard, worth 50%"),
    ("Q {=Frog =%50%frog.}", "read the same here"),
    ("Q {#=3 =%10%*}", "any other number 10%"),
])
def test_what_cannot_score_the_same_is_reported(gift, lost):
    from app.quizzes.gift import convert_gift

    [question] = parse_gift(gift + "\n")
    result = convert_gift([question])
    assert any(lost in what for _line, _name, what in result.lost), result.lost
    assert compare(question)[0] == "differs"  # and it is a real difference, not noise


@pytest.mark.parametrize("gift, reason", [
    ("Q {=%0%* =Frog}", "no answer is worth 100%"),         # Moodle's '*' takes every answer
    ("Q {#=%50%1822:2 =1822}", "no answer is worth 100%"),  # 1822 is inside the 50% range
    ("Q {~%25%a ~%25%b ~c}", "add up to 50%"),
])
def test_questions_nobody_can_pass_in_moodle_are_skipped(gift, reason):
    [question] = parse_gift(gift + "\n")
    verdict, detail = compare(question)
    assert verdict == "skipped" and reason in detail
