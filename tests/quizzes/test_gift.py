"""GIFT import (app/quizzes/gift.py), checked against Moodle's own test data.

The conformance data lives outside the repository, in shared/conformance/gift next to it
(moodle-gift-expected.json records what Moodle's qformat_gift tests assert). Tests that need it
are skipped when it is absent.
"""
from __future__ import annotations

import html
import json
import math
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.gift import (
    GiftAnswer,
    GiftError,
    GiftPair,
    GiftQuestion,
    extract_idnumber_and_tags,
    parse_gift,
    to_quiz_markdown,
)

try:  # our quiz format's own reader, to prove the generated files are valid quizzes
    from app.content.render import render_inline
    from app.quizzes.parser import parse_quiz_file
except ImportError:  # pragma: no cover - only when the quiz parser is not there
    parse_quiz_file = render_inline = None

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "gift"
HAVE_DATA = (CONFORMANCE / "moodle-gift-expected.json").is_file()
EXPECTED = json.loads((CONFORMANCE / "moodle-gift-expected.json").read_text(encoding="utf-8")) \
    if HAVE_DATA else {}
GIFT_FILES = sorted((CONFORMANCE / "moodle").rglob("*.txt")) if HAVE_DATA else []

needs_data = pytest.mark.skipif(
    not HAVE_DATA, reason=f"GIFT conformance data not found at {CONFORMANCE} (shared/ is expected "
                          "next to the repository root)")
needs_quiz_parser = pytest.mark.skipif(
    parse_quiz_file is None, reason="app.quizzes.parser (our quiz format reader) is not available")

HEADING = re.compile(r"^## (?P<title>.*) \{#(?P<id>[a-z0-9-]+) type=(?P<type>[a-z]+)\}$")
MATCH_REASON = "matching questions are not supported; rewrite as an ordering question"


def read(relative: str) -> str:
    return (CONFORMANCE / relative).read_text(encoding="utf-8")


def parse_file(relative: str) -> list[GiftQuestion]:
    return parse_gift(read(relative))


def correct_of(q: GiftQuestion) -> list:
    """The question's right answers in the JSON's `correct` shape."""
    if q.qtype == "multichoice":
        return [a.text for a in q.answers if a.fraction > 0]
    if q.qtype == "shortanswer":
        return [a.text for a in q.answers if math.isclose(a.fraction, 1)]
    if q.qtype == "numerical":
        return [{"answer": a.text, "tolerance": a.tolerance} for a in q.answers
                if math.isclose(a.fraction, 1)]
    if q.qtype == "truefalse":
        return [q.correct_answer]
    return []


def assert_matches(q: GiftQuestion, want: dict) -> None:
    """`q` has every field that a moodle-gift-expected.json entry records."""
    assert q.qtype == want["qtype"]
    assert q.name == want["name"]
    if "questiontext" in want:
        assert q.text == want["questiontext"]
    if "questiontextformat" in want:
        assert q.text_format == want["questiontextformat"]
    if "single" in want:
        assert q.single is bool(want["single"])
    if "generalfeedback" in want:
        assert q.general_feedback == want["generalfeedback"]
    if "generalfeedbackformat" in want:
        assert q.general_feedback_format == want["generalfeedbackformat"]
    if "answers" in want:
        assert len(q.answers) == len(want["answers"])
        for got, expected in zip(q.answers, want["answers"]):
            if q.qtype == "numerical":
                assert got.text == expected["answer"]
                if expected["answer"] == "*":
                    # The catch-all answer has no tolerance: Moodle's import stores "", the
                    # export test's input data 0; both mean "none".
                    assert got.tolerance is None and expected["tolerance"] in ("", 0)
                else:
                    assert got.tolerance == pytest.approx(expected["tolerance"])
            else:
                assert got.text == expected["text"]
            assert got.fraction == pytest.approx(expected["fraction"])
            assert got.feedback == expected["feedback"]
            if "format" in expected:
                assert got.text_format == expected["format"]
            if "feedbackformat" in expected:
                assert got.feedback_format == expected["feedbackformat"]
    if "pairs" in want:
        assert [(p.subquestion, p.answer) for p in q.pairs] == \
            [(p["subquestion"], p["answer"]) for p in want["pairs"]]
        for got, expected in zip(q.pairs, want["pairs"]):
            # An empty subquestion carries no [format] in GIFT, so the format the export
            # test fed in cannot come back: it inherits the question text's format.
            if expected["subquestion"] or want["direction"] == "import":
                assert got.text_format == expected["format"]
    if "correctanswer" in want:
        assert q.correct_answer is bool(want["correctanswer"])
    if "correct" in want:
        assert correct_of(q) == want["correct"]
    for key in ("feedbacktrue", "feedback_for_true"):
        if key in want:
            assert q.answers[0].text == "True" and q.answers[0].feedback == want[key]
    for key in ("feedbackfalse", "feedback_for_false"):
        if key in want:
            assert q.answers[1].text == "False" and q.answers[1].feedback == want[key]
    if "tags" in want:
        assert q.tags == want["tags"]
    if "idnumber" in want:
        assert q.idnumber == want["idnumber"]


def sections(markdown: str) -> dict[str, dict]:
    """Our quiz Markdown split per question: type, title and the lines under the heading."""
    out: dict[str, dict] = {}
    current = None
    for line in markdown.split("\n"):
        heading = HEADING.match(line)
        if heading:
            current = out[heading["id"]] = {"type": heading["type"], "title": heading["title"],
                                            "lines": []}
        elif current is not None:
            current["lines"].append(line)
    return out


def options(section: dict) -> list[tuple[str, bool | str]]:
    """(text, mark): True for [x], False for [ ], the percentage ("50%") for a credit."""
    return [(m[2], m[1] == "x" if m[1] in " x" else m[1]) for line in section["lines"]
            if (m := re.match(r"^- \[([ x]|-?[\d.]+%)\] (.*)$", line))]


def items(section: dict) -> list[str]:
    return [line[2:] for line in section["lines"] if line.startswith("- ")]


# ---------------------------------------------------------------------------------------------
# Conformance: Moodle's test files


@needs_data
@pytest.mark.parametrize("path", GIFT_FILES, ids=lambda p: p.name)
def test_every_moodle_file_parses(path):
    questions = parse_gift(path.read_text(encoding="utf-8"))
    assert questions
    for q in questions:
        assert q.qtype in ("multichoice", "truefalse", "shortanswer", "numerical", "match",
                           "essay", "description")
        assert q.line >= 1 and q.text_format in ("moodle", "html", "plain", "markdown")
    if path.parent.name == "tests":  # one question per Moodle unit test
        assert len(questions) == 1


@needs_data
@pytest.mark.parametrize("entry", EXPECTED.get("import_tests", []), ids=lambda e: e["test"])
def test_import_tests_match_moodle(entry):
    questions = parse_file(entry["file"])
    assert len(questions) == 1
    assert_matches(questions[0], entry)


@needs_data
@pytest.mark.parametrize("entry", EXPECTED.get("export_tests", []), ids=lambda e: e["test"])
def test_export_files_read_back_as_the_exported_data(entry):
    questions = parse_file(entry["file"])
    assert len(questions) == 1
    assert_matches(questions[0], entry)


@needs_data
@pytest.mark.parametrize("entry", [e for e in EXPECTED.get("fixtures", []) if "questions" in e],
                         ids=lambda e: Path(e["file"]).name)
def test_fixtures_match_moodle(entry):
    questions = parse_file(entry["file"])
    assert len(questions) == len(entry["questions"])
    for q, want in zip(questions, entry["questions"]):
        assert (q.name, q.qtype) == (want["name"], want["qtype"])
        if "single" in want:
            assert q.single is bool(want["single"])
        if "correct" in want:
            assert correct_of(q) == want["correct"]
        assert q.category == entry.get("category")


@needs_data
def test_questions_fixture_details():
    questions = parse_file("moodle/fixtures/questions.gift.txt")
    assert len(questions) == 9  # Behat: "Importing 9 questions from file"
    by_name = {q.name: q for q in questions}
    colours = by_name["colours"]
    assert colours.text == "What's between orange and green in the spectrum?"
    assert [(a.text, a.fraction) for a in colours.answers] == [
        ("yellow", 0.5), ("red", -1.0), ("off-beige", 0.5), ("blue", -1.0)]
    # The stray '";' after Q5 and Q1 turns them into missing-word questions, as in Moodle.
    assert by_name["Q5"].text == 'What is a number from 1 to 5? _____";'
    assert by_name["Q1"].text == '42 is the Absolute Answer to everything._____";'
    assert by_name["Q1"].general_feedback == \
        "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert [q.line for q in questions] == [2, 5, 14, 22, 31, 34, 41, 46, 49]


@needs_data
def test_category_fixture():
    questions = parse_file("moodle/fixtures/questions_in_category.gift.txt")
    assert {q.category for q in questions} == {"$course$/Default for New Features"}
    greeting = questions[1]
    assert greeting.text_format == "html"
    assert greeting.text == ('<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">'
                             "Listen to this greeting:</a><br /><br />"
                             "What language is being spoken?")
    assert questions[3].text.startswith("Moodle is an acronym for <span style=\"font-style: ")
    assert [p.answer for p in questions[0].pairs] == ["Forum", "Choice", "Database", "Wiki",
                                                      "Chat"]


@needs_data
@pytest.mark.parametrize("case", EXPECTED.get("comment_metadata_cases", {}).get("cases", []),
                         ids=lambda c: c["case"])
def test_comment_metadata(case):
    assert extract_idnumber_and_tags(case["comment"]) == (case["idnumber"], case["tags"])


def test_comment_metadata_reaches_the_question():
    [q] = parse_gift("// [tag:add] [tag:basic]\n// [id:four]\n::Sum::2+2?{#4}\n")
    assert (q.idnumber, q.tags) == ("four", ["add", "basic"])
    [q] = parse_gift("// tags in another block do not count [tag:x]\n\n::Sum::2+2?{#4}\n")
    assert (q.idnumber, q.tags) == ("", [])


@needs_data
def test_examples_file():
    questions = parse_file("moodle/examples.txt")
    # SOURCES.md: "about 45 questions"; the file has 43 blank-line-separated questions.
    assert len(questions) == 43
    types = [q.qtype for q in questions]
    assert types.count("match") == 3 and types.count("truefalse") == 5
    assert "essay" not in types and "description" not in types

    control = next(q for q in questions if q.name == "GIFT Control Characters")
    assert [a.text for a in control.answers] == ["~", "=", "#", "{", "}", "\\"]
    assert [a.fraction for a in control.answers] == [0, 0, 0, 0, 0, 1]
    assert control.answers[0].feedback == "~ is a control character."
    assert control.answers[5].feedback.startswith(
        "Correct! \\ (backslash) is not a control character. BUT,\n")

    equals = next(q for q in questions if q.text == "Which answer equals 5?")
    assert [a.text for a in equals.answers] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    assert equals.single and [a.fraction for a in equals.answers] == [0, 1, 0]

    at = {q.line: q for q in questions}  # by the line the question starts on
    pi_range = at[74]
    assert pi_range.text == "What is the value of pi (to 3 decimal places)? _____."
    [answer] = pi_range.answers
    assert (answer.minimum, answer.maximum) == (3.141, 3.142)
    assert answer.text == "3.1415" and answer.tolerance == pytest.approx(0.0005)
    pi_tolerance = at[72]
    assert (pi_tolerance.answers[0].text, pi_tolerance.answers[0].tolerance) == ("3.1415", 0.0005)
    assert pi_tolerance.answers[0].minimum is None

    weighted = at[76]
    assert [(a.text, a.fraction, a.tolerance) for a in weighted.answers] == [
        ("1822", 1.0, 0.0), ("1822", 0.5, 2.0)]
    named = next(q for q in questions if q.name == "Numerical example")
    assert named.answers[0].feedback == "Correct! 100% credit"
    assert named.answers[1].feedback.endswith("You get 50% credit for being close.")

    assert at[10].text == "Grant is _____ in Grant's tomb."
    assert at[29].text == ("The American holiday of Thanksgiving is celebrated on the "
                                 "_____ Thursday of November.")
    kanji = next(q for q in questions if q.name == "Kanji Origins")
    assert kanji.text == "Japanese characters originally\ncame from what country?"
    markdown = next(q for q in questions if q.text_format == "markdown")
    assert markdown.text == "Who's buried in **Grant's tomb**?"
    assert markdown.answers[0].feedback_format == "markdown"
    capitals = at[61]
    assert [(p.subquestion, p.answer) for p in capitals.pairs] == [
        ("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi")]
    multi = at[136]
    assert not multi.single
    assert [a.fraction for a in multi.answers] == [-0.5, 0.5, 0.5, -0.5]
    truefalse = at[113]
    assert truefalse.correct_answer is False
    assert truefalse.answers[0].feedback == "No one is buried in Grant's tomb."
    assert all(q.name == "" for q in questions if q.line < 88)


@needs_data
@pytest.mark.parametrize("path", GIFT_FILES, ids=lambda p: p.name)
def test_crlf_and_bom_read_the_same(path):
    text = path.read_text(encoding="utf-8")
    assert parse_gift("\ufeff" + text.replace("\n", "\r\n")) == parse_gift(text)


# ---------------------------------------------------------------------------------------------
# Parsing details


def test_question_syntax_without_the_data_files():
    text = (
        "$CATEGORY: top/Week 1\n"
        "// [id:q-one]\n"
        "::Colours \\:\\: nice::[plain]Which \\{are\\} primary?{\n"
        "  ~%50%red # [html]<b>yes</b>\n"
        "  ~%50%blue#yes\n"
        "  ~%-100%green\n"
        "  ####Red, blue and yellow.\n"
        "}\n"
        "\n"
        "The capital of France is {=Paris =paris} on the Seine.\n"
        "\n"
        "Just a description\\n on two lines.\n"
    )
    colours, capital, description = parse_gift(text)
    assert (colours.line, colours.name, colours.category) == (3, "Colours :: nice", "top/Week 1")
    assert (colours.text, colours.text_format) == ("Which {are} primary?", "plain")
    assert not colours.single and colours.idnumber == "q-one"
    assert colours.answers == [
        GiftAnswer("red", 0.5, "<b>yes</b>", text_format="plain", feedback_format="html"),
        GiftAnswer("blue", 0.5, "yes", text_format="plain", feedback_format="plain"),
        GiftAnswer("green", -1.0, "", text_format="plain", feedback_format="plain"),
    ]
    assert colours.general_feedback == "Red, blue and yellow."
    assert (capital.qtype, capital.text) == ("shortanswer", "The capital of France is _____ on "
                                                            "the Seine.")
    assert capital.category == "top/Week 1" and capital.line == 10
    assert (description.qtype, description.text) == ("description",
                                                     "Just a description\n on two lines.")


def test_truefalse_forms():
    cases = {"{T}": True, "{TRUE}": True, "{F}": False, "{FALSE}": False}
    for block, correct in cases.items():
        [q] = parse_gift(f"Sky is blue.{block}")
        assert (q.qtype, q.correct_answer) == ("truefalse", correct)
        assert [(a.text, a.fraction) for a in q.answers] == [("True", float(correct)),
                                                            ("False", float(not correct))]
    [q] = parse_gift("Sky is blue.{TRUE#Look again.#Well seen.####It scatters light.}")
    assert (q.answers[0].feedback, q.answers[1].feedback) == ("Well seen.", "Look again.")
    assert q.general_feedback == "It scatters light."


def test_numerical_forms():
    [q] = parse_gift("Pick {#=%100%2..4#in range =%50%-1e1:0.5 =7 ~#nope}")
    exact = q.answers[2]
    assert [(a.text, a.fraction, a.tolerance, a.minimum, a.maximum) for a in q.answers] == [
        ("3", 1.0, 1.0, 2.0, 4.0), ("-1e1", 0.5, 0.5, None, None), ("7", 1.0, 0.0, None, None),
        ("*", 0.0, None, None, None)]
    assert (q.answers[0].feedback, q.answers[3].feedback, exact.feedback) == \
        ("in range", "nope", "")


def test_matching_and_essay():
    [match, essay] = parse_gift("Pair up {=a -> 1 =b->2}\n\nWrite.{####Graded by hand.}")
    assert match.pairs == [GiftPair("a", "1"), GiftPair("b", "2")]
    assert (essay.qtype, essay.general_feedback, essay.answers) == ("essay", "Graded by hand.",
                                                                    [])


def test_comments_inside_a_question_are_ignored():
    [q] = parse_gift("Q?{\n=yes\n// not an answer ~no\n~no\n}")
    assert [a.text for a in q.answers] == ["yes", "no"]


@pytest.mark.parametrize("gift, line, reason", [
    ("Q1 {=a ~b}\n\nQ2 {\n=a\n~b\n\nQ3 {=c ~d}", 3, "unclosed '{'"),
    ("// comment\n\nstray } here", 3, "'}' without an opening '{'"),
    ("::n:: a } b {", 1, "'}' before"),
    ("::name without end {=a ~b}", 1, "no closing '::'"),
    ("Q {=a {=b}}", 1, "'{' inside an answer block"),
    ("Q {=a ~b} and\n{=c ~d}", 2, "only one answer block"),
    ("Q {\n=a\n~%150%b\n}", 3, "150% is outside"),
    ("Q {#three}", 1, "'three' is not a number"),
    ("Q {#\n=1\n=5..3}", 3, "starts above its end"),
    ("Q {#3:-1}", 1, "negative"),
    ("Q {#~#only feedback}", 1, "at least one answer"),
    ("Q {#3 ~%50%4}", 1, "'~' only gives the feedback"),
    ("Q {=a -> b}", 1, "at least two pairs"),
    ("Q {\n=a -> b\n=c\n}", 3, "needs '->'"),
    ("Q {~only one}", 1, "at least two answers"),
    ("Q {\n=a\n~\n}", 3, "empty answer"),
    ("::only a name::", 1, "no text and no answer block"),
    ("Q \ufdd0{=a ~b}", 1, "noncharacter"),
])
def test_malformed_input_raises_with_line(gift, line, reason):
    with pytest.raises(GiftError) as raised:
        parse_gift(gift)
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.line == line and reason in error.reason
    assert str(error) == f"line {line}: {error.reason}"


def test_parse_gift_needs_text():
    with pytest.raises(TypeError):
        parse_gift(b"Q {=a ~b}")  # type: ignore[arg-type]
    assert parse_gift("") == [] and parse_gift("// only comments\n\n\n") == []


CONTROL = "~=#{}:\\"


def gift_escape(text: str) -> str:
    return re.sub(r"([\\~=#{}:])", r"\\\1", text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + " -%>/" + CONTROL + "é中", min_size=1,
               max_size=30).filter(lambda s: s.strip() and not s.lstrip().startswith("/")))
def test_escaped_text_reads_back(text):
    [q] = parse_gift(f"{gift_escape(text)}{{=right ~{gift_escape(text)}}}")
    assert q.text == text.strip()
    assert q.answers[1].text == text.strip()
    assert q.qtype == "multichoice" and q.single


# ---------------------------------------------------------------------------------------------
# Our quiz Markdown


FRONT_MATTER = ("---\npass_mark: 80\nshuffle_options: true\nreveal: feedback_after_attempt\n"
                "multiple_scoring: partial\n---\n")


@needs_data
def test_markdown_for_the_questions_fixture():
    questions = parse_file("moodle/fixtures/questions.gift.txt")
    markdown, skipped = to_quiz_markdown(questions)
    assert markdown.startswith(FRONT_MATTER)
    assert "max_attempts" not in markdown
    assert skipped == [
        (2, "Q8", "essay questions are not supported: they need manual grading"),
        (5, "Moodle activities", MATCH_REASON),
    ]
    found = sections(markdown)
    assert {qid: s["type"] for qid, s in found.items()} == {
        "q2": "single", "colours": "multiple", "q5": "numeric", "shortanswer": "text",
        "q1": "truefalse", "2-08-tsl": "truefalse", "2-08-tsl-2": "truefalse"}
    assert options(found["q2"]) == [("yellow", True), ("red", False), ("blue", False)]
    # Multiple response: Moodle's weights on every option, so the credits add up as there.
    assert options(found["colours"]) == [("yellow", "50%"), ("red", "-100%"),
                                         ("off-beige", "50%"), ("blue", "-100%")]
    assert options(found["q1"]) == [("True", False), ("False", True)]
    assert options(found["2-08-tsl"]) == [("True", True), ("False", False)]
    assert items(found["shortanswer"]) == ["Frog", "[50%] Cat"]
    assert items(found["q5"]) == ["3 ± 2"]
    assert found["q2"]["title"] == "Q2"
    assert found["q2"]["lines"][0] == "What's between orange and green in the spectrum?"
    q2 = "\n".join(found["q2"]["lines"])
    assert "- [x] yellow\n  > Feedback: right; good!\n- [ ] red\n  > Feedback: wrong, it's " \
           "yellow" in q2
    assert "> Feedback: This is, of course, a Hitchiker's Guide to the Galaxy reference." in \
        found["q1"]["lines"]
    assert found["q5"]["lines"][0] == 'What is a number from 1 to 5? \\_\\_\\_\\_\\_";'


@needs_data
def test_markdown_for_the_category_fixture():
    markdown, skipped = to_quiz_markdown(
        parse_file("moodle/fixtures/questions_in_category.gift.txt"), pass_mark=60)
    assert markdown.startswith(FRONT_MATTER.replace("80", "60"))
    assert skipped == [(5, "Moodle activities", MATCH_REASON)]
    found = sections(markdown)
    assert [(qid, s["type"]) for qid, s in found.items()] == [
        ("greeting", "single"), ("moodle-user", "text"), ("moodle-acronym", "truefalse")]
    assert [mark for _text, mark in options(found["greeting"])] == [False, True, False, False]
    assert items(found["moodle-user"]) == ["Moodler"]
    assert options(found["moodle-acronym"]) == [("True", True), ("False", False)]


@needs_data
def test_markdown_for_the_examples():
    markdown, skipped = to_quiz_markdown(parse_file("moodle/examples.txt"))
    assert skipped == [(55, "", MATCH_REASON), (61, "", MATCH_REASON), (177, "", MATCH_REASON)]
    found = sections(markdown)
    assert len(found) == 40
    assert items(found["q-74"]) == ["3.141..3.142"]
    assert items(found["q-72"]) == ["3.1415 ± 0.0005"]
    assert items(found["q-76"]) == ["1822", "[50%] 1822 ± 2"]
    assert items(found["q-175"]) == ["1822 ± 5"]
    assert items(found["q-45"]) == ["four", "4"]
    # A single-answer question with partial credit: a percentage on every option.
    assert (found["q-115"]["type"], options(found["q-115"])) == (
        "single", [("wrong answer", "0%"), ("half credit answer", "50%"),
                   ("full credit answer", "100%")])
    assert [m for _t, m in options(found["q-130"])] == ["0%", "50%", "50%", "0%"]
    assert found["q-130"]["type"] == "multiple"
    assert options(found["gift-control-characters"])[:5] == [
        ("~", False), ("=", False), ("\\#", False), ("\\{", False), ("\\}", False)]
    assert options(found["gift-control-characters"])[5] == ("\\\\", True)
    assert "jesus-hometown" in found and "jesus-hometown-2" in found
    assert found["kanji-origins"]["lines"][:2] == ["Japanese characters originally",
                                                   "came from what country?"]
    assert found["q-8"]["title"] == "Who's buried in Grant's tomb?"
    assert found["q-8"]["lines"][0] == ""  # short unnamed question: the heading is the text


def test_markdown_escapes_what_would_break_the_format():
    gift = ("::Odd {#name} [x]::Pick \\{#evil type=single\\}\n- [x] not an option\n"
            "> Feedback: not feedback\n## not a heading{\n"
            "=[x] looks ticked # ## not a heading\n~\\{\\#id\\} and *stars* | pipes\n"
            "~- dash\n~> quote\n}\n")
    markdown, skipped = to_quiz_markdown(parse_gift(gift))
    assert skipped == []
    lines = markdown.split("\n")
    assert [line for line in lines if line.startswith("## ")] == [
        "## Odd \\{#name\\} \\[x\\] {#odd-name-x type=single}"]
    assert [line for line in lines if re.match(r"^- \[[ x]\]", line)] == [
        "- [x] \\[x\\] looks ticked", "- [ ] \\{#id\\} and \\*stars\\* \\| pipes",
        "- [ ] \\- dash", "- [ ] \\> quote"]
    assert "  > Feedback: \\## not a heading" in lines
    assert "\\- \\[x\\] not an option" in lines and "\\> Feedback: not feedback" in lines


def test_markdown_html_and_plain_text():
    gift = ("::h::[html]<p>Price * 2 is <b>{=x ~y}</b></p>\n\n"
            "::p::[plain]Use <b> & *not* markup{=x ~y}\n")
    markdown, _ = to_quiz_markdown(parse_gift(gift))
    found = sections(markdown)
    assert found["h"]["lines"][0] == "<p>Price &#42; 2 is <b>_____</b></p>".replace(
        "_____", "&#95;" * 5)
    assert found["p"]["lines"][0] == "Use &lt;b> &amp; \\*not\\* markup"


def test_markdown_ids_and_headings():
    gift = ("::Café au lait::Q?{T}\n\n::Café-au-lait!::Q?{T}\n\n::问题::Q?{T}\n\n"
            "Q?{T}\n\n" + "A long question " * 12 + "{T}\n\nFirst line\nsecond line{T}\n")
    markdown, _ = to_quiz_markdown(parse_gift(gift))
    found = sections(markdown)
    assert list(found) == ["cafe-au-lait", "cafe-au-lait-2", "q-5", "q-7", "q-9", "q-11"]
    assert found["q-5"]["title"] == "问题"
    assert found["q-7"]["title"] == "Q?"
    assert found["q-9"]["title"].endswith("…") and len(found["q-9"]["title"]) <= 81
    assert found["q-9"]["lines"][0] == ("A long question " * 12).strip()
    assert (found["q-11"]["title"], found["q-11"]["lines"][0]) == ("First line", "second line")


def test_markdown_skips_what_our_format_cannot_hold():
    gift = ("::any::Q?{=*}\n\n::wild::Q?{=Fr*g}\n\n::half::Q?{=%50%a}\n\n::num::Q?{#=%50%3}\n\n"
            "::none::Q?{~a ~b}\n\n::desc::Just text.\n\n::ok::Q?{#3}\n")
    markdown, skipped = to_quiz_markdown(parse_gift(gift))
    reasons = {name: reason for _line, name, reason in skipped}
    assert list(reasons) == ["any", "wild", "half", "num", "none", "desc"]
    assert "wildcard" in reasons["any"] and "wildcard" in reasons["wild"]
    assert "100%" in reasons["half"] and "100%" in reasons["num"]
    assert "add up to 0%" in reasons["none"] and "lesson" in reasons["desc"]
    assert list(sections(markdown)) == ["ok"]
    assert [line for line, *_ in skipped] == [1, 3, 5, 7, 9, 11]


def test_markdown_from_hand_built_questions():
    answers = [GiftAnswer("a", 1.0, ""), GiftAnswer("b", 1.0, ""), GiftAnswer("c", 0.0, "")]
    question = GiftQuestion(line=4, name="", qtype="multichoice", text="Pick",
                            text_format="moodle", single=True, answers=answers)
    markdown, skipped = to_quiz_markdown([question])
    assert skipped == []
    # Several 100% options on a single-answer question: each one is fully right.
    assert options(sections(markdown)["q-4"]) == [("a", "100%"), ("b", "100%"), ("c", "0%")]
    assert sections(markdown)["q-4"]["type"] == "single"
    with pytest.raises(ValueError):
        to_quiz_markdown([question], pass_mark=0)


@needs_data
@needs_quiz_parser
@pytest.mark.parametrize("path", GIFT_FILES, ids=lambda p: p.name)
def test_markdown_is_a_valid_quiz(path):
    questions = parse_gift(path.read_text(encoding="utf-8"))
    markdown, skipped = to_quiz_markdown(questions)
    if len(skipped) == len(questions):
        assert "## " not in markdown
        return
    quiz = parse_quiz_file(markdown, "quiz.en.md")
    assert len(quiz.questions) == len(questions) - len(skipped)
    assert quiz.settings["pass_mark"] == 80 and quiz.settings["shuffle_options"] is True
    kept = [q for q in questions if (q.line, q.name) not in {(s[0], s[1]) for s in skipped}]
    for gift_q, parsed in zip(kept, quiz.questions):
        if gift_q.qtype == "truefalse":
            assert [o.correct for o in parsed.options] == [gift_q.correct_answer,
                                                           not gift_q.correct_answer]
        elif gift_q.qtype == "multichoice":
            assert len(parsed.options) == len(gift_q.answers)


@needs_quiz_parser
@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=string.printable.strip() + " 中é", min_size=1, max_size=25)
                .filter(lambda s: s.strip()), min_size=2, max_size=4),
       st.sampled_from(["moodle", "plain"]))
def test_any_option_text_survives(texts, fmt):
    answers = [GiftAnswer(text, 1.0 if i == 0 else 0.0, "") for i, text in enumerate(texts)]
    for answer in answers:
        answer.text_format = fmt
    question = GiftQuestion(line=1, name="Any", qtype="multichoice", text="Pick one.",
                            text_format="moodle", answers=answers)
    markdown, skipped = to_quiz_markdown([question])
    assert skipped == []
    [parsed] = parse_quiz_file(markdown, "quiz.en.md").questions
    assert [o.correct for o in parsed.options] == [i == 0 for i in range(len(texts))]
    if fmt == "plain":  # plain text must come out literally
        for option, text in zip(parsed.options, texts):
            assert html.unescape(render_inline(option.text)) == " ".join(text.split())
