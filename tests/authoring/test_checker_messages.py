"""Every checker message can be shown in the trainer's language.

A message built as plain text (an f-string, or a literal not marked with N_) cannot be looked
up in the catalog, so a Chinese trainer reads it in English: the scan below finds every such
reason handed to ContentError, a reader's fail/warn, Reason, or a (line, reason) problem pair,
wherever it is written. The catalog test (tests/test_i18n.py) then requires each marked message
to have its Chinese text."""
import ast
from pathlib import Path

import pytest

from app.authoring.curriculum import CurriculumError, read_curriculum

ROOT = Path(__file__).parents[2]
REASON_ARGUMENT = {"ContentError": 2, "fail": 2, "warn": 2, "Reason": 0}
# Where problems travel as (line, reason) pairs before they become ContentErrors.
PAIR_MODULES = ("app/content/", "app/authoring/curriculum.py", "app/quizzes/parser.py")


def _plain_text(node) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):  # "a" + "b", "%s" % x
        return _plain_text(node.left)
    if isinstance(node, ast.IfExp):
        return _plain_text(node.body) or _plain_text(node.orelse)
    return False


def _offenders() -> list[str]:
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pairs = relative.startswith(PAIR_MODULES)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                index = REASON_ARGUMENT.get(name)
                if index is not None and len(node.args) > index and _plain_text(node.args[index]):
                    found.append(f"{relative}:{node.lineno}: {name}(…) with plain text")
                if pairs and name == "append" and node.args and isinstance(node.args[0], ast.Tuple):
                    if any(_plain_text(e) for e in node.args[0].elts[1:]):
                        found.append(f"{relative}:{node.lineno}: a (line, reason) pair as plain text")
            elif pairs and isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                if any(_plain_text(e) for e in node.value.elts[1:]):
                    found.append(f"{relative}:{node.lineno}: a returned reason as plain text")
            elif pairs and isinstance(node, ast.Tuple) and len(node.elts) == 2 \
                    and isinstance(node.elts[0], (ast.Constant, ast.Name, ast.BinOp)) \
                    and isinstance(node.elts[1], ast.JoinedStr):
                found.append(f"{relative}:{node.lineno}: a (line, reason) pair as an f-string")
    return found


def test_no_checker_message_is_built_as_plain_text():
    assert _offenders() == []


def test_the_scan_finds_what_it_is_for(tmp_path, monkeypatch):
    # The scan itself must be able to fail: a planted f-string reason is found.
    planted = ROOT / "app" / "content" / "_planted_for_test.py"
    planted.write_text('def f(self, path, key):\n    self.fail(path, 1, f"{key} is bad")\n'
                       '    return 1, f"{key} is bad too"\n', encoding="utf-8")
    try:
        assert len({o.split(": ")[0] for o in _offenders() if "_planted_for_test" in o}) == 2
    finally:
        planted.unlink()


def _course(root: Path) -> Path:
    course = root / "broken"
    (course / "01-start").mkdir(parents=True)
    (course / "course.md").write_text("---\nslug: Broken_Slug\norder: x\ntitle:\n  zh: 坏课\n"
                                      "  fr: mauvais\n---\ntext here\n", encoding="utf-8")
    (course / "01-start" / "module.md").write_text("---\ntitle:\n  zh: 开始\n  en: Start\n---\n",
                                                   encoding="utf-8")
    (course / "01-start" / "01-first.zh.md").write_text(
        "---\ntitle: 第一课\nminutes: 500\n---\n见 [下一课](02-none.zh.md)。\n\n"
        "```checklist\n- Bad_Id: 不行\n- ok: 可以\n- ok: 重复\n```\n", encoding="utf-8")
    (course / "01-start" / "notes.txt").write_text("x", encoding="utf-8")
    (course / "02-empty").mkdir()
    return course


def test_a_broken_course_reads_in_chinese_for_a_chinese_trainer(app, tmp_path):
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(_course(tmp_path))
    problems = caught.value.errors + caught.value.warnings
    assert len(problems) >= 8, [str(p) for p in problems]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = [p.localized() for p in problems]
    untranslated = [text for text in chinese if not any("\u4e00" <= ch <= "\u9fff" for ch in text)]
    assert untranslated == []
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [p.localized() for p in problems] == [p.reason for p in problems]


def _gamma(tmp_path) -> Path:
    import shutil

    course = tmp_path / "gamma"
    shutil.copytree(ROOT / "tests" / "fixtures" / "courses" / "gamma", course)
    return course


def test_a_problem_in_the_settings_hides_nothing_below_it_or_in_the_other_language(tmp_path):
    # Each of these used to hide the next: an unknown setting stopped the file, a bad question
    # stopped the lesson= check, and that check pointed at line 1 of the Chinese file only.
    course = _gamma(tmp_path)
    zh = course / "01-start" / "quiz.zh.md"
    en = course / "01-start" / "quiz.en.md"
    zh.write_text(zh.read_text(encoding="utf-8")
                  .replace("pass_mark: 60\n", "pass_mark: 60\nbogus_key: 1\n")
                  .replace("{#trust type=truefalse}", "{#trust type=weird}")
                  .replace("{#first type=single points=2}",
                           "{#first type=single points=2 lesson=no-such-lesson}"), encoding="utf-8")
    en.write_text(en.read_text(encoding="utf-8").replace(
        "{#first type=single points=2}", "{#first type=single points=2 lesson=no-such-lesson}"),
        encoding="utf-8")
    lesson = course / "01-start" / "01-intro.en.md"
    lesson.write_text("---\ntitle: [unclosed\n---\nSee [next](nowhere.md).\n", encoding="utf-8")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(course)
    found = {(e.path, e.line, e.message) for e in caught.value.errors}
    heading = {path: next(number for number, row in enumerate(path.read_text().split("\n"), 1)
                          if "lesson=no-such-lesson" in row) for path in (zh, en)}
    assert ("gamma/01-start/quiz.zh.md", 3, "unknown key '%(key)s' (allowed: %(allowed)s)") in found
    assert any(p == "gamma/01-start/quiz.zh.md" and "type must be one of" in m for p, _l, m in found)
    for path in (zh, en):
        assert (f"gamma/01-start/{path.name}", heading[path],
                "question '%(id)s': lesson=%(slug)s is not a lesson of this course so far "
                "(use the lesson's slug, e.g. where-members-come-from)") in found
    assert any(p == "gamma/01-start/01-intro.en.md" and m.startswith("invalid YAML") for p, _l, m in found)
    assert any(p == "gamma/01-start/01-intro.en.md" and "nowhere.md" in str(e)
               for e in caught.value.errors for p in [e.path] for m in [e.message])
    # The broken English lesson exists: no "has no en version yet" on top of its errors.
    assert not any("has no %(language)s version" in w.message and w.params.get("slug") == "intro"
                   for w in caught.value.warnings)


def test_every_problem_of_duplicated_questions_is_reported(tmp_path):
    course = _gamma(tmp_path)
    quiz = course / "02-next" / "quiz.en.md"
    questions = "".join(f"## Q{n} {{#dup type=single lesson=nope-{n}}}\n- [ ] a\n- [ ] b\n\n"
                        for n in range(5))
    quiz.write_text("---\npass_mark: 60\ndraw: 99\n---\n" + questions, encoding="utf-8")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(course)
    messages = [e.message for e in caught.value.errors if e.path.endswith("02-next/quiz.en.md")]
    assert messages.count("duplicate question id '%(id)s'") == 4
    assert sum("exactly one [x]" in m for m in messages) == 5, messages
    assert sum("lesson=%(slug)s is not a lesson" in m for m in messages) == 5
    assert any(m.startswith("draw is") for m in messages)


def test_the_cli_summary_comes_in_the_chosen_language(runner, tmp_path):
    course = _gamma(tmp_path)
    (course / "01-start" / "01-intro.en.md").unlink()  # a warning: no English version
    (course / "02-next" / "module.md").write_text("---\ntitle: {zh: 下一步, en: Next}\nx: 1\n---\n")
    result = runner.invoke(args=["courses", "check", "--language", "zh", str(course)])
    assert "gamma/02-next/module.md:3: error: 不认识的设置 “x”" in result.output
    assert "warning: 课文“intro”还没有 en 版本" in result.output
    assert "1 个错误，4 个警告" in result.output


@pytest.mark.parametrize("make", ["folder", "dangling link", "fifo"])
def test_an_entry_that_is_not_a_file_is_one_error_not_a_crash_or_a_hang(tmp_path, make):
    import os

    course = _gamma(tmp_path)
    odd = course / "01-start" / "08-odd.en.md"
    if make == "folder":
        odd.mkdir()
    elif make == "dangling link":
        odd.symlink_to(tmp_path / "nowhere.md")
    else:
        os.mkfifo(odd)
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(course)  # a FIFO opened would block here for ever
    assert any(e.path == "gamma/01-start/08-odd.en.md" for e in caught.value.errors), \
        [str(e) for e in caught.value.errors]


def test_check_reads_the_folder_import_reads(runner, tmp_path):
    result = runner.invoke(args=["courses", "check"], env={"COURSES_PATH": str(tmp_path / "typo")})
    assert result.exit_code == 1 and "no such folder" in result.output
