"""Read course folders (see docs/course-format.md) into plain data; no database here.

Every problem is collected as `file:line: reason`, so a trainer sees all of them at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LANGUAGES
from ..content import ContentError, Rendered, render_markdown, split_front_matter
from ..quizzes.parser import merge_languages, parse_quiz_file

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBERED_DIR = re.compile(r"^(\d+)-(.+)$")
LESSON_FILE = re.compile(r"^(\d+)-(.+)\.([a-z]{2})\.md$")
QUIZ_FILE = re.compile(r"^quiz\.([a-z]{2})\.md$")
COURSE_KEYS = {"slug", "order", "certificate", "gating", "title", "summary"}
MODULE_KEYS = {"title", "summary"}
LESSON_KEYS = {"title", "minutes"}
GATINGS = ("sequential", "open")


class CurriculumError(ValueError):
    def __init__(self, errors: list[ContentError]):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class LessonTextSource:
    locale: str
    title: str
    markdown: str
    rendered: Rendered
    minutes: int
    path: str


@dataclass
class LessonSource:
    slug: str
    position: int
    texts: dict[str, LessonTextSource] = field(default_factory=dict)


@dataclass
class ModuleSource:
    slug: str
    position: int
    title: dict
    summary: dict
    path: str
    lessons: list[LessonSource] = field(default_factory=list)
    quiz: dict | None = None  # merged quiz content (quizzes.parser), key included


@dataclass
class CourseSource:
    slug: str
    position: int
    grants_certificate: bool
    gating: str
    title: dict
    summary: dict
    path: str
    modules: list[ModuleSource] = field(default_factory=list)


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.base = root.parent
        self.errors: list[ContentError] = []

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.base))
        except ValueError:
            return str(path)

    def fail(self, path: Path, line: int, reason: str) -> None:
        self.errors.append(ContentError(self.name(path), line, reason))

    def front_matter(self, path: Path, allowed: set[str], required: set[str]):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.fail(path, 1, "the file is not UTF-8 text")
            return None
        try:
            return split_front_matter(text, self.name(path), allowed, required)
        except ContentError as error:
            self.errors.append(error)
            return None

    def localized(self, path: Path, fm, key: str, required: bool) -> dict:
        value = fm.data.get(key)
        if value is None and not required:
            return {}
        if isinstance(value, str):
            self.fail(path, fm.line_of(key), f"'{key}' needs one line per language, e.g. "
                      f"'{key}:' then '  zh: …' and '  en: …'")
            return {}
        if not isinstance(value, dict) or not value:
            self.fail(path, fm.line_of(key), f"'{key}' must list the text per language (zh, en)")
            return {}
        unknown = [k for k in value if k not in LANGUAGES]
        if unknown:
            self.fail(path, fm.line_of(key), f"unknown language '{unknown[0]}' in '{key}' "
                      "(use zh or en)")
        texts = {k: str(v).strip() for k, v in value.items() if k in LANGUAGES and v}
        if required and not texts:
            self.fail(path, fm.line_of(key), f"'{key}' is empty")
        return texts

    def course(self, folder: Path) -> CourseSource | None:
        path = folder / "course.md"
        fm = self.front_matter(path, COURSE_KEYS, {"title"})
        if fm is None:
            return None
        data = fm.data
        slug = str(data.get("slug") or NUMBERED_DIR.sub(r"\2", folder.name))
        if not SLUG.match(slug):
            self.fail(path, fm.line_of("slug"), f"slug '{slug}' may only use a-z, 0-9 and '-'")
        order = data.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool):
            self.fail(path, fm.line_of("order"), "'order' must be a whole number")
            order = 0
        certificate = data.get("certificate", False)
        if not isinstance(certificate, bool):
            self.fail(path, fm.line_of("certificate"), "'certificate' must be true or false")
        gating = data.get("gating", "sequential")
        if gating not in GATINGS:
            self.fail(path, fm.line_of("gating"), "'gating' must be sequential or open")
        if fm.body.strip():
            self.fail(path, fm.body_line, "course.md holds settings only; put text in lessons")
        course = CourseSource(slug=slug, position=order, grants_certificate=certificate is True,
                              gating=gating, title=self.localized(path, fm, "title", True),
                              summary=self.localized(path, fm, "summary", False),
                              path=self.name(path))
        seen_lessons: dict[str, str] = {}
        seen_modules: dict[str, str] = {}
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") or child.name == "course.md":
                continue
            if child.is_dir():
                module = self.module(child, seen_lessons)
                if module is None:
                    continue
                if module.slug in seen_modules:
                    self.fail(child / "module.md", 1, f"duplicate module slug '{module.slug}' "
                              f"(also {seen_modules[module.slug]})")
                    continue
                seen_modules[module.slug] = module.path
                course.modules.append(module)
            elif child.suffix == ".md":
                self.fail(child, 1, "unexpected file: lessons belong in a module folder")
        if not course.modules:
            self.fail(path, 1, "the course has no modules")
        course.modules.sort(key=lambda m: (m.position, m.slug))
        return course

    def module(self, folder: Path, seen_lessons: dict[str, str]) -> ModuleSource | None:
        match = NUMBERED_DIR.match(folder.name)
        if not match or not SLUG.match(match.group(2)):
            self.fail(folder, 1, "module folders are named NN-slug (e.g. 01-first-members)")
            return None
        path = folder / "module.md"
        if not path.exists():
            self.fail(path, 1, "missing module.md (the module's title per language)")
            return None
        fm = self.front_matter(path, MODULE_KEYS, {"title"})
        if fm is None:
            return None
        module = ModuleSource(slug=match.group(2), position=int(match.group(1)),
                              title=self.localized(path, fm, "title", True),
                              summary=self.localized(path, fm, "summary", False),
                              path=self.name(path))
        lessons: dict[str, LessonSource] = {}
        quiz_files: dict[str, Path] = {}
        for child in sorted(folder.iterdir()):
            if child.name == "module.md" or child.suffix != ".md":
                continue  # images and other assets live beside the lessons
            quiz = QUIZ_FILE.match(child.name)
            if quiz:
                if quiz.group(1) not in LANGUAGES:
                    self.fail(child, 1, f"unknown language '{quiz.group(1)}' (use zh or en)")
                else:
                    quiz_files[quiz.group(1)] = child
                continue
            lesson_match = LESSON_FILE.match(child.name)
            if not lesson_match or not SLUG.match(lesson_match.group(2)):
                self.fail(child, 1, "lesson files are named NN-slug.LANG.md "
                          "(e.g. 01-where-members-come-from.zh.md)")
                continue
            number, slug, locale = lesson_match.groups()
            if locale not in LANGUAGES:
                self.fail(child, 1, f"unknown language '{locale}' (use zh or en)")
                continue
            text = self.lesson_text(child, locale)
            lesson = lessons.get(slug)
            if lesson is None:
                owner = seen_lessons.get(slug)
                if owner is not None:
                    self.fail(child, 1, f"duplicate lesson slug '{slug}' in this course "
                              f"(also {owner})")
                    continue
                seen_lessons[slug] = self.name(child)
                lesson = lessons[slug] = LessonSource(slug=slug, position=int(number))
            elif lesson.position != int(number):
                self.fail(child, 1, f"the language files of lesson '{slug}' have different "
                          "numbers")
            if text is not None:
                lesson.texts[locale] = text
        module.lessons = sorted(lessons.values(), key=lambda l: (l.position, l.slug))
        if not module.lessons:
            self.fail(path, 1, "the module has no lessons")
        if quiz_files:
            module.quiz = self.quiz(quiz_files)
        return module

    def quiz(self, files: dict[str, Path]) -> dict | None:
        parsed = {}
        for locale, path in files.items():
            try:
                parsed[locale] = parse_quiz_file(path.read_text(encoding="utf-8"), self.name(path))
            except ContentError as error:
                self.errors.append(error)
            except UnicodeDecodeError:
                self.fail(path, 1, "the file is not UTF-8 text")
        if len(parsed) != len(files):
            return None
        try:
            return merge_languages(parsed)
        except ContentError as error:
            self.errors.append(error)
            return None

    def lesson_text(self, path: Path, locale: str) -> LessonTextSource | None:
        fm = self.front_matter(path, LESSON_KEYS, {"title"})
        if fm is None:
            return None
        title = str(fm.data["title"]).strip()
        if len(title) > 200:
            self.fail(path, fm.line_of("title"), "the title is longer than 200 characters")
        minutes = fm.data.get("minutes")
        if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)
                                    or not 1 <= minutes <= 120):
            self.fail(path, fm.line_of("minutes"), "'minutes' must be a whole number 1-120")
            minutes = None
        if not fm.body.strip():
            self.fail(path, fm.body_line, "the lesson has no text")
        rendered = render_markdown(fm.body)
        return LessonTextSource(locale=locale, title=title, markdown=fm.body, rendered=rendered,
                                minutes=minutes or rendered.minutes, path=self.name(path))


def read_curriculum(root: str | Path) -> list[CourseSource]:
    """Every course under root (or root itself when it holds course.md), fully validated."""
    root = Path(root).resolve()
    reader = _Reader(root)
    if not root.is_dir():
        raise CurriculumError([ContentError(str(root), 1, "no such folder")])
    folders = [root] if (root / "course.md").exists() else [
        child for child in sorted(root.iterdir())
        if child.is_dir() and not child.name.startswith(".")
    ]
    courses: list[CourseSource] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if not (folder / "course.md").exists():
            reader.fail(folder / "course.md", 1, "not a course folder: course.md is missing")
            continue
        course = reader.course(folder)
        if course is None:
            continue
        if course.slug in seen:
            reader.fail(folder / "course.md", 1, f"duplicate course slug '{course.slug}' "
                        f"(also {seen[course.slug]})")
            continue
        seen[course.slug] = course.path
        courses.append(course)
    if not courses and not reader.errors:
        reader.fail(root, 1, "no course folders found")
    if reader.errors:
        raise CurriculumError(reader.errors)
    return courses
