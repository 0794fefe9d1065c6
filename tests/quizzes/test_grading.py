"""Grading per question type; normalisation and partial credit checked with hypothesis."""
import random

import pytest
from hypothesis import given, strategies as st

from app.quizzes.grading import (ResponseError, clean_response, draw_layout, grade,
                                 normalize_text, parse_number, question_fraction)


def choice(kind, correct, n=4):
    return {"id": "q", "type": kind, "points": 2,
            "options": [{"id": chr(97 + i), "correct": chr(97 + i) in correct} for i in range(n)]}


TEXT = {"id": "t", "type": "text", "points": 1, "accepted": ["开单率", "Order-open rate"]}
NUMERIC = {"id": "n", "type": "numeric", "points": 1,
           "ranges": [{"min": 64.5, "max": 65.5}, {"min": 100, "max": 100}]}
ORDER = {"id": "o", "type": "order", "points": 1, "items": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}


@pytest.mark.parametrize("response, expected", [
    ({"choice": "b"}, 1.0), ({"choice": "a"}, 0.0), (None, 0.0), ({}, 0.0)])
def test_single_choice(response, expected):
    assert question_fraction(choice("single", "b"), response, "partial") == expected


@pytest.mark.parametrize("chosen, partial, strict", [
    (["a", "b"], 1.0, 1.0),
    (["a"], 0.5, 0.0),
    (["a", "b", "c"], 0.5, 0.0),       # one of two wrong options picked takes back half
    (["a", "b", "c", "d"], 0.0, 0.0),  # ticking everything earns nothing
    (["c", "d"], 0.0, 0.0),
    ([], 0.0, 0.0),
])
def test_multiple_choice_partial_and_all_or_nothing(chosen, partial, strict):
    question = choice("multiple", "ab")
    assert question_fraction(question, {"choices": chosen}, "partial") == partial
    assert question_fraction(question, {"choices": chosen}, "all_or_nothing") == strict


@pytest.mark.parametrize("typed", ["开单率", " 开单率 ", "开单率。", "order-open rate", "ORDER-OPEN RATE",
                                   "ｏｒｄｅｒ－ｏｐｅｎ　ｒａｔｅ", "order-open  rate!", "Order-open rate."])
def test_text_answers_ignore_case_spaces_width_and_punctuation(typed):
    assert question_fraction(TEXT, {"text": typed}, "partial") == 1.0


@pytest.mark.parametrize("typed", ["", "开单", "order rate", "售后率"])
def test_wrong_text_answers(typed):
    assert question_fraction(TEXT, {"text": typed}, "partial") == 0.0


@pytest.mark.parametrize("typed, expected", [
    ("65", 1.0), ("64.5", 1.0), ("65.5", 1.0), ("６５", 1.0), ("65%", 1.0), (" 65 ", 1.0),
    ("100", 1.0), ("1,00", 0.0), ("66", 0.0), ("abc", 0.0), ("nan", 0.0), ("inf", 0.0)])
def test_numeric_tolerance_and_ranges(typed, expected):
    assert question_fraction(NUMERIC, {"text": typed}, "partial") == expected


def test_numbers_as_learners_type_them():
    assert parse_number("74,800") == 74800 and parse_number("¥39.9") == 39.9
    assert parse_number("39.9元") == 39.9 and parse_number("１，２００") == 1200
    assert parse_number("1,2") is None


def test_order_is_all_or_nothing():
    assert question_fraction(ORDER, {"order": ["a", "b", "c"]}, "partial") == 1.0
    assert question_fraction(ORDER, {"order": ["b", "a", "c"]}, "partial") == 0.0


def test_clean_response_refuses_what_is_not_an_answer():
    with pytest.raises(ResponseError):
        clean_response(choice("single", "a"), "z")
    with pytest.raises(ResponseError):
        clean_response(choice("multiple", "a"), ["a", "a"])
    with pytest.raises(ResponseError):
        clean_response(TEXT, "x" * 501)
    with pytest.raises(ResponseError):
        clean_response(ORDER, ["a", "b"])
    assert clean_response(choice("multiple", "a"), ["", "b", "a"]) == {"choices": ["a", "b"]}


def test_grade_sums_points_and_applies_the_pass_mark():
    content = {"settings": {"pass_mark": 75, "multiple_scoring": "partial"},
               "questions": [choice("single", "a") | {"id": "x"}, choice("multiple", "ab") | {"id": "y"}]}
    layout = {"questions": ["x", "y"]}
    result = grade(content, layout, {"x": {"choice": "a"}, "y": {"choices": ["a"]}})
    assert (result.score, result.max_score, result.percent, result.passed) == (3.0, 4, 75.0, True)
    late = grade(content, layout, {"x": None, "y": {"choices": ["a", "b"]}}, late={"x"})
    assert late.questions["x"]["late"] and late.percent == 50.0 and not late.passed


def test_draw_and_shuffle_are_fixed_by_the_layout():
    questions = [choice("single", "a") | {"id": f"q{i}"} for i in range(10)]
    content = {"settings": {"draw": 4, "shuffle_questions": False, "shuffle_options": True},
               "questions": questions}
    layout = draw_layout(content, random.Random(1))
    assert len(layout["questions"]) == 4
    assert layout["questions"] == sorted(layout["questions"], key=lambda q: int(q[1:]))
    assert all(sorted(ids) == ["a", "b", "c", "d"] for ids in layout["options"].values())


def test_order_questions_never_start_in_the_right_order():
    content = {"settings": {"shuffle_questions": False, "shuffle_options": False}, "questions": [ORDER]}
    for seed in range(30):
        assert draw_layout(content, random.Random(seed))["options"]["o"] != ["a", "b", "c"]


# --- properties -------------------------------------------------------------------------

FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
CHINESE_PUNCT = {",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；", "(": "（", ")": "）"}


@given(st.text())
def test_normalisation_is_idempotent(value):
    assert normalize_text(normalize_text(value)) == normalize_text(value)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
       st.text(alphabet=" \t", max_size=3), st.text(alphabet=" \t", max_size=3))
def test_width_case_and_surrounding_space_do_not_matter(value, before, after):
    wide = "".join(FULLWIDTH.get(ch, ch) for ch in value)
    assert normalize_text(before + wide.upper() + after) == normalize_text(value.lower())


@given(st.text(alphabet="开单率abc,.!?:;() ", min_size=1))
def test_chinese_and_latin_punctuation_are_the_same(value):
    chinese = "".join(CHINESE_PUNCT.get(ch, ch) for ch in value)
    assert normalize_text(chinese) == normalize_text(value)


@given(st.sets(st.sampled_from("abcdef")), st.sets(st.sampled_from("abcdef"), min_size=1))
def test_partial_credit_stays_within_bounds_and_rewards_only_exact_answers(chosen, correct):
    question = choice("multiple", "".join(correct), n=6)
    partial = question_fraction(question, {"choices": sorted(chosen)}, "partial")
    strict = question_fraction(question, {"choices": sorted(chosen)}, "all_or_nothing")
    assert 0.0 <= partial <= 1.0
    assert (partial == 1.0) == (chosen == correct) == (strict == 1.0)
    assert strict <= partial


@given(st.sets(st.sampled_from("abcdef")), st.sampled_from("abcdef"), st.sets(st.sampled_from("abcdef"), min_size=1))
def test_adding_a_right_option_never_lowers_partial_credit(chosen, extra, correct):
    question = choice("multiple", "".join(correct), n=6)
    if extra not in correct:
        return
    before = question_fraction(question, {"choices": sorted(chosen)}, "partial")
    after = question_fraction(question, {"choices": sorted(chosen | {extra})}, "partial")
    assert after >= before


# --- fractional credit ------------------------------------------------------------------

def weighted(kind, credits):
    return {"id": "w", "type": kind, "points": 4,
            "options": [{"id": chr(97 + i), "correct": c >= 1 if kind == "single" else c > 0,
                         "credit": c} for i, c in enumerate(credits)]}


@pytest.mark.parametrize("choice_id, expected", [("a", -0.25), ("b", 0.5), ("c", 1.0), ("d", 1.0),
                                                 ("e", 0.0)])
def test_single_choice_scores_the_chosen_options_credit(choice_id, expected):
    question = weighted("single", [-0.25, 0.5, 1.0, 1.0, 0.0])
    assert question_fraction(question, {"choice": choice_id}, "partial") == expected


@pytest.mark.parametrize("chosen, partial, strict", [
    (["a", "b"], 1.0, 1.0),
    (["a"], 0.5, 0.0),
    (["a", "b", "d"], 1.0, 1.0),        # a 0% option costs nothing (Moodle)
    (["a", "c"], 0.0, 0.0),             # never below 0
    (["a", "b", "c"], 0.0, 0.0),
    (["a", "b", "e"], 1.0, 1.0),        # never above 1
    (["c"], 0.0, 0.0),
])
def test_multiple_choice_with_credits_adds_them_up_within_0_and_1(chosen, partial, strict):
    question = weighted("multiple", [0.5, 0.5, -1.0, 0.0, 0.5])
    assert question_fraction(question, {"choices": chosen}, "partial") == partial
    assert question_fraction(question, {"choices": chosen}, "all_or_nothing") == strict


def test_moodles_thirds_make_a_whole():
    question = weighted("multiple", [0.3333333, 0.3333333, 0.3333333, 0.0])
    assert question_fraction(question, {"choices": ["a", "b", "c"]}, "partial") == 1.0


def test_partial_text_answers():
    question = dict(TEXT, partial=[{"text": "转化率", "credit": 0.5}, {"text": "GMV", "credit": -0.5}])
    assert question_fraction(question, {"text": "开单率"}, "partial") == 1.0
    assert question_fraction(question, {"text": " 转化率。"}, "partial") == 0.5
    assert question_fraction(question, {"text": "gmv"}, "partial") == -0.5
    assert question_fraction(question, {"text": "售后率"}, "partial") == 0.0


@pytest.mark.parametrize("typed, expected", [("1822", 1.0), ("1821", 0.5), ("1830", 0.1),
                                             ("1851", 0.0)])
def test_the_first_numeric_range_that_holds_the_number_decides(typed, expected):
    question = {"id": "n", "type": "numeric", "points": 1, "ranges": [
        {"min": 1822, "max": 1822}, {"min": 1820, "max": 1824, "credit": 0.5},
        {"min": 1800, "max": 1850, "credit": 0.1}]}
    assert question_fraction(question, {"text": typed}, "partial") == expected


def test_points_are_the_question_points_times_the_credit_and_the_total_never_negative():
    content = {"settings": {"pass_mark": 50, "multiple_scoring": "partial"},
               "questions": [weighted("single", [-0.5, 1.0, 0.25]) | {"id": "x"},
                             weighted("multiple", [0.5, 0.5, -1.0]) | {"id": "y"}]}
    layout = {"questions": ["x", "y"]}
    result = grade(content, layout, {"x": {"choice": "c"}, "y": {"choices": ["a"]}})
    assert (result.questions["x"]["points"], result.questions["y"]["points"]) == (1.0, 2.0)
    assert (result.score, result.max_score, result.percent) == (3.0, 8, 37.5)
    worst = grade(content, layout, {"x": {"choice": "a"}, "y": {"choices": ["c"]}})
    assert worst.questions["x"]["points"] == -2.0 and worst.score == 0.0 and worst.percent == 0.0
