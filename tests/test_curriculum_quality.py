"""The shipped quizzes measure skill, not test-wiseness, and the two languages stay one course.

Statistics over every shipped quiz file (each language on its own), the checker's strict
mode on the whole curriculum, the lesson blocks rendering, and zh/en parity.
"""
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.authoring.cli import check_command
from app.authoring.item_writing import _plain
from app.quizzes.parser import parse_quiz_file

COURSES = Path(__file__).parents[1] / "courses"
LANGUAGES = ("zh", "en")
QUIZ_FOLDERS = sorted(path.parent for path in COURSES.glob("*/*/quiz.zh.md"))


def parsed(folder: Path, locale: str):
    path = folder / f"quiz.{locale}.md"
    return parse_quiz_file(path.read_text(encoding="utf-8"), str(path.relative_to(COURSES)))


def name(folder: Path) -> str:
    return f"{folder.parent.name}/{folder.name}"


@pytest.fixture(scope="module")
def curriculum(shipped_curriculum):
    return list(shipped_curriculum)


def test_every_module_of_every_course_has_a_quiz_in_both_languages():
    modules = sorted(path.parent for path in COURSES.glob("*/*/module.md"))
    assert modules and [m for m in modules if m not in QUIZ_FOLDERS] == []
    assert all((folder / "quiz.en.md").exists() for folder in QUIZ_FOLDERS)


@pytest.mark.parametrize("folder", QUIZ_FOLDERS, ids=name)
def test_each_pool_holds_at_least_10_and_draws_6_or_7(folder):
    for locale in LANGUAGES:
        quiz = parsed(folder, locale)
        pool, draw = len(quiz.questions), quiz.settings["draw"]
        assert pool >= 10, f"{name(folder)} {locale}: a pool of {pool}"
        assert draw is not None and 6 <= draw <= 7 and draw <= pool, \
            f"{name(folder)} {locale}: draw {draw} of {pool}"


def key_is_longest(question) -> bool:
    lengths = [len(_plain(option.text)) for option in question.options]
    key = next(i for i, option in enumerate(question.options) if option.correct)
    return all(lengths[key] > length for i, length in enumerate(lengths) if i != key)


@pytest.mark.parametrize("folder", QUIZ_FOLDERS, ids=name)
def test_the_key_is_the_longest_option_in_at_most_a_third_of_single_choice_items(folder):
    for locale in LANGUAGES:
        singles = [q for q in parsed(folder, locale).questions if q.type == "single"]
        longest = [q.id for q in singles if key_is_longest(q)]
        assert 3 * len(longest) <= len(singles), \
            f"{name(folder)} {locale}: the key is longest in {len(longest)} of {len(singles)}: {longest}"


def course_questions(course: Path, locale: str = "zh"):
    return [q for folder in QUIZ_FOLDERS if folder.parent == course
            for q in parsed(folder, locale).questions]


COURSE_FOLDERS = sorted({folder.parent for folder in QUIZ_FOLDERS})


@pytest.mark.parametrize("course", COURSE_FOLDERS, ids=lambda p: p.name)
def test_true_false_keys_are_balanced_within_each_course(course):
    keys = Counter(q.options[0].correct for q in course_questions(course) if q.type == "truefalse")
    assert abs(keys[True] - keys[False]) <= 1, \
        f"{course.name}: {keys[True]} keyed true, {keys[False]} keyed false"


@pytest.mark.parametrize("course", COURSE_FOLDERS, ids=lambda p: p.name)
def test_keyed_counts_in_multiple_choice_vary_within_each_course(course):
    counts = [sum(o.correct for o in q.options)
              for q in course_questions(course) if q.type == "multiple"]
    if len(counts) >= 2:
        assert len(set(counts)) > 1, f"{course.name}: every multiple-choice item keys {counts[0]}"


@pytest.mark.slow
def test_the_shipped_curriculum_has_no_warnings_under_strict_checking():
    result = CliRunner().invoke(check_command, ["--strict", str(COURSES)])
    problems = [line for line in result.output.splitlines() if ": warning: " in line
                or ": error: " in line]
    assert (result.exit_code, problems) == (0, [])


FENCE = re.compile(r"^ {0,3}```(template|checklist)\s*$", re.MULTILINE)


@pytest.mark.slow
def test_every_template_and_checklist_of_every_lesson_renders(curriculum):
    blocks = Counter()
    for course in curriculum:
        for module in course.modules:
            for lesson in module.lessons:
                for text in lesson.texts.values():
                    fences = Counter(FENCE.findall(text.markdown))
                    html = text.rendered.html
                    assert text.rendered.problems == [], text.path
                    assert html.count('<div class="template-block">') == fences["template"], text.path
                    assert html.count('<ul class="checklist">') == fences["checklist"], text.path
                    assert html.count('class="checklist-item"') == len(text.rendered.checklist)
                    assert "```" not in html.replace("<code>```", ""), text.path
                    blocks.update(fences)
    assert blocks["template"] > 0 and blocks["checklist"] > 0


IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def diagram_stem(reference: str, locale: str) -> str:
    """rfm-quadrant.zh.svg and rfm-quadrant.svg are the same diagram: rfm-quadrant."""
    return re.sub(rf"\.{locale}\.svg$|\.svg$", "", reference)


def test_zh_and_en_are_one_course_lessons_quizzes_checklists_and_diagrams(curriculum):
    for course in curriculum:
        for module in course.modules:
            where = f"{course.slug}/{module.slug}"
            for lesson in module.lessons:
                assert set(lesson.texts) == set(LANGUAGES), f"{where}/{lesson.slug}"
                zh, en = lesson.texts["zh"], lesson.texts["en"]
                assert [i for _l, i in zh.rendered.checklist] == \
                    [i for _l, i in en.rendered.checklist], zh.path
                diagrams = {}
                for text in (zh, en):
                    refs = [r for r in IMAGE.findall(text.markdown) if r.endswith(".svg")]
                    folder = COURSES.parent / Path(text.path).parent
                    for ref in refs:
                        assert (folder / ref).is_file(), f"{text.path}: {ref}"
                        assert not ref.endswith(f".{'en' if text.locale == 'zh' else 'zh'}.svg"), \
                            f"{text.path} shows the other language's diagram {ref}"
                    diagrams[text.locale] = [diagram_stem(r, text.locale) for r in refs]
                assert diagrams["zh"] == diagrams["en"], zh.path
        for folder in QUIZ_FOLDERS:
            if folder.parent.name != Path(course.path).parent.name:
                continue
            zh, en = parsed(folder, "zh"), parsed(folder, "en")
            assert zh.settings == en.settings, name(folder)
            assert [(q.id, q.type, q.points, q.lessons) for q in zh.questions] == \
                [(q.id, q.type, q.points, q.lessons) for q in en.questions], name(folder)
            for a, b in zip(zh.questions, en.questions):
                assert [o.correct for o in a.options] == [o.correct for o in b.options], (name(folder), a.id)
                assert len(a.items) == len(b.items) and len(a.answers) == len(b.answers), (name(folder), a.id)
    svg_files = sorted(COURSES.glob("*/*/*.svg"))
    for path in svg_files:  # every diagram in both languages (or one file for both)
        match = re.match(r"(.+)\.(zh|en)\.svg$", path.name)
        if match:
            other = "en" if match.group(2) == "zh" else "zh"
            assert (path.parent / f"{match.group(1)}.{other}.svg").exists(), path


def test_every_module_shows_at_least_one_diagram(curriculum):
    for course in curriculum:
        for module in course.modules:
            refs = [r for lesson in module.lessons for text in lesson.texts.values()
                    for r in IMAGE.findall(text.markdown) if r.endswith(".svg")]
            assert refs, f"{course.slug}/{module.slug} has no diagram"
