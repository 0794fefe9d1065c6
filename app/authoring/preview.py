"""The editor's live preview: one file rendered as learners will see it, with its problems."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..content import ContentError
from ..content.frontmatter import localized
from ..learning.models import Course
from .curriculum import LESSON_FILE, ROLEPLAY_FILE
from .drafts import check_path, draft_assets, draft_files


@dataclass
class FilePreview:
    kind: str  # lesson | quiz | roleplay | settings
    html: str = ""  # sanitised by the learners' pipeline
    quiz: dict | None = None  # merged quiz content, answers included (the trainer's view)
    settings: dict = field(default_factory=dict)
    problems: list[tuple[int, str, bool]] = field(default_factory=list)  # line, message, error
    scenario: dict | None = None  # merged role-play content (practice.parser), one language
    reach: list = field(default_factory=list)  # practice.walk.NodeReach of every node


def preview_file(course: Course, path: str, text: str) -> FilePreview:
    """Render one file as learners will see it, with its problems by line; writes nothing."""
    from ..content import render_markdown, split_front_matter
    from ..quizzes.parser import merge_languages, parse_quiz_file, problems_of
    from .curriculum import COURSE_KEYS, LESSON_KEYS, MODULE_KEYS, CourseIndex

    check_path(path)
    name = path.rpartition("/")[2]
    shown = f"{course.slug}/{path}"
    result = FilePreview(kind="quiz" if name.startswith("quiz.") else
                         "roleplay" if ROLEPLAY_FILE.match(name) else
                         "lesson" if LESSON_FILE.match(name) else "settings")
    try:
        if result.kind == "roleplay":
            _preview_scenario(course, path, shown, text, result)
        elif result.kind == "quiz":
            locale = name.split(".")[1]
            result.quiz = merge_languages({locale: parse_quiz_file(text, shown)})
            result.quiz["locale"] = locale
        elif result.kind == "lesson":
            fm = split_front_matter(text, shown, LESSON_KEYS, {"title"})
            index = CourseIndex.from_paths(course.slug, draft_files(course), draft_assets(course))
            folder = path.rpartition("/")[0]

            def resolve(attribute: str, url: str) -> str | None:
                resolved, problem, is_error = index.resolve(folder, attribute, url)
                if problem:
                    line = next((fm.body_line + i for i, row in enumerate(fm.body.split("\n"))
                                 if url in row), fm.body_line)
                    result.problems.append((line, localized(problem), is_error))
                return resolved

            result.settings = {"title": str(fm.data.get("title", ""))}
            rendered = render_markdown(fm.body, resolve)
            result.html = rendered.html
            result.problems += [(fm.body_line + line - 1, localized(problem), True)
                                for line, problem in rendered.problems]
        else:
            keys = COURSE_KEYS if path == "course.md" else MODULE_KEYS
            result.settings = split_front_matter(text, shown, keys, {"title"}).data
    except ContentError as error:
        result.problems += [(problem.line, problem.localized(), True)
                            for problem in problems_of(error)]
    result.problems.sort(key=lambda problem: (problem[0], not problem[2]))
    return result


def _preview_scenario(course: Course, path: str, shown: str, text: str,
                      result: FilePreview) -> None:
    """A scenario file as a walk through its graph (every message and feedback through the
    learners' sanitising pipeline), with the checker's problems by line."""
    from ..content import render_markdown
    from ..practice.parser import merge_languages, parse_scenario_file
    from ..practice.walk import reachability
    from .curriculum import CourseIndex

    locale = ROLEPLAY_FILE.match(path.rpartition("/")[2]).group(2)
    errors: list[ContentError] = []
    parsed = parse_scenario_file(text, shown, errors)
    index = CourseIndex.from_paths(course.slug, draft_files(course), draft_assets(course))
    folder = path.rpartition("/")[0]

    def render(markdown: str, line: int, _name: str) -> str:
        def resolve(attribute: str, url: str) -> str | None:
            resolved, problem, is_error = index.resolve(folder, attribute, url)
            if problem:
                result.problems.append((line, localized(problem), is_error))
            return resolved

        rendered = render_markdown(markdown, resolve)
        result.problems.extend((line + at - 1, localized(problem), True)
                               for at, problem in rendered.problems)
        return rendered.html

    if parsed is not None and parsed.nodes and all(node.id for node in parsed.nodes):
        result.scenario = merge_languages({locale: parsed}, errors, render)
        if result.scenario is not None:
            result.scenario["locale"] = locale
            result.reach = reachability(result.scenario)
    result.problems += [(error.line, error.localized(), True) for error in errors]
