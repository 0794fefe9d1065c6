"""The assignment format: parsing, and every checker error at file:line in the same run as
the course's other problems (fields, limits, rubric, languages, the lesson, requires)."""
import shutil

import pytest

from app.authoring.curriculum import CurriculumError, read_curriculum
from app.practice import assignment as rules
from tests.practice.assignment_helpers import EPSILON

FOLDER = "epsilon/01-welcome"
EN = f"{FOLDER}/assignment-welcome.en.md"



@pytest.fixture
def course(tmp_path):
    target = tmp_path / "epsilon"
    shutil.copytree(EPSILON, target)
    return target


def original(course, language="en") -> str:
    return (course / "01-welcome" / f"assignment-welcome.{language}.md").read_text()


def problems(course, en: str | None = None, zh: str | None = None,
             module_md: str | None = None) -> list[str]:
    folder = course / "01-welcome"
    if en is not None:
        (folder / "assignment-welcome.en.md").write_text(en)
    if zh is not None:
        (folder / "assignment-welcome.zh.md").write_text(zh)
    if module_md is not None:
        (folder / "module.md").write_text(module_md)
    try:
        read_curriculum(course)
    except CurriculumError as error:
        return [str(e) for e in error.errors]
    return []


def changed(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_the_fixture_reads_into_one_content_for_both_languages(course):
    source = read_curriculum(course)[0]
    [entry] = source.modules[0].assignments
    content = entry["content"]
    assert entry["slug"] == "welcome" and entry["required"] is True
    assert content["lesson"] == "greet" and content["max_chars"] == 300
    assert content["max_images"] == 2 and content["min_points"] == 3 and content["pass"] == "approved"
    assert [c["id"] for c in content["criteria"]] == ["personal", "rules"]
    assert [lv["points"] for lv in content["criteria"][0]["levels"]] == [2, 1, 0]
    assert content["criteria"][0]["label"] == {"zh": "叫出她的名字", "en": "Says her name"}
    assert content["max_points"] == 4
    assert "<strong>your</strong>" in content["prompt"]["en"]


@pytest.mark.parametrize("old, new, line, words", [
    ("max_chars: 300", "max_chars: 20", 4, "'max_chars' must be a whole number 50-5000"),
    ("max_chars: 300", "max_chars: 99999", 4, "'max_chars' must be a whole number 50-5000"),
    ("max_images: 2", "max_images: 4", 5, "'max_images' must be a whole number 0-3"),
    ("max_images: 2", "max_images: two", 5, "'max_images' must be a whole number 0-3"),
    ("pass: approved", "pass: automatic", 6, "'pass' must be one of: approved"),
    ("min_points: 3", "min_points: 9", 7, "'min_points' is 9 but the best work scores 4"),
    ("lesson: greet", "lesson: nowhere", 3, "lesson 'nowhere' is not a lesson of this module"),
    ("lesson: greet", "lesson: Not A Slug", 3, "'lesson' is the slug of the lesson"),
    ("title: Your group's welcome message", "title: ''", 2, "'title' must be one line of text"),
])
def test_bad_fields_are_reported_at_their_line(course, old, new, line, words):
    found = problems(course, en=changed(original(course), old, new),
                     zh=changed(original(course, "zh"), old, new) if old != "title: Your group's welcome message" else None)
    assert any(p.startswith(f"{EN}:{line}:") and words in p for p in found), found


def test_a_missing_field_is_named(course):
    found = problems(course, en=changed(original(course), "max_chars: 300\n", ""))
    assert any(p.startswith(f"{EN}:") and "max_chars" in p for p in found), found


def test_a_missing_prompt_and_a_missing_rubric_are_errors(course):
    text = original(course)
    head = text[:text.index("Write the welcome")]
    found = problems(course, en=head + "## Says her name {id=personal}\n- 2: ok\n- 0: no\n")
    assert any(p.startswith(f"{EN}:9:") and "no prompt" in p for p in found), found
    found = problems(course, en=head + "Write something.\n")
    assert any(f"{EN}:9:" in p and "no rubric" in p for p in found), found


@pytest.mark.parametrize("old, new, line, words", [
    ("{id=personal}", "", 11, "a criterion heading reads '## What is judged {id=short-id}'"),
    ("{id=personal}", "{id=Personal}", 11, "criterion id 'Personal' may only use"),
    ("{id=rules}", "{id=personal}", 16, "criterion id 'personal' is used twice"),
    ("- 0: Nothing about the rules", "", 16, "criterion 'rules' needs at least two levels"),
    ("- 1: Welcomes her", "- 2: Welcomes her", 12, "has two levels worth 2 points"),
    ("- 1: Welcomes her", "- 11: Welcomes her", 13, "a level starts with its points"),
    ("- 1: Welcomes her", "- x: Welcomes her", 13, "a level starts with its points"),
    ("- 1: Welcomes her, but it could be anyone", "- 1:", 13, "level 1 has no description"),
    ("- 1: Welcomes her", "Welcomes her", 13, "under a criterion each line is a level"),
])
def test_rubric_errors_are_reported_at_their_line(course, old, new, line, words):
    found = problems(course, en=changed(original(course), old, new))
    assert any(p.startswith(f"{EN}:{line}:") and words in p for p in found), found


def test_languages_that_disagree_are_reported_in_the_second_language(course):
    zh = original(course, "zh")
    found = problems(course, zh=changed(zh, "{id=rules}", "{id=group-rules}"))
    assert any(p.startswith(f"{EN}:16:") and "the criteria differ" in p for p in found), found
    found = problems(course, zh=changed(zh, "- 1: 有欢迎", "- 3: 有欢迎"))
    assert any("criterion 'personal' has levels 2/3/0" in p and "2/1/0" in p
               for p in found), found
    found = problems(course, zh=changed(zh, "max_images: 2", "max_images: 1"))
    assert any(p.startswith(f"{EN}:5:") and "max_images differs" in p for p in found), found


def test_requires_names_an_assignment_of_the_module(course):
    module = (course / "01-welcome" / "module.md").read_text()
    found = problems(course, module_md=module.replace("assignment-welcome", "assignment-nope"))
    assert any(p.startswith(f"{FOLDER}/module.md:") and "assignment-nope" in p for p in found)


def test_bad_file_names_are_reported(course):
    (course / "01-welcome" / "assignment-Bad_Name.en.md").write_text(original(course))
    (course / "01-welcome" / "assignment-welcome.fr.md").write_text(original(course))
    found = problems(course)
    assert any("assignment files are named assignment-slug.LANG.md" in p for p in found)
    assert any("unknown language 'fr'" in p for p in found)


def test_every_problem_of_the_course_comes_in_one_run(course):
    en = changed(changed(original(course), "max_images: 2", "max_images: 9"), "{id=rules}", "")
    (course / "01-welcome" / "01-greet.en.md").write_text("no front matter\n")
    found = problems(course, en=en)
    assert any("max_images" in p for p in found)
    assert any("criterion heading" in p for p in found)
    assert any("01-greet.en.md" in p for p in found)


def test_scores_are_checked_against_the_rubric():
    content = {"criteria": [{"id": "a", "levels": [{"points": 2}, {"points": 0}]}],
               "min_points": 2}
    assert rules.check_scores(content, {"a": "2"}) == ({"a": 2}, None)
    assert rules.check_scores(content, {"a": "1"}) == (None, "score_missing")
    assert rules.check_scores(content, {}) == (None, "score_missing")
    assert rules.may_approve(content, 2) and not rules.may_approve(content, 0)


def test_handed_in_text_is_plain_text():
    assert rules.clean_text("a\r\nb\x00c\x1b[31m  \n\n") == "a\nbc[31m"
    assert rules.clean_text("<script>alert(1)</script>") == "<script>alert(1)</script>"
