"""Assignments (docs/course-format.md, "Assignments"): the front matter's limits, the body's
prompt and rubric (criteria with levels), the comparison of languages, and the review's
arithmetic. Plain functions over plain values: problems are (line, Reason) pairs, lines
counted in the whole file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..content.reasons import N_, Reason

ID = re.compile(r"^[a-z][a-z0-9-]*$")
FRONT_MATTER_KEYS = {"title", "lesson", "max_chars", "max_images", "pass", "min_points"}
REQUIRED_KEYS = {"title", "lesson", "max_chars", "max_images"}
MIN_CHARS, MAX_CHARS = 50, 5000
MAX_IMAGES = 3
MAX_CRITERIA = 8
MAX_LEVEL_POINTS = 10
PASS_RULES = ("approved",)  # a reviewer approves (with min_points: and scores at least that)

_HEADING = re.compile(r"^##(?!#)\s*(?P<text>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
_LEVEL = re.compile(r"^[-*]\s+(?P<points>\S+?)\s*[:：]\s*(?P<text>.*?)\s*$")


@dataclass
class Level:
    line: int
    points: int
    text: str


@dataclass
class Criterion:
    line: int
    id: str | None
    label: str
    levels: list[Level] = field(default_factory=list)


@dataclass
class Settings:
    title: str = ""
    lesson: str | None = None
    max_chars: int | None = None
    max_images: int | None = None
    pass_rule: str = "approved"
    min_points: int | None = None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_settings(data: dict, line_of) -> tuple[Settings, list[tuple[int, str]]]:
    """The front matter's values (keys already checked by the front matter reader)."""
    problems: list[tuple[int, str]] = []
    settings = Settings()
    title = data.get("title")
    if title is not None:
        if not isinstance(title, str) or not title.strip():
            problems.append((line_of("title"), Reason(N_("'title' must be one line of text"))))
        else:
            settings.title = title.strip()
    lesson = data.get("lesson")
    if lesson is not None:
        if not isinstance(lesson, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", lesson):
            problems.append((line_of("lesson"), Reason(N_(
                "'lesson' is the slug of the lesson whose \"Try it today\" this assignment "
                "hands in (e.g. lesson: your-first-invitations)"))))
        else:
            settings.lesson = lesson
    max_chars = data.get("max_chars")
    if max_chars is not None:
        if not _whole(max_chars) or not MIN_CHARS <= max_chars <= MAX_CHARS:
            problems.append((line_of("max_chars"), Reason(N_(
                "'max_chars' must be a whole number %(low)s-%(high)s"),
                low=MIN_CHARS, high=MAX_CHARS)))
        else:
            settings.max_chars = max_chars
    max_images = data.get("max_images")
    if max_images is not None:
        if not _whole(max_images) or not 0 <= max_images <= MAX_IMAGES:
            problems.append((line_of("max_images"), Reason(N_(
                "'max_images' must be a whole number 0-%(high)s"), high=MAX_IMAGES)))
        else:
            settings.max_images = max_images
    rule = data.get("pass")
    if rule is not None:
        if rule not in PASS_RULES:
            problems.append((line_of("pass"), Reason(N_(
                "'pass' must be one of: %(rules)s (a reviewer approves the work)"),
                rules=", ".join(PASS_RULES))))
        else:
            settings.pass_rule = rule
    min_points = data.get("min_points")
    if min_points is not None:
        if not _whole(min_points) or min_points < 1:
            problems.append((line_of("min_points"), Reason(N_(
                "'min_points' must be a whole number of at least 1"))))
        else:
            settings.min_points = min_points
    return settings, problems


def parse_body(body: str, first_line: int) -> tuple[str, int, list[Criterion],
                                                     list[tuple[int, str]]]:
    """(the prompt's Markdown, its first line, the criteria in order, problems)."""
    problems: list[tuple[int, str]] = []
    prompt: list[str] = []
    criteria: list[Criterion] = []
    criterion: Criterion | None = None
    for number, line in enumerate(body.split("\n"), start=first_line):
        heading = _HEADING.match(line)
        if heading:
            attrs = (heading.group("attrs") or "").split()
            ids = [a.partition("=")[2] for a in attrs if a.startswith("id=")]
            if len(ids) != 1 or len(attrs) != 1:
                problems.append((number, Reason(N_(
                    "a criterion heading reads '## What is judged {id=short-id}'"))))
            criterion = Criterion(number, ids[0] if len(ids) == 1 else None,
                                  heading.group("text"))
            criteria.append(criterion)
            if not criterion.label:
                problems.append((number, Reason(N_("the criterion has no text after '##'"))))
            continue
        if criterion is None:
            prompt.append(line)
            continue
        if not line.strip():
            continue
        level = _LEVEL.match(line)
        if not level:
            problems.append((number, Reason(N_(
                "under a criterion each line is a level: '- 2: what work at this level "
                "looks like'"))))
            continue
        raw = level.group("points")
        if not re.fullmatch(r"\d{1,3}", raw) or int(raw) > MAX_LEVEL_POINTS:
            problems.append((number, Reason(N_(
                "a level starts with its points, a whole number 0-%(high)s (e.g. '- 2: …')"),
                high=MAX_LEVEL_POINTS)))
            continue
        if not level.group("text"):
            problems.append((number, Reason(N_("level %(points)s has no description"),
                                            points=raw)))
            continue
        criterion.levels.append(Level(number, int(raw), level.group("text")))
    text = "\n".join(prompt).strip("\n")
    prompt_line = first_line + next((i for i, row in enumerate(prompt) if row.strip()), 0)
    if not text.strip():
        problems.append((first_line, Reason(N_(
            "the assignment has no prompt: before the first '##' write what to do and what "
            "to hand in"))))
    problems += check_criteria(criteria, first_line)
    return text, prompt_line, criteria, problems


def check_criteria(criteria: list[Criterion], first_line: int) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    if not criteria:
        problems.append((first_line, Reason(N_(
            "the assignment has no rubric: add at least one criterion ('## … {id=…}' with "
            "'- points: description' levels)"))))
    if len(criteria) > MAX_CRITERIA:
        problems.append((criteria[MAX_CRITERIA].line, Reason(N_(
            "at most %(count)s criteria: a reviewer on a phone scores each one"),
            count=MAX_CRITERIA)))
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.id is not None:
            if not ID.match(criterion.id) or len(criterion.id) > 40:
                problems.append((criterion.line, Reason(N_(
                    "criterion id '%(id)s' may only use a-z, 0-9 and '-', starting with a "
                    "letter"), id=criterion.id)))
            elif criterion.id in seen:
                problems.append((criterion.line, Reason(N_(
                    "criterion id '%(id)s' is used twice"), id=criterion.id)))
            seen.add(criterion.id)
        if len(criterion.levels) < 2:
            problems.append((criterion.line, Reason(N_(
                "criterion '%(id)s' needs at least two levels to choose from"),
                id=criterion.id or criterion.label)))
        points = [level.points for level in criterion.levels]
        for level in criterion.levels:
            if points.count(level.points) > 1:
                problems.append((level.line, Reason(N_(
                    "criterion '%(id)s' has two levels worth %(points)s points"),
                    id=criterion.id or criterion.label, points=level.points)))
                break
    return problems


def max_points(criteria) -> int:
    """The best total: the top level of every criterion (plain data or Criterion objects)."""
    total = 0
    for criterion in criteria:
        levels = criterion["levels"] if isinstance(criterion, dict) else criterion.levels
        total += max((lv["points"] if isinstance(lv, dict) else lv.points) for lv in levels) \
            if levels else 0
    return total


def check_min_points(settings: Settings, criteria: list[Criterion], line_of) -> list:
    if settings.min_points is not None and criteria and \
            settings.min_points > max_points(criteria):
        return [(line_of("min_points"), Reason(N_(
            "'min_points' is %(points)s but the best work scores %(best)s"),
            points=settings.min_points, best=max_points(criteria)))]
    return []


def compare_languages(first: tuple[Settings, list[Criterion]],
                      other: tuple[Settings, list[Criterion]], first_path: str,
                      line_of) -> list[tuple[int, str]]:
    """Problems of `other` (in its own lines) where it disagrees with `first`."""
    problems: list[tuple[int, str]] = []
    (settings_a, criteria_a), (settings_b, criteria_b) = first, other
    for key, attribute in (("lesson", "lesson"), ("max_chars", "max_chars"),
                           ("max_images", "max_images"), ("pass", "pass_rule"),
                           ("min_points", "min_points")):
        theirs, mine = getattr(settings_a, attribute), getattr(settings_b, attribute)
        if theirs != mine:
            problems.append((line_of(key), Reason(N_(
                "%(key)s differs from %(first)s (%(theirs)s there, %(mine)s here)"),
                key=key, first=first_path, theirs=theirs, mine=mine)))
    ids_a, ids_b = [c.id for c in criteria_a], [c.id for c in criteria_b]
    if ids_a != ids_b:
        at = next((i for i, (a, b) in enumerate(zip(ids_a, ids_b)) if a != b),
                  min(len(ids_a), len(ids_b)))
        line = criteria_b[at].line if at < len(criteria_b) else (
            criteria_b[-1].line if criteria_b else 1)
        problems.append((line, Reason(N_(
            "the criteria differ from %(first)s (%(theirs)s there, %(mine)s here): every "
            "language has the same criterion ids in the same order"), first=first_path,
            theirs=ids_a[at] if at < len(ids_a) else "-",
            mine=ids_b[at] if at < len(ids_b) else "-")))
        return problems
    for a, b in zip(criteria_a, criteria_b):
        points_a, points_b = [lv.points for lv in a.levels], [lv.points for lv in b.levels]
        if points_a != points_b:
            problems.append((b.line, Reason(N_(
                "criterion '%(id)s' has levels %(theirs)s in %(first)s but %(mine)s here: "
                "every language has the same levels in the same order"), id=b.id,
                first=first_path, theirs="/".join(map(str, points_a)) or "-",
                mine="/".join(map(str, points_b)) or "-")))
    return problems


def check_scores(content: dict, scores: dict) -> tuple[dict[str, int] | None, str | None]:
    """A reviewer's {criterion id: points} checked against the rubric: (scores, None), or
    (None, the code of what is wrong)."""
    chosen: dict[str, int] = {}
    for criterion in content["criteria"]:
        raw = scores.get(criterion["id"])
        allowed = {level["points"] for level in criterion["levels"]}
        try:
            points = int(raw)
        except (TypeError, ValueError):
            return None, "score_missing"
        if points not in allowed:
            return None, "score_missing"
        chosen[criterion["id"]] = points
    return chosen, None


def may_approve(content: dict, total: int) -> bool:
    minimum = content.get("min_points")
    return minimum is None or total >= minimum


def clean_text(text: str) -> str:
    """What she hands in, as plain text: newlines unified, control characters removed
    (tabs and newlines kept), no trailing spaces; it is escaped wherever it is shown."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127
                                                         and not 0x80 <= ord(ch) < 0xA0))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
