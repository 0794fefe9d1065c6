"""Role-play scenarios (docs/course-format.md, "Role-play scenarios"): the body of a scenario
file parsed into nodes, options and endings; the graph rules; scoring. Plain functions over
plain values: problems are (line, Reason) pairs, lines counted in the whole file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..content.reasons import N_, Reason

ID = re.compile(r"^[a-z][a-z0-9-]*$")
ENDINGS = ("good", "mixed", "bad")
MIN_POINTS, MAX_POINTS = 0, 3
MIN_DIMENSIONS, MAX_DIMENSIONS = 2, 5
FRONT_MATTER_KEYS = {"title", "customer", "dimensions", "pass_mark"}

_HEADING = re.compile(r"^##(?!#)\s*(?P<text>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
_OPTION = re.compile(r"^[-*]\s+(?P<text>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
_FEEDBACK = re.compile(r"^\s+>\s*Feedback:\s*(?P<text>.*?)\s*$")
_STAGE = re.compile(r"^(?:（[^（）]*）|\([^()]*\))$", re.DOTALL)


@dataclass
class Option:
    line: int
    text: str
    next: str | None
    points: dict[str, object]  # dimension id -> points as written (checked by check_graph)
    attributes: str  # as written, compared between languages
    feedback: str | None = None
    feedback_line: int | None = None


@dataclass
class Paragraph:
    line: int
    text: str
    stage: bool  # wholly in （…）/(...): a grey stage direction, not her words


@dataclass
class Node:
    line: int
    id: str | None
    label: str
    ending: str | None
    paragraphs: list[Paragraph] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)


@dataclass
class Settings:
    title: str = ""
    customer: str = ""
    dimensions: dict[str, str] = field(default_factory=dict)  # id -> label, in file order
    pass_mark: int | None = None


def check_settings(data: dict, line_of) -> tuple[Settings, list[tuple[int, str]]]:
    """The front matter's values (keys already checked by the front matter reader)."""
    problems: list[tuple[int, str]] = []
    settings = Settings()
    for key in ("title", "customer"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append((line_of(key), Reason(N_("'%(key)s' must be one line of text"),
                                                  key=key)))
        else:
            setattr(settings, key, value.strip())
    dimensions = data.get("dimensions")
    if dimensions is not None:
        if not isinstance(dimensions, dict):
            problems.append((line_of("dimensions"), Reason(N_(
                "'dimensions' lists the rubric dimensions as 'id: label' lines"))))
        else:
            if not MIN_DIMENSIONS <= len(dimensions) <= MAX_DIMENSIONS:
                problems.append((line_of("dimensions"), Reason(N_(
                    "a scenario has %(low)s to %(high)s dimensions (this one has %(count)s)"),
                    low=MIN_DIMENSIONS, high=MAX_DIMENSIONS, count=len(dimensions))))
            for key, label in dimensions.items():
                if not isinstance(key, str) or not ID.match(key):
                    problems.append((line_of("dimensions"), Reason(N_(
                        "dimension id '%(id)s' may only use a-z, 0-9 and '-', starting with a "
                        "letter"), id=key)))
                    continue
                if not isinstance(label, str) or not label.strip():
                    problems.append((line_of("dimensions"), Reason(N_(
                        "dimension '%(id)s' needs a label"), id=key)))
                    continue
                settings.dimensions[key] = label.strip()
    pass_mark = data.get("pass_mark")
    if pass_mark is not None:
        if (not isinstance(pass_mark, int) or isinstance(pass_mark, bool)
                or not 1 <= pass_mark <= 100):
            problems.append((line_of("pass_mark"), Reason(N_(
                "'pass_mark' must be a whole number 1-100"))))
        else:
            settings.pass_mark = pass_mark
    return settings, problems


def _attributes(raw: str) -> tuple[str | None, dict[str, object], list[str]]:
    """`next=x dim=2 ...` -> (next, {dim: points}, malformed tokens)."""
    target, points, bad = None, {}, []
    for token in raw.split():
        key, equals, value = token.partition("=")
        if not equals or not key or not value:
            bad.append(token)
        elif key == "next":
            target = value
        else:
            points[key] = int(value) if re.fullmatch(r"-?\d{1,6}", value) else value
    return target, points, bad


def parse_body(body: str, first_line: int) -> tuple[list[Node], list[tuple[int, str]]]:
    """Nodes in file order; problems of shape (the graph is checked by check_graph)."""
    problems: list[tuple[int, str]] = []
    nodes: list[Node] = []
    node: Node | None = None
    paragraph: list[str] = []
    paragraph_line = 0
    option: Option | None = None

    def close_paragraph():
        nonlocal paragraph
        if paragraph and node is not None:
            text = "\n".join(paragraph).strip()
            if node.options:
                problems.append((paragraph_line, Reason(N_(
                    "text after the reply options: her message comes before the options, "
                    "and each option has one '> Feedback:' line"))))
            else:
                node.paragraphs.append(Paragraph(paragraph_line, text, bool(_STAGE.match(text))))
        paragraph = []

    for number, line in enumerate(body.split("\n"), start=first_line):
        if line.startswith("##") and not line.startswith("###"):
            close_paragraph()
            option = None
            match = _HEADING.match(line)
            text, attrs = match.group("text"), (match.group("attrs") or "").split()
            node_id = next((a[1:] for a in attrs if a.startswith("#")), None)
            ending = None
            for attribute in attrs:
                key, _, value = attribute.partition("=")
                if attribute.startswith("#"):
                    continue
                if key == "ending" and value in ENDINGS:
                    ending = value
                elif key == "ending":
                    problems.append((number, Reason(N_(
                        "ending=%(value)s: an ending is good, mixed or bad"), value=value)))
                    ending = "bad"
                else:
                    problems.append((number, Reason(N_(
                        "unknown attribute '%(attribute)s' on a node heading (use {#id} or "
                        "{#id ending=good|mixed|bad})"), attribute=attribute)))
            if node_id is None:
                problems.append((number, Reason(N_(
                    "a node heading needs an id: ## Her label {#node-id}"))))
            elif not ID.match(node_id):
                problems.append((number, Reason(N_(
                    "node id '%(id)s' may only use a-z, 0-9 and '-', starting with a letter"),
                    id=node_id)))
            node = Node(line=number, id=node_id, label=text, ending=ending)
            nodes.append(node)
            continue
        if node is None:
            if line.strip():
                problems.append((number, Reason(N_(
                    "text before the first node: a scenario starts with '## label {#id}'"))))
            continue
        feedback = _FEEDBACK.match(line)
        if feedback and option is not None:
            if option.feedback is not None:
                problems.append((number, Reason(N_(
                    "a second '> Feedback:' line: each option has exactly one"))))
            else:
                option.feedback, option.feedback_line = feedback.group("text"), number
                if not option.feedback:
                    problems.append((number, Reason(N_("the feedback is empty"))))
            continue
        if re.match(r"^[-*]\s", line):
            close_paragraph()
            match = _OPTION.match(line)
            attrs = match.group("attrs")
            if attrs is None:
                problems.append((number, Reason(N_(
                    "an option ends with its attributes: text {next=node-id dimension=points}"))))
                attrs = ""
            target, points, bad = _attributes(attrs)
            for token in bad:
                problems.append((number, Reason(N_(
                    "'%(token)s' is not name=value"), token=token)))
            option = Option(number, match.group("text"), target, points, attrs.strip())
            if node.ending:
                problems.append((number, Reason(N_(
                    "node '%(id)s' is an ending: an ending has a summary and no reply "
                    "options"), id=node.id)))
            node.options.append(option)
            continue
        if not line.strip():
            close_paragraph()
            continue
        if line.startswith((" ", "\t")) and option is not None and not paragraph:
            problems.append((number, Reason(N_(
                "under an option only one '> Feedback: ...' line is allowed"))))
            continue
        if not paragraph:
            paragraph_line = number
            option = None
        paragraph.append(line)
    close_paragraph()
    return nodes, problems


def check_graph(nodes: list[Node], dimensions: dict[str, str]) -> list[tuple[int, str]]:
    """The conversation as a graph: every node reachable, every way leads to an ending."""
    problems: list[tuple[int, str]] = []
    if not nodes:
        return [(1, Reason(N_("the scenario has no nodes ('## label {#id}')")))]
    by_id: dict[str, Node] = {}
    for node in nodes:
        if node.id is None:
            continue
        if node.id in by_id:
            problems.append((node.line, Reason(N_("duplicate node id '%(id)s' (also line "
                                                  "%(other)s)"), id=node.id,
                                               other=by_id[node.id].line)))
            continue
        by_id[node.id] = node
    if nodes[0].ending:
        problems.append((nodes[0].line, Reason(N_(
            "the first node starts the conversation: it cannot be an ending"))))
    for node in nodes:
        if node.ending:
            if not node.paragraphs:
                problems.append((node.line, Reason(N_(
                    "ending '%(id)s' has no summary"), id=node.id)))
            continue
        if not node.options:
            problems.append((node.line, Reason(N_(
                "node '%(id)s' has no reply options and is not an ending (add options, or "
                "{#%(id)s ending=good|mixed|bad})"), id=node.id)))
        elif not node.paragraphs:
            problems.append((node.line, Reason(N_(
                "node '%(id)s' has no customer message before its options"), id=node.id)))
        for option in node.options:
            if option.next is None:
                problems.append((option.line, Reason(N_(
                    "the option has no next=node-id"))))
            elif option.next not in by_id:
                problems.append((option.line, Reason(N_(
                    "next=%(id)s: there is no node {#%(id)s}"), id=option.next)))
            if not option.points:
                problems.append((option.line, Reason(N_(
                    "the option gives no points: name at least one dimension, e.g. "
                    "%(example)s=2"), example=next(iter(dimensions), "empathy"))))
            for dimension, points in option.points.items():
                if dimensions and dimension not in dimensions:
                    problems.append((option.line, Reason(N_(
                        "unknown dimension '%(dimension)s' (the front matter names: "
                        "%(known)s)"), dimension=dimension, known=", ".join(dimensions))))
                elif (not isinstance(points, int)
                      or not MIN_POINTS <= points <= MAX_POINTS):
                    problems.append((option.line, Reason(N_(
                        "%(dimension)s=%(points)s: points are a whole number %(low)s-%(high)s"),
                        dimension=dimension, points=points, low=MIN_POINTS, high=MAX_POINTS)))
            if option.feedback is None:
                problems.append((option.line, Reason(N_(
                    "the option has no feedback: add an indented '> Feedback: ...' line "
                    "under it"))))
    # Reachable from the start, and able to reach an ending.
    edges = {node.id: [o.next for o in node.options if o.next in by_id]
             for node in by_id.values()}
    start = nodes[0].id
    reached, todo = set(), [start] if start in by_id else []
    while todo:
        current = todo.pop()
        if current in reached:
            continue
        reached.add(current)
        todo += edges[current]
    # Backwards from the endings over reversed edges: linear in the size of the graph (a
    # fixed-point pass over every edge per node added was quadratic in a long chain).
    comes_from: dict[str, list[str]] = {node_id: [] for node_id in edges}
    for node_id, targets in edges.items():
        for target in targets:
            comes_from[target].append(node_id)
    leads_out = {node.id for node in by_id.values() if node.ending}
    todo = list(leads_out)
    while todo:
        for source in comes_from[todo.pop()]:
            if source not in leads_out:
                leads_out.add(source)
                todo.append(source)
    for node in by_id.values():
        if node.id not in reached:
            problems.append((node.line, Reason(N_(
                "node '%(id)s' cannot be reached from the start: no option leads to it"),
                id=node.id)))
        elif node.options and node.id not in leads_out:
            problems.append((node.line, Reason(N_(
                "no ending can be reached from node '%(id)s': every way from it goes round "
                "in a circle or stops"), id=node.id)))
    return problems


def compare_languages(first: tuple[Settings, list[Node]], other: tuple[Settings, list[Node]],
                      first_path: str, line_of) -> list[tuple[int, str]]:
    """Problems of `other` (in its own lines) where it disagrees with `first`."""
    problems: list[tuple[int, str]] = []
    (settings_a, nodes_a), (settings_b, nodes_b) = first, other
    if list(settings_a.dimensions) != list(settings_b.dimensions):
        problems.append((line_of("dimensions"), Reason(N_(
            "the dimensions differ from %(first)s (%(theirs)s there, %(mine)s here): every "
            "language has the same ids in the same order"), first=first_path,
            theirs=", ".join(settings_a.dimensions) or "-",
            mine=", ".join(settings_b.dimensions) or "-")))
    if settings_a.pass_mark != settings_b.pass_mark:
        problems.append((line_of("pass_mark"), Reason(N_(
            "pass_mark differs from %(first)s (%(theirs)s there, %(mine)s here)"),
            first=first_path, theirs=settings_a.pass_mark, mine=settings_b.pass_mark)))
    ids_a, ids_b = [n.id for n in nodes_a], [n.id for n in nodes_b]
    if ids_a != ids_b:
        at = next((i for i, (a, b) in enumerate(zip(ids_a, ids_b)) if a != b),
                  min(len(ids_a), len(ids_b)))
        line = nodes_b[at].line if at < len(nodes_b) else (nodes_b[-1].line if nodes_b else 1)
        problems.append((line, Reason(N_(
            "the nodes differ from %(first)s (%(theirs)s there, %(mine)s here): every "
            "language has the same node ids in the same order"), first=first_path,
            theirs=ids_a[at] if at < len(ids_a) else "-",
            mine=ids_b[at] if at < len(ids_b) else "-")))
        return problems
    for node_a, node_b in zip(nodes_a, nodes_b):
        if node_a.ending != node_b.ending:
            problems.append((node_b.line, Reason(N_(
                "node '%(id)s' is ending=%(theirs)s in %(first)s but ending=%(mine)s here"),
                id=node_b.id, first=first_path, theirs=node_a.ending or "-",
                mine=node_b.ending or "-")))
        if len(node_a.options) != len(node_b.options):
            problems.append((node_b.line, Reason(N_(
                "node '%(id)s' has %(theirs)s options in %(first)s but %(mine)s here"),
                id=node_b.id, first=first_path, theirs=len(node_a.options),
                mine=len(node_b.options))))
            continue
        for number, (a, b) in enumerate(zip(node_a.options, node_b.options), start=1):
            if (a.next, a.points) != (b.next, b.points):
                problems.append((b.line, Reason(N_(
                    "option %(number)s of node '%(id)s' has {%(mine)s} here but "
                    "{%(theirs)s} in %(first)s: every language has the same attributes"),
                    number=number, id=node_b.id, mine=b.attributes, theirs=a.attributes,
                    first=first_path)))
    return problems


# Playing and scoring, over the stored content (plain dicts: see practice/parser.py) --------

def node_of(content: dict, node_id: str) -> dict | None:
    return next((n for n in content["nodes"] if n["id"] == node_id), None)


def score(content: dict, path: list[dict]) -> dict:
    """Per dimension: points earned over the most that could be earned at each decision she
    met (the best option's points on that dimension there); overall the same, summed.

    `path` is the choices made: [{"node": id, "option": index}, ...]. Passed when the overall
    percentage reaches the pass mark (compared exactly, not rounded).
    """
    dimensions = [d["id"] for d in content["dimensions"]]
    earned = dict.fromkeys(dimensions, 0)
    best = dict.fromkeys(dimensions, 0)
    for step in path:
        node = node_of(content, step["node"])
        options = node["options"]
        chosen = options[step["option"]]["points"]
        for dimension in dimensions:
            best[dimension] += max(o["points"].get(dimension, 0) for o in options)
            earned[dimension] += chosen.get(dimension, 0)
    total_earned, total_best = sum(earned.values()), sum(best.values())
    return {
        "dimensions": {d: {"earned": earned[d], "max": best[d],
                           "percent": _percent(earned[d], best[d])} for d in dimensions},
        "earned": total_earned, "max": total_best,
        "percent": _percent(total_earned, total_best),
        "passed": total_best > 0 and 100 * total_earned >= content["pass_mark"] * total_best,
    }


def _percent(earned: int, best: int) -> int | None:
    return None if best == 0 else round(100 * earned / best)


def decisions(content: dict) -> int:
    return sum(1 for n in content["nodes"] if not n["ending"])
