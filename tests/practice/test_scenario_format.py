"""The scenario format: parsing, every checker error at file:line in the same run as the
course's other problems, languages, and scoring worked by hand."""
import shutil

import pytest

from app.authoring.curriculum import CurriculumError, read_curriculum
from app.practice import scenario as rules
from tests.practice.conftest import DELTA

VALID = """---
title: T
customer: C
dimensions:
  empathy: Empathy
  honesty: Honesty
pass_mark: 50
---

## Start {#start}
Hello.

- Good reply {next=won empathy=2}
  > Feedback: Good.
- Bad reply {next=lost honesty=0}
  > Feedback: Bad.

## Won {#won ending=good}
Well done.

## Lost {#lost ending=bad}
Too bad.
"""
FILE = "delta/01-first/roleplay-t.en.md"


@pytest.fixture
def course(tmp_path):
    target = tmp_path / "delta"
    shutil.copytree(DELTA, target)
    return target


def problems(course, en: str | None = VALID, zh: str | None = None, module_md: str | None = None):
    folder = course / "01-first"
    if en is not None:
        (folder / "roleplay-t.en.md").write_text(en)
    if zh is not None:
        (folder / "roleplay-t.zh.md").write_text(zh)
    if module_md is not None:
        (folder / "module.md").write_text(module_md)
    try:
        read_curriculum(course)
    except CurriculumError as error:
        return [str(e) for e in error.errors]
    return []


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_the_valid_file_parses(course):
    assert problems(course) == []
    source = read_curriculum(course)[0]
    content = next(s for s in source.modules[0].scenarios if s["slug"] == "t")["content"]
    assert [n["id"] for n in content["nodes"]] == ["start", "won", "lost"]
    assert [n["ending"] for n in content["nodes"]] == [None, "good", "bad"]
    assert content["nodes"][0]["options"][0] == {
        "next": "won", "points": {"empathy": 2}, "text": {"en": "Good reply"},
        "feedback": {"en": "<p>Good.</p>"}}
    assert content["dimensions"] == [{"id": "empathy", "label": {"en": "Empathy"}},
                                     {"id": "honesty", "label": {"en": "Honesty"}}]
    assert content["pass_mark"] == 50 and content["start"] == "start"


def test_a_missing_language_is_a_warning(course):
    problems(course)
    warnings = [str(w) for w in read_curriculum(course)[0].warnings]
    assert f"{FILE}:1: the role-play has no zh version yet (add roleplay-t.zh.md)" in warnings


@pytest.mark.parametrize("change, expected", [
    (("{next=won empathy=2}", "{next=nowhere empathy=2}"),
     "13: next=nowhere: there is no node {#nowhere}"),
    (("{#won ending=good}", "{#won}"),
     "18: node 'won' has no reply options and is not an ending"),
    (("{next=won empathy=2}", "{next=won}"), "13: the option gives no points"),
    (("  > Feedback: Good.\n", ""), "13: the option has no feedback"),
    (("empathy=2}", "empathy=5}"), "13: empathy=5: points are a whole number 0-3"),
    (("empathy=2}", "empathy=lots}"), "13: empathy=lots: points are a whole number 0-3"),
    (("empathy=2}", "closing=1}"), "13: unknown dimension 'closing'"),
    (("Too bad.\n", "Too bad.\n\n- Again {next=start empathy=1}\n  > Feedback: f.\n"),
     "24: node 'lost' is an ending: an ending has a summary and no reply options"),
    (("Too bad.\n", "Too bad.\n\n## Orphan {#orphan}\nHi.\n\n- x {next=won empathy=1}\n"
                    "  > Feedback: f.\n"),
     "24: node 'orphan' cannot be reached from the start"),
    (("Hello.\n", "Hello.\n\n![x](nothere.png)\n"), "13: broken image 'nothere.png'"),
    (("  > Feedback: Good.\n", "  > Feedback: Good.\n  > Feedback: Again.\n"),
     "15: a second '> Feedback:' line"),
    (("{#won ending=good}", "{#won ending=great}"), "18: ending=great: an ending is good"),
    (("## Start {#start}", "## Start"), "10: a node heading needs an id"),
    (("## Start {#start}", "## Start {#Start_1}"), "10: node id 'Start_1' may only use"),
    (("## Lost {#lost ending=bad}", "## Lost {#won ending=bad}"),
     "21: duplicate node id 'won' (also line 18)"),
    (("\n## Start {#start}", "Hi there\n## Start {#start}"), "9: text before the first node"),
    (("  > Feedback: Bad.\n", "  > Feedback: Bad.\nAn afterthought.\n"),
     "17: text after the reply options"),
    (("- Good reply {next=won empathy=2}", "- Good reply"), "13: an option ends with its"),
    (("  honesty: Honesty\n", ""), "4: a scenario has 2 to 5 dimensions (this one has 1)"),
    (("pass_mark: 50", "pass_mark: 0"), "7: 'pass_mark' must be a whole number 1-100"),
    (("customer: C\n", ""), "missing required key 'customer'"),
])
def test_every_checker_error_names_its_line(course, change, expected):
    found = problems(course, replace(VALID, *change))
    assert any(p.startswith(f"{FILE}:{expected.split(':')[0]}:") and expected.split(": ", 1)[1]
               in p for p in found) if ": " in expected else any(expected in p for p in found), found


def test_a_cycle_with_no_way_out(course):
    text = replace(VALID, "{next=won empathy=2}", "{next=round empathy=2}")
    text += ("\n## Round {#round}\nAgain?\n\n- Yes {next=about empathy=1}\n  > Feedback: f.\n"
             "\n## About {#about}\nAnd?\n\n- Back {next=round empathy=1}\n  > Feedback: f.\n")
    found = problems(course, text)
    assert f"{FILE}:24: no ending can be reached from node 'round': every way from it goes " \
           "round in a circle or stops" in found
    assert any(p.startswith(f"{FILE}:30: no ending can be reached from node 'about'")
               for p in found)
    assert not any("'start'" in p for p in found)  # the start still has a way out


def test_the_first_node_cannot_be_an_ending(course):
    text = "\n".join(VALID.split("\n")[:9]) + "\n## Done {#done ending=good}\nBye.\n"
    assert f"{FILE}:10: the first node starts the conversation: it cannot be an ending" \
        in problems(course, text)


def test_languages_that_disagree(course):
    zh = VALID.replace("Hello.", "你好。")
    assert problems(course, zh=zh) == []
    zh_file = "delta/01-first/roleplay-t.zh.md"
    found = problems(course, zh=replace(zh, "pass_mark: 50", "pass_mark: 60"))
    assert found == [f"{FILE}:7: pass_mark differs from {zh_file} (60 there, 50 here)"]
    found = problems(course, zh=replace(zh, "{next=lost honesty=0}", "{next=lost honesty=1}"))
    assert found == [f"{FILE}:15: option 2 of node 'start' has {{next=lost honesty=0}} here "
                     f"but {{next=lost honesty=1}} in {zh_file}: every language has the same "
                     "attributes"]
    found = problems(course, zh=replace(zh, "  empathy: Empathy\n  honesty: Honesty\n",
                                        "  honesty: Honesty\n  empathy: Empathy\n"))
    assert found[0].startswith(f"{FILE}:4: the dimensions differ from {zh_file} "
                               "(honesty, empathy there, empathy, honesty here)")
    swapped = zh.replace("## Won {#won ending=good}\nWell done.\n\n## Lost {#lost ending=bad}\n"
                         "Too bad.\n", "## Lost {#lost ending=bad}\nToo bad.\n\n"
                         "## Won {#won ending=good}\nWell done.\n")
    found = problems(course, zh=swapped)
    assert found == [f"{FILE}:18: the nodes differ from {zh_file} (lost there, won here): every "
                     "language has the same node ids in the same order"]
    found = problems(course, zh=replace(zh, "  > Feedback: Bad.\n", "  > Feedback: Bad.\n"
                                        "- Third {next=won empathy=1}\n  > Feedback: f.\n"))
    assert found == [f"{FILE}:10: node 'start' has 3 options in {zh_file} but 2 here"]


def test_every_error_comes_in_the_same_run_as_the_others(course):
    (course / "01-first" / "01-read.en.md").write_text("---\nminutes: 3\n---\nText.\n")
    (course / "01-first" / "roleplay-Bad_Name.en.md").write_text(VALID)
    module_md = (course / "01-first" / "module.md").read_text().replace(
        "[roleplay-price]", "[roleplay-price, roleplay-nothing]")
    found = problems(course, replace(VALID, "empathy=2}", "empathy=9}"), module_md=module_md)
    assert "delta/01-first/01-read.en.md:4: missing required key 'title'" in found or any(
        "01-read.en.md" in p and "missing required key 'title'" in p for p in found)
    assert any(p.startswith(f"{FILE}:13: empathy=9") for p in found)
    assert "delta/01-first/roleplay-Bad_Name.en.md:1: role-play files are named " \
           "roleplay-slug.LANG.md (e.g. roleplay-cheaper-elsewhere.zh.md)" in found
    assert "delta/01-first/module.md:5: requires roleplay-nothing: this module has no file " \
           "roleplay-nothing.LANG.md" in found


def test_checker_messages_are_translated(app, course):
    problems(course, replace(VALID, "{next=won empathy=2}", "{next=nowhere empathy=2}"))
    with pytest.raises(CurriculumError) as raised:
        read_curriculum(course)
    error = raised.value.errors[0]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert error.localized() == "next=nowhere：没有 {#nowhere} 这个节点"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert error.localized() == "next=nowhere: there is no node {#nowhere}"


def test_stage_directions_are_told_apart_from_her_words():
    nodes, found = rules.parse_body("## A {#a}\n（她停顿了一下。）\n\n(A pause.)\n\nHello (really).\n"
                                    "\n- x {next=a empathy=1}\n  > Feedback: f\n", 10)
    assert found == []
    assert [(p.line, p.stage) for p in nodes[0].paragraphs] == [(11, True), (13, True),
                                                                 (15, False)]
    assert nodes[0].options[0].line == 17 and nodes[0].options[0].feedback_line == 18


# Scoring, worked by hand on the delta scenario (tests/practice/fixtures/delta):
# start: empathy best 2, honesty best 1; checked: empathy best 1 (second option), honesty best 3;
# middle: empathy best 1, honesty best 1.
def _content():
    source = read_curriculum(DELTA)[0]
    return source.modules[0].scenarios[0]["content"]


def test_scoring_the_best_way():
    # start option 0 (empathy 2, honesty 1), checked option 0 (honesty 3):
    # empathy 2 of 2+1 = 67 %, honesty 1+3 of 1+3 = 100 %, overall 6 of 7 = 86 %.
    result = rules.score(_content(), [{"node": "start", "option": 0},
                                      {"node": "checked", "option": 0}])
    assert result["dimensions"] == {"empathy": {"earned": 2, "max": 3, "percent": 67},
                                    "honesty": {"earned": 4, "max": 4, "percent": 100}}
    assert (result["earned"], result["max"], result["percent"], result["passed"]) == (6, 7, 86,
                                                                                      True)


def test_scoring_the_worst_and_the_boundary():
    content = _content()
    worst = rules.score(content, [{"node": "start", "option": 1}])
    # One decision met: 0 of empathy 2, 0 of honesty 1.
    assert (worst["earned"], worst["max"], worst["percent"], worst["passed"]) == (0, 3, 0, False)
    middle = rules.score(content, [{"node": "start", "option": 2}, {"node": "middle", "option": 0}])
    # empathy 1+1 of 2+1, honesty 0+1 of 1+1: 3 of 5 = 60 % = the pass mark: passed.
    assert middle["dimensions"]["empathy"] == {"earned": 2, "max": 3, "percent": 67}
    assert middle["dimensions"]["honesty"] == {"earned": 1, "max": 2, "percent": 50}
    assert (middle["earned"], middle["max"], middle["percent"], middle["passed"]) == (3, 5, 60,
                                                                                      True)
    content["pass_mark"] = 61
    assert rules.score(content, middle_path := [{"node": "start", "option": 2},
                                                {"node": "middle", "option": 0}])["passed"] is False
    assert middle_path


def test_the_shipped_scenarios(shipped_curriculum):
    shipped = [(course.slug, module.slug, s) for course in shipped_curriculum
               for module in course.modules for s in module.scenarios]
    assert len(shipped) >= 8
    for _course, _module, entry in shipped:
        content = entry["content"]
        assert rules.decisions(content) >= 6, entry["slug"]
        assert set(content["title"]) == {"zh", "en"}, entry["slug"]
    required = {(c, m, s["slug"]) for c, m, s in shipped if s["required"]}
    assert required == {("customer-service", "objections", "cheaper-elsewhere"),
                        ("customer-service", "objections", "is-it-genuine")}


def test_the_documented_example_is_a_valid_scenario_and_scores_as_documented(course):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "course-format.md").read_text()
    section = docs[docs.index("## Role-play scenarios"):]
    example = section[section.index("```markdown\n") + 12:section.index("\n```\n")] + "\n"
    from tests.authoring.test_transfer import png

    (course / "01-first" / "other-app.png").write_bytes(png())
    assert problems(course, example) == []
    content = next(s for s in read_curriculum(course)[0].modules[0].scenarios
                   if s["slug"] == "t")["content"]
    result = rules.score(content, [{"node": "start", "option": 0},
                                   {"node": "same-size", "option": 0}])
    assert result["dimensions"]["empathy"] == {"earned": 2, "max": 3, "percent": 67}
    assert result["dimensions"]["honesty"] == {"earned": 4, "max": 4, "percent": 100}
    assert (result["percent"], result["passed"]) == (86, True)


def test_a_long_chain_is_checked_in_linear_time():
    """The graph check is linear: a chain of 10,000 decisions (a file past the size limit,
    so beyond what a trainer can send) took 38 s when each pass added one node."""
    import time

    body = "".join(f"## N{i} {{#n{i}}}\nHi.\n\n- Go on {{next=n{i + 1} empathy=1}}\n"
                   f"  > Feedback: Fine.\n\n" for i in range(10_000))
    body += "## End {#n10000 ending=good}\nDone.\n"
    nodes, shape_problems = rules.parse_body(body, 1)
    started = time.perf_counter()
    assert rules.check_graph(nodes, {"empathy": "Empathy"}) == [] and shape_problems == []
    assert time.perf_counter() - started < 3
