"""The quiz file format: every type parses; malformed quizzes fail the import at file:line."""
import pytest
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.content import ContentError
from app.extensions import db
from app.quizzes.models import QuizVersion
from app.quizzes.parser import merge_languages, parse_quiz_file

HEAD = "---\npass_mark: 80\n---\n"


def parse(body: str, head: str = HEAD):
    return parse_quiz_file(head + body, "quiz.en.md")


def test_every_type_and_feedback_is_read():
    quiz = merge_languages({"en": parse(
        "Intro text.\n\n"
        "## Pick one {#one type=single points=3}\nA scenario line.\n\n- [ ] no\n  > Feedback: not this\n- [x] yes\n\n> Feedback: because\n\n"
        "## Pick many {#many type=multiple}\n- [x] a\n- [X] b\n- [ ] c\n\n"
        "## True? {#tf type=truefalse}\n- [ ] True\n- [x] False\n\n"
        "## Name it {#name type=text}\n- 开单率\n- order-open rate\n\n"
        "## How many {#num type=numeric}\n- 50 ± 2\n- 100..110\n\n"
        "## Steps {#steps type=order}\n1. one\n2. two\n3. three\n")})
    one, many, tf, name, num, steps = quiz["questions"]
    assert (one["points"], [o["correct"] for o in one["options"]]) == (3, [False, True])
    assert "not this" in one["options"][0]["feedback"]["en"] and "because" in one["feedback"]["en"]
    assert "A scenario line." in one["text"]["en"]
    assert [o["correct"] for o in many["options"]] == [True, True, False]
    assert [o["correct"] for o in tf["options"]] == [False, True]
    assert name["accepted"] == ["开单率", "order-open rate"]
    assert num["ranges"] == [{"min": 48, "max": 52, "value": 50}, {"min": 100, "max": 110}]
    assert [i["id"] for i in steps["items"]] == ["a", "b", "c"]
    assert "Intro text." in quiz["intro"]["en"]


def test_chinese_feedback_label_is_accepted():
    quiz = merge_languages({"zh": parse("## 选 {#a type=single}\n- [x] 对\n- [ ] 错\n\n> 反馈：因为\n")})
    assert "因为" in quiz["questions"][0]["feedback"]["zh"]


@pytest.mark.parametrize("body, line, reason", [
    ("## Q {#a type=single}\n- [ ] x\n- [ ] y\n", 4, "exactly one [x]"),
    ("## Q {#a type=single}\n- [x] x\n- [x] y\n", 4, "exactly one [x]"),
    ("## Q {#a type=multiple}\n- [ ] x\n- [ ] y\n", 4, "no correct answer"),
    ("## Q {#a type=truefalse}\n- [x] x\n- [ ] y\n- [ ] z\n", 4, "exactly two options"),
    ("## Q {#a type=essay}\n- x\n", 4, "type must be one of"),
    ("## Q {type=single}\n- [x] x\n- [ ] y\n", 4, "needs an id"),
    ("## Q\n- [x] x\n", 4, "ends with {#id type=…}"),
    ("## Q {#a type=single}\n- [x] x\n- [ ] y\n## R {#a type=single}\n- [x] x\n- [ ] y\n", 7, "duplicate question id"),
    ("## Q {#a type=numeric}\n- about fifty\n", 5, "cannot read the number"),
    ("## Q {#a type=order}\n1. x\n3. y\n", 5, "number the steps"),
    ("## Q {#a type=text}\n", 4, "accepted answers"),
    ("## Q {#a type=single points=0}\n- [x] x\n- [ ] y\n", 4, "points must be"),
    ("## Q {#a type=single}\n- [x] x\n- [ ] y\n\n> Feedback: f\n\nstray text\n", 10, "unexpected text"),
    ("", 4, "no questions"),
])
def test_malformed_questions_name_their_line(body, line, reason):
    with pytest.raises(ContentError) as caught:
        parse(body)
    assert caught.value.line == line and reason in caught.value.reason


@pytest.mark.parametrize("head, line, reason", [
    ("---\npass_mark: 120\n---\n", 2, "'pass_mark' must be a whole number 1-100"),
    ("---\nreveal: sometimes\n---\n", 2, "'reveal' must be one of"),
    ("---\nshuffle_questions: maybe\n---\n", 2, "must be true or false"),
    ("---\ndraw: 5\n---\n", 2, "more than the number of questions in the quiz (1)"),
    ("---\ncolour: red\n---\n", 2, "unknown key 'colour'"),
])
def test_bad_settings_name_their_line(head, line, reason):
    with pytest.raises(ContentError) as caught:
        parse("## Q {#a type=single}\n- [x] x\n- [ ] y\n", head)
    assert caught.value.line == line and reason in caught.value.reason


def test_languages_must_agree_on_the_key():
    en = parse("## Q {#a type=single}\n- [x] x\n- [ ] y\n")
    zh = parse_quiz_file(HEAD + "## 题 {#a type=single}\n- [ ] 甲\n- [x] 乙\n", "quiz.zh.md")
    with pytest.raises(ContentError, match="differs"):
        merge_languages({"en": en, "zh": zh})


def test_text_answers_from_every_language_are_accepted():
    en = parse("## Q {#a type=text}\n- order-open rate\n")
    zh = parse_quiz_file(HEAD + "## 题 {#a type=text}\n- 开单率\n", "quiz.zh.md")
    assert merge_languages({"en": en, "zh": zh})["questions"][0]["accepted"] == ["order-open rate", "开单率"]


def test_malformed_quiz_fails_the_import_and_changes_nothing(runner, app, imported):
    path = imported / "gamma" / "01-start" / "quiz.en.md"
    path.write_text(path.read_text().replace("- [x] Welcome", "- [ ] Welcome"))
    with unit_of_work(app):
        before = db.session.scalar(select(func.count()).select_from(QuizVersion))
    result = runner.invoke(args=["courses", "import", str(imported)])
    assert result.exit_code != 0
    assert "gamma/01-start/quiz.en.md:" in result.output and "exactly one [x]" in result.output
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(QuizVersion)) == before


def test_reimporting_an_unchanged_quiz_makes_no_new_version(app, imported):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        assert "quiz versions new" not in import_curriculum(imported)


@pytest.mark.slow
def test_shipped_quizzes_have_at_least_5_questions_in_both_languages(shipped_curriculum):
    for course in shipped_curriculum:
        for module in course.modules:
            assert module.quiz is not None, f"{course.slug}/{module.slug} has no quiz"
            assert len(module.quiz["questions"]) >= 5
            for question in module.quiz["questions"]:
                assert set(question["text"]) == {"zh", "en"}


def test_the_readme_example_is_a_valid_quiz():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = next(block for block in re.findall(r"```markdown\n(.*?)```", readme, re.S)
                   if "pass_mark" in block)
    quiz = merge_languages({"en": parse_quiz_file(example, "README.md")})
    assert [q["type"] for q in quiz["questions"]] == ["single", "multiple", "truefalse", "text",
                                                      "numeric", "order"]


# --- fractional credit ------------------------------------------------------------------

def test_credits_on_options_text_answers_and_numeric_ranges():
    quiz = merge_languages({"en": parse(
        "## Hometown {#home type=single points=4}\n- [-25%] Jerusalem\n- [50%] Galilee\n"
        "- [x] Nazareth\n- [ ] Rome\n\n"
        "## Both {#both type=single}\n- [100%] no one\n- [100%] nobody\n- [0%] Grant\n\n"
        "## Who? {#who type=multiple}\n- [50%] Grant\n- [50%] Grant's wife\n- [-100%] No one\n\n"
        "## Animal {#animal type=text}\n- Frog\n- [50%] Cat\n- [33.33333%] Toad\n\n"
        "## Born {#born type=numeric}\n- 1822\n- [50%] 1822 ± 2\n- [10%] 1800..1850\n")})
    home, both, who, animal, born = quiz["questions"]
    assert [(o["credit"], o["correct"]) for o in home["options"]] == [
        (-0.25, False), (0.5, False), (1.0, True), (0.0, False)]
    assert [o["correct"] for o in both["options"]] == [True, True, False]
    assert [(o["credit"], o["correct"]) for o in who["options"]] == [
        (0.5, True), (0.5, True), (-1.0, False)]
    assert animal["accepted"] == ["Frog"]
    assert animal["partial"] == [{"text": "Cat", "credit": 0.5},
                                 {"text": "Toad", "credit": 0.3333333}]
    assert born["ranges"] == [{"min": 1822, "max": 1822, "value": 1822},
                              {"min": 1820, "max": 1824, "value": 1822, "credit": 0.5},
                              {"min": 1800, "max": 1850, "credit": 0.1}]
    assert born["answer_text"] == "1822"


def test_old_syntax_keeps_its_data_and_its_scores():
    # No percentage anywhere: the stored question is what it always was (no credit keys),
    # so re-importing an old quiz makes no new version and grades as before.
    quiz = merge_languages({"en": parse(
        "## One {#one type=single}\n- [ ] a\n- [x] b\n\n"
        "## Many {#many type=multiple}\n- [x] a\n- [x] b\n- [ ] c\n- [ ] d\n\n"
        "## Name {#name type=text}\n- Frog\n\n## Num {#num type=numeric}\n- 50 ± 2\n- 45..55\n")})
    one, many, name, num = quiz["questions"]
    assert all(set(o) == {"id", "correct", "text", "feedback"} for q in (one, many) for o in q["options"])
    assert "partial" not in name and all("credit" not in r for r in num["ranges"])
    from app.quizzes.grading import question_fraction
    # our own rule for multiple questions without percentages, not Moodle's sum
    assert question_fraction(many, {"choices": ["a", "b", "c"]}, "partial") == 0.5
    assert question_fraction(many, {"choices": ["a", "b", "c", "d"]}, "partial") == 0.0
    assert question_fraction(num, {"text": "46"}, "partial") == 1.0


@pytest.mark.parametrize("body, line, reason", [
    ("## Q {#a type=single}\n- [50%] x\n- [ ] y\n", 4, "no option is worth 100%"),
    ("## Q {#a type=single}\n- [x] x\n- [x] y\n", 4, "each fully right are marked [100%]"),
    ("## Q {#a type=multiple}\n- [50%] x\n- [25%] y\n- [ ] z\n", 4, "add up to 75%"),
    ("## Q {#a type=single}\n- [150%] x\n- [x] y\n", 5, "from -100% to 100%"),
    ("## Q {#a type=truefalse}\n- [100%] True\n- [ ] False\n", 5, "without a percentage"),
    ("## Q {#a type=text}\n- [50%] Cat\n", 4, "no answer is worth 100%"),
    ("## Q {#a type=text}\n- Frog\n- [50%] frog.\n", 6, "reads the same as 'Frog'"),
    ("## Q {#a type=numeric}\n- [50%] 1820..1824\n- 1822\n- 5\n", 6, "can never count: line 5"),
    ("## Q {#a type=numeric}\n- [50%] about\n- 3\n", 5, "cannot read the number 'about'"),
])
def test_bad_credits_name_their_line(body, line, reason):
    with pytest.raises(ContentError) as caught:
        parse(body)
    assert caught.value.line == line and reason in caught.value.reason


def test_languages_must_agree_on_credits():
    en = parse("## Q {#a type=single}\n- [50%] x\n- [x] y\n")
    zh = parse_quiz_file(HEAD + "## 题 {#a type=single}\n- [25%] 甲\n- [x] 乙\n", "quiz.zh.md")
    with pytest.raises(ContentError, match="differs"):
        merge_languages({"en": en, "zh": zh})
    en = parse("## Q {#a type=text}\n- Frog\n- [50%] cat\n")
    zh = parse_quiz_file(HEAD + "## 题 {#a type=text}\n- 青蛙\n- Cat\n", "quiz.zh.md")
    with pytest.raises(ContentError, match="another credit") as caught:
        merge_languages({"en": en, "zh": zh})
    assert caught.value.path == "quiz.zh.md"


@pytest.mark.slow
def test_shipped_courses_parse_exactly_as_before_fractional_credit():
    """Every shipped quiz and fixture quiz stores the same data as before credits existed:
    no option has a credit, no text question partial answers, no range a credit."""
    from pathlib import Path

    from app.authoring.curriculum import read_curriculum

    root = Path(__file__).parents[2]
    quizzes = [module.quiz for folder in (root / "courses", root / "tests" / "fixtures" / "courses")
               for course in read_curriculum(folder) for module in course.modules if module.quiz]
    assert len(quizzes) >= 10
    for quiz in quizzes:
        for question in quiz["questions"]:
            assert all("credit" not in o for o in question.get("options", ()))
            assert "partial" not in question
            assert all("credit" not in r for r in question.get("ranges", ()))


@pytest.mark.parametrize("doc", ["README.md", "docs/course-format.md"])
def test_the_part_credit_examples_are_valid_quizzes(doc):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / doc).read_text()
    [example] = [block for block in re.findall(r"```markdown\n(.*?)```", text, re.DOTALL)
                 if "[50%] Galilee" in block]
    example = "\n".join(line.removeprefix("  ") for line in example.split("\n"))
    quiz = merge_languages({"en": parse(example)})
    hometown, tomb, word, born = quiz["questions"]
    assert [o["credit"] for o in hometown["options"]] == [-0.25, 0.25, 0.5, 1.0]
    assert sum(o["credit"] for o in tomb["options"] if o["credit"] > 0) == 1.0
    assert word["partial"] == [{"text": "Nazereth", "credit": 0.75}]
    assert born["ranges"][1]["credit"] == 0.5

BROKEN = (
    "---\npass_mark: 120\nreveal: sometimes\n---\n"        # lines 2 and 3
    "## Q {#a type=single}\n- [ ] x\n- [ ] y\n\n"           # line 5: no [x]
    "## R {#b type=essay}\n- x\n\n"                          # line 9: unknown type
    "## S {#c type=numeric}\n- about fifty\n\n"              # line 12: heading fine, line 13 not
    "## T {#a type=truefalse}\n- [x] x\n- [ ] y\n\n"        # line 15: duplicate id
    "## U {#e type=order}\n1. x\n3. y\n"                     # line 20: numbering
)


def test_a_broken_quiz_names_every_problem_at_once():
    """A trainer fixes all of them in one go: nothing stops at the first problem."""
    with pytest.raises(ContentError) as caught:
        parse_quiz_file(BROKEN, "quiz.en.md")
    found = [(e.line, e.reason.split(" (")[0][:30]) for e in caught.value.errors]
    assert [line for line, _reason in found] == [2, 3, 5, 9, 13, 15, 20], found
    assert caught.value.line == 2  # still one ContentError for callers that show one


def test_flask_courses_check_lists_every_problem_of_every_file(runner, imported):
    quiz = imported / "gamma" / "01-start" / "quiz.en.md"
    quiz.write_text(BROKEN)
    other = imported / "gamma" / "02-next" / "quiz.en.md"
    other.write_text(other.read_text().replace("- [x]", "- [ ]"))
    result = runner.invoke(args=["courses", "check", str(imported / "gamma")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert sum("gamma/01-start/quiz.en.md:" in line for line in lines) == 7, result.output
    assert any("gamma/02-next/quiz.en.md:" in line for line in lines), result.output
    assert "gamma/01-start/quiz.en.md:13: error: cannot read the number" in result.output


def test_checker_messages_come_in_the_trainers_language_with_file_and_line(runner, imported):
    quiz = imported / "gamma" / "01-start" / "quiz.en.md"
    quiz.write_text(BROKEN)
    english = runner.invoke(args=["courses", "check", str(imported / "gamma")]).output
    chinese = runner.invoke(args=["courses", "check", "--language", "zh", str(imported / "gamma")]).output
    assert "gamma/01-start/quiz.en.md:2: error: 'pass_mark' must be a whole number 1-100" in english
    assert "gamma/01-start/quiz.en.md:2: error: “pass_mark” 必须是 1-100 之间的整数" in chinese
    assert "gamma/01-start/quiz.en.md:20: error: 步骤请按正确顺序编号为 1、2、3……" in chinese
