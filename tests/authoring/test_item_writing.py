"""The course checker knows item-writing: test-wise quizzes and phone-breaking tables warn,
at file:line, on every road (flask courses check, python -m app.authoring.check, publish)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.authoring.cli import check_command
from app.authoring.curriculum import CurriculumError, read_curriculum
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "item-writing"
QUIZ = "bad/01-quiz-writing/quiz"
TABLE = "bad/01-quiz-writing/01-wide-table"

# Each rule: a phrase of its message, and every file:line of tests/fixtures/item-writing/bad
# where it must fire (and nowhere else).
RULES = {
    "longest key": ("is the longest in", {f"{QUIZ}.zh.md:5", f"{QUIZ}.en.md:5"}),
    "true/false one way in a quiz": ("questions of this quiz are keyed", {f"{QUIZ}.zh.md:35"}),
    "true/false one way in a course": ("questions of this course are keyed", {"bad/course.md:1"}),
    "all/none of the above": ("gives the answer away", {f"{QUIZ}.zh.md:23", f"{QUIZ}.en.md:23"}),
    "negative stem": ("without emphasis", {f"{QUIZ}.zh.md:25", f"{QUIZ}.en.md:25"}),
    "repeated option": ("this option repeats", {f"{QUIZ}.zh.md:32", f"{QUIZ}.en.md:32"}),
    "wide numeric range": ("more than the value itself", {f"{QUIZ}.zh.md:48"}),
    "wide table": ("columns: on a phone", {f"{TABLE}.zh.md:6", f"{TABLE}.en.md:6"}),
}


def check(runner, folder, *options):
    result = runner.invoke(check_command, [*options, str(folder)])
    lines = [line for line in result.output.splitlines() if ": warning: " in line or ": error: " in line]
    return result, lines


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_item_writing_rule_warns_at_its_lines_on_the_bad_quiz(runner, rule):
    phrase, expected = RULES[rule]
    result, lines = check(runner, FIXTURES / "bad")
    assert result.exit_code == 0, result.output  # warnings alone do not fail
    found = {line.split(": warning: ")[0] for line in lines if phrase in line}
    assert found == expected, "\n".join(lines)


def test_the_bad_quiz_warns_only_about_what_it_gets_wrong(runner):
    _result, lines = check(runner, FIXTURES / "bad")
    assert len(lines) == sum(len(places) for _phrase, places in RULES.values()), "\n".join(lines)
    assert all(": warning: " in line for line in lines)


def test_the_good_quiz_and_lesson_have_no_warnings_even_strict(runner):
    result, lines = check(runner, FIXTURES / "good", "--strict")
    assert (result.exit_code, lines) == (0, [])
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.slow
def test_strict_fails_on_item_writing_warnings_from_both_commands(runner):
    result, _lines = check(runner, FIXTURES / "bad", "--strict")
    assert result.exit_code == 1
    module = subprocess.run([sys.executable, "-m", "app.authoring.check", "--strict",
                             str(FIXTURES / "bad")], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert module.returncode == 1
    assert "quiz.zh.md:25: warning: the question asks for the wrong one ('不属于')" in module.stdout


def test_emphasised_negative_stems_are_fine_and_story_negatives_are_not_stems():
    from app.authoring.item_writing import negative_word

    assert negative_word("以下哪项不属于广告法的禁用词？") == "不属于"
    assert negative_word("Which of these is not a rule?") == "not"
    assert negative_word("Which would she do, EXCEPT…") == "EXCEPT"
    assert negative_word("下列说法错误的是") == "错误的是"
    for fine in ("以下哪项**不属于**禁用词？", "Which is **NOT** allowed?",
                 "业主群里有人问水果在哪买。群不是你建的，你怎么做？",
                 'A neighbour replies "Not right now". What now?', "You're not sure. What now?"):
        assert negative_word(fine) is None, fine


def _course(tmp_path, modules: dict[str, str]) -> Path:
    course = tmp_path / "tf"
    course.mkdir()
    (course / "course.md").write_text("---\nslug: tf\ngating: open\ntitle:\n  zh: 判断\n  en: TF\n---\n")
    for number, (name, quiz) in enumerate(modules.items(), 1):
        folder = course / f"0{number}-{name}"
        folder.mkdir()
        (folder / "module.md").write_text("---\ntitle:\n  zh: 单元\n  en: Module\n---\n")
        (folder / f"01-{name}-lesson.zh.md").write_text("---\ntitle: 课\n---\n正文。\n")
        (folder / f"01-{name}-lesson.en.md").write_text("---\ntitle: Lesson\n---\nBody.\n")
        (folder / "quiz.zh.md").write_text(quiz)
        (folder / "quiz.en.md").write_text(quiz)
    return course


def _tf(ids, true_first):
    mark = ("- [x] 对\n- [ ] 错\n", "- [ ] 对\n- [x] 错\n")
    return "---\npass_mark: 50\n---\n" + "".join(
        f"\n## 说法 {i} {{#{i} type=truefalse}}\n{mark[0] if t else mark[1]}"
        for i, t in zip(ids, true_first))


def test_true_false_keys_one_way_across_a_course_warn_at_course_md(tmp_path):
    # Two per quiz: no quiz has three, but the course has four, all "false".
    course = _course(tmp_path, {"one": _tf(["a", "b"], [False, False]),
                                "two": _tf(["c", "d"], [False, False])})
    warnings = [str(w) for w in read_curriculum(course)[0].warnings]
    assert warnings == ["tf/course.md:1: all 4 true/false questions of this course are keyed "
                        "'false': balance true and false keys across its quizzes"]
    (tmp_path / "balanced").mkdir()
    balanced = _course(tmp_path / "balanced", {"one": _tf(["a", "b"], [True, False]),
                                               "two": _tf(["c", "d"], [False, True])})
    assert read_curriculum(balanced)[0].warnings == []


def _checklist_course(tmp_path, zh: str, en: str) -> Path:
    course = _course(tmp_path, {"one": _tf(["a"], [True])})
    lesson = course / "01-one"
    (lesson / "01-one-lesson.zh.md").write_text("---\ntitle: 课\n---\n正文。\n\n" + zh)
    (lesson / "01-one-lesson.en.md").write_text("---\ntitle: Lesson\n---\nBody.\n\n" + en)
    return course


@pytest.mark.parametrize("zh, en, where, reason", [
    ("```checklist\n- list-names: 写名字\n- mark-them: 标记\n```\n",
     "```checklist\n- list-names: Write names\n- mark-all: Mark them\n```\n",
     "01-one-lesson.en.md:8", "the checklist ids differ"),
    ("```checklist\n- list-names: 写名字\n```\n", "Body without a checklist.\n",
     "01-one-lesson.en.md:1", "the checklist ids differ"),
    ("```checklist\n- List_Names: 写名字\n```\n", "```checklist\n- List_Names: x\n```\n",
     "01-one-lesson.zh.md:7", "may only use a-z, 0-9 and '-'"),
    ("```checklist\n- a: 一\n- a: 二\n```\n", "```checklist\n- a: one\n- a: two\n```\n",
     "01-one-lesson.zh.md:8", "is used twice in this lesson"),
    ("```checklist\n写名字\n```\n", "```checklist\nWrite names\n```\n",
     "01-one-lesson.zh.md:7", "a checklist line reads '- id: what to do'"),
    ("```checklist\n- a: 一\n", "```checklist\n- a: one\n",
     "01-one-lesson.zh.md:6", "is never closed"),
])
def test_checklist_ids_that_cannot_key_a_tick_are_errors(tmp_path, zh, en, where, reason):
    course = _checklist_course(tmp_path, zh, en)
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(course)
    assert any(str(e).startswith(f"tf/01-one/{where}: ") and reason in e.reason
               for e in caught.value.errors), [str(e) for e in caught.value.errors]


def test_same_checklist_ids_in_both_languages_pass(tmp_path):
    course = _checklist_course(tmp_path, "```checklist\n- list-names: 写名字\n```\n",
                               "```checklist\n- list-names: Write names\n```\n")
    assert read_curriculum(course)[0].warnings == []


def test_the_publish_check_shows_item_writing_warnings_in_the_trainers_language(app, trainer):
    text, revision = trainer.open("gamma", "01-start/quiz.zh.md")
    bad = (FIXTURES / "bad" / "01-quiz-writing" / "quiz.zh.md").read_text(encoding="utf-8")
    assert trainer.save("gamma", "01-start/quiz.zh.md", bad, revision).status_code == 302
    text, revision = trainer.open("gamma", "01-start/quiz.en.md")
    bad_en = (FIXTURES / "bad" / "01-quiz-writing" / "quiz.en.md").read_text(encoding="utf-8")
    # The gamma lesson slugs are not the bad quiz's; no lesson= is used there, so it reads.
    assert trainer.save("gamma", "01-start/quiz.en.md", bad_en, revision).status_code == 302
    english = trainer.client.get("/author/courses/gamma/publish").get_data(as_text=True)
    assert "the question asks for the wrong one (&#39;不属于&#39;) without emphasis" in english
    token = csrf_token(trainer.client, "/author/")
    trainer.client.post("/language", data={"language": "zh", "csrf_token": token})
    chinese = trainer.client.get("/author/courses/gamma/publish").get_data(as_text=True)
    assert "题目问的是“哪个不对”（“不属于”），却没有加粗强调" in chinese
    assert "本测验的 3 道判断题，正确答案全是“错”" in chinese
    assert re.search(r"01-start/quiz\.zh\.md:25</a> 题目问的是", chinese)
