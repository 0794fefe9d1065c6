"""Scenario files → checked plain content: the front matter read by the content pipeline,
the body and the graph by scenario.py (pure), every language compared with the first, and
every customer message, feedback and summary rendered by app/content (sanitised).

Problems are ContentError(path, line, reason), all of them in one run.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..content import ContentError, render_markdown, split_front_matter
from . import assignment, scenario

# (markdown, line of its first line in the file, file path) -> sanitised HTML
Render = Callable[[str, int, str], str]


class _KeyLines:
    """The line of each front-matter key (1 for a key not there), for messages."""

    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def _front_matter(text: str, path: str, keys, required, errors: list[ContentError]):
    """The file's front matter, or None with its problem added to `errors`."""
    try:
        return split_front_matter(text, path, keys, required, errors)
    except ContentError as error:
        errors.append(error)
        return None


@dataclass
class ParsedScenario(_KeyLines):
    path: str
    settings: scenario.Settings
    nodes: list[scenario.Node]
    key_lines: dict[str, int] = field(default_factory=dict)


def parse_scenario_file(text: str, path: str,
                        errors: list[ContentError]) -> ParsedScenario | None:
    """One language's file; its problems are added to `errors`."""
    fm = _front_matter(text, path, scenario.FRONT_MATTER_KEYS, scenario.FRONT_MATTER_KEYS,
                       errors)
    if fm is None:
        return None
    settings, problems = scenario.check_settings(fm.data, fm.line_of)
    nodes, shape = scenario.parse_body(fm.body, fm.body_line)
    problems += shape + scenario.check_graph(nodes, settings.dimensions)
    errors += [ContentError(path, line, reason) for line, reason in problems]
    return ParsedScenario(path, settings, nodes, fm.key_lines)


def default_render(markdown: str, _line: int, _path: str) -> str:
    return render_markdown(markdown).html


def merge_languages(parsed: dict[str, ParsedScenario], errors: list[ContentError],
                    render: Render = default_render) -> dict | None:
    """One content structure for every language; None when the languages disagree."""
    order = sorted(parsed, key=lambda language: (language != "zh", language))
    first = parsed[order[0]]
    count = len(errors)
    for language in order[1:]:
        other = parsed[language]
        errors += [ContentError(other.path, line, reason) for line, reason in
                   scenario.compare_languages((first.settings, first.nodes),
                                              (other.settings, other.nodes), first.path,
                                              other.line_of)]
    if len(errors) > count:
        return None
    nodes = []
    for index, node in enumerate(first.nodes):
        per = {language: parsed[language].nodes[index] for language in order}
        entry = {
            "id": node.id, "ending": node.ending,
            "label": {language: n.label for language, n in per.items()},
            "bubbles": {language: [
                {"stage": p.stage, "html": render(p.text, p.line, parsed[language].path)}
                for p in n.paragraphs] for language, n in per.items()},
            "options": [],
        }
        for number, option in enumerate(node.options):
            entry["options"].append({
                "next": option.next, "points": dict(option.points),
                "text": {language: n.options[number].text for language, n in per.items()},
                "feedback": {language: render(n.options[number].feedback or "",
                                              n.options[number].feedback_line or n.line,
                                              parsed[language].path)
                             for language, n in per.items()},
            })
        nodes.append(entry)
    return {
        "title": {language: parsed[language].settings.title for language in order},
        "customer": {language: parsed[language].settings.customer for language in order},
        "dimensions": [{"id": dimension,
                        "label": {language: parsed[language].settings.dimensions.get(dimension, "")
                                  for language in order}}
                       for dimension in first.settings.dimensions],
        "pass_mark": first.settings.pass_mark,
        "start": first.nodes[0].id,
        "nodes": nodes,
    }


@dataclass
class ParsedAssignment(_KeyLines):
    path: str
    settings: assignment.Settings
    prompt: str
    prompt_line: int
    criteria: list[assignment.Criterion]
    key_lines: dict[str, int] = field(default_factory=dict)


def parse_assignment_file(text: str, path: str,
                          errors: list[ContentError]) -> ParsedAssignment | None:
    """One language's assignment file; its problems are added to `errors`."""
    fm = _front_matter(text, path, assignment.FRONT_MATTER_KEYS, assignment.REQUIRED_KEYS,
                       errors)
    if fm is None:
        return None
    settings, problems = assignment.check_settings(fm.data, fm.line_of)
    prompt, prompt_line, criteria, shape = assignment.parse_body(fm.body, fm.body_line)
    problems += shape + assignment.check_min_points(settings, criteria, fm.line_of)
    errors += [ContentError(path, line, reason) for line, reason in problems]
    return ParsedAssignment(path, settings, prompt, prompt_line, criteria, fm.key_lines)


def merge_assignment(parsed: dict[str, ParsedAssignment], errors: list[ContentError],
                     render: Render = default_render) -> dict | None:
    """One content structure for every language; None when the languages disagree."""
    order = sorted(parsed, key=lambda language: (language != "zh", language))
    first = parsed[order[0]]
    count = len(errors)
    for language in order[1:]:
        other = parsed[language]
        errors += [ContentError(other.path, line, reason) for line, reason in
                   assignment.compare_languages((first.settings, first.criteria),
                                                (other.settings, other.criteria), first.path,
                                                other.line_of)]
    if len(errors) > count:
        return None
    criteria = []
    for index, criterion in enumerate(first.criteria):
        per = {language: parsed[language].criteria[index] for language in order}
        criteria.append({
            "id": criterion.id,
            "label": {language: c.label for language, c in per.items()},
            "levels": [{"points": level.points,
                        "text": {language: c.levels[number].text for language, c in per.items()}}
                       for number, level in enumerate(criterion.levels)],
        })
    settings = first.settings
    return {
        "title": {language: parsed[language].settings.title for language in order},
        "prompt": {language: render(parsed[language].prompt, parsed[language].prompt_line,
                                    parsed[language].path) for language in order},
        "lesson": settings.lesson, "max_chars": settings.max_chars,
        "max_images": settings.max_images, "pass": settings.pass_rule,
        "min_points": settings.min_points, "criteria": criteria,
        "max_points": assignment.max_points(criteria),
    }
