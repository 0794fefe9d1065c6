"""Read course folders (see docs/course-format.md) into plain data; no database here.

Every problem is collected as `file:line: reason`, so a trainer sees all of them at once.
"""
from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LANGUAGES
from ..content import ContentError, Rendered, render_markdown, split_front_matter
from ..content.reasons import N_, Reason
from ..content.render import content_id
from ..practice import parser as scenarios
from ..quizzes.parser import merge_languages, parse_quiz_file, problems_of
from . import item_writing
from .limits import CourseLimits, current_limits, size_words
from .uploads import CleanImage, ImageRejected, accept_image

SLUG = re.compile(r"^(?=.{1,80}$)[a-z0-9]+(?:-[a-z0-9]+)*$")  # at most 80: the column's size
NUMBERED_DIR = re.compile(r"^(\d+)-(.+)$")
LESSON_FILE = re.compile(r"^(\d+)-(.+)\.([a-z]{2})\.md$")
QUIZ_FILE = re.compile(r"^quiz\.([a-z]{2})\.md$")
ROLEPLAY_FILE = re.compile(r"^roleplay-(.+)\.([a-z]{2})\.md$")
ASSIGNMENT_FILE = re.compile(r"^assignment-(.+)\.([a-z]{2})\.md$")
COURSE_KEYS = {"slug", "order", "certificate", "gating", "title", "summary"}
MODULE_KEYS = {"title", "summary", "requires"}
LESSON_KEYS = {"title", "minutes"}
GATINGS = ("sequential", "open")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
LESSON_URL = "/courses/{course}/{lesson}"  # learning.lesson; content is rendered outside requests
MEDIA_URL = "/media/{sha256}.{extension}"  # authoring's media route


class CurriculumError(ValueError):
    def __init__(self, errors: list[ContentError], warnings: list[ContentError] = ()):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line))
        self.warnings = sorted(warnings, key=lambda e: (e.path, e.line))
        super().__init__("\n".join(str(e) for e in self.errors))


def media_url(sha256: str, path: str) -> str:
    extension = path.rsplit(".", 1)[-1].lower().replace("jpeg", "jpg")
    return MEDIA_URL.format(sha256=sha256, extension=extension)


@dataclass
class LessonTextSource:
    locale: str
    title: str
    markdown: str
    rendered: Rendered
    minutes: int
    path: str
    body_line: int = 1  # the first line of the Markdown body in its file


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
    # Role-play scenarios: {"slug", "content" (practice.parser), "required"} in slug order.
    scenarios: list[dict] = field(default_factory=list)
    # Assignments: {"slug", "content" (practice.parser.merge_assignment), "required"}.
    assignments: list[dict] = field(default_factory=list)


@dataclass
class CourseSource:
    slug: str
    position: int
    grants_certificate: bool
    gating: str
    title: dict
    summary: dict
    path: str
    folder: Path
    modules: list[ModuleSource] = field(default_factory=list)
    assets: dict[str, str] = field(default_factory=dict)  # image path in the folder → sha256
    images: dict[str, CleanImage] = field(default_factory=dict)  # bytes read from disk
    warnings: list[ContentError] = field(default_factory=list)


@dataclass
class CourseIndex:
    """What a lesson may link to: the course's lesson files and images, by folder path."""

    slug: str
    lessons: dict[str, str]  # "01-first/02-x.zh.md" and "01-first/02-x.md" → lesson slug
    assets: dict[str, str]  # "01-first/map.png" → sha256

    @classmethod
    def from_paths(cls, slug: str, paths, assets: dict[str, str]) -> CourseIndex:
        lessons = {}
        for relative in paths:
            match = LESSON_FILE.match(posixpath.basename(relative))
            if match:
                number, lesson, _locale = match.groups()
                lessons[relative] = lesson
                lessons[posixpath.join(posixpath.dirname(relative), f"{number}-{lesson}.md")] = lesson
        return cls(slug, lessons, assets)

    def resolve(self, folder: str, attribute: str, url: str) -> tuple[str | None, str | None, bool]:
        """A relative URL in a lesson of `folder` → (portal URL, problem, problem is an error)."""
        target, _, fragment = url.partition("#")
        target = target.split("?", 1)[0]
        joined = posixpath.normpath(posixpath.join(folder, target)) if target else ""
        if attribute == "href" and joined in self.lessons:
            link = LESSON_URL.format(course=self.slug, lesson=self.lessons[joined])
            return link + (f"#{content_id(fragment)}" if fragment else ""), None, False
        if joined in self.assets:
            return media_url(self.assets[joined], joined), None, False
        image = attribute == "src"
        suffix = posixpath.splitext(target)[1].lower()
        if suffix == ".md" or suffix in IMAGE_SUFFIXES:
            return None, Reason(N_("broken image '%(url)s': no such lesson or image in this course")
                                if image else
                                N_("broken link '%(url)s': no such lesson or image in this course"),
                                url=url), True
        # Not a course file at all ('x', '1'): the browser resolves it to a harmless 404.
        return url, Reason(N_("image '%(url)s' points to nothing in this course") if image
                           else N_("link '%(url)s' points to nothing in this course"), url=url), False


class _TooLarge(Exception):
    """The folder as a whole is over a limit: nothing in it is read."""


class _Reader:
    def __init__(self, root: Path, known_assets: dict[str, dict[str, str]] | None = None,
                 limits: CourseLimits | None = None):
        self.root = root
        self.base = root.parent
        self.errors: list[ContentError] = []
        self.warnings: list[ContentError] = []
        self.limits = limits or CourseLimits()
        self.refused: set[Path] = set()  # files over the size limit: reported, never read
        # Drafts: images already stored (course folder name → {path: sha256}); files on disk
        # are then placeholders and are not read.
        self.known_assets = known_assets

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.base))
        except ValueError:
            return str(path)

    def fail(self, path: Path, line: int, reason: str, **params) -> None:
        self.errors.append(ContentError(self.name(path), line, reason, **params))

    def warn(self, path: Path, line: int, reason: str, **params) -> None:
        self.warnings.append(ContentError(self.name(path), line, reason, **params))

    def survey(self) -> None:
        """Apply the course limits from the files' sizes before reading any of them, as a
        zip upload does: a folder is as much a stranger's file as a zip is."""
        limits, count, images, total = self.limits, 0, 0, 0
        for top, folders, names in os.walk(self.root):  # never follows symbolic links
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for name in sorted(names):
                suffix = posixpath.splitext(name)[1].lower()
                if name.startswith(".") or (suffix != ".md" and suffix not in IMAGE_SUFFIXES):
                    continue
                path = Path(top) / name
                if path.is_symlink() or not path.is_file():
                    continue
                size = path.stat().st_size
                count += 1
                images += suffix != ".md"
                total += size
                limit = limits.text_bytes if suffix == ".md" else limits.image_bytes
                if size > limit:
                    self.refused.add(path)
                    self.fail(path, 1, N_("the file is %(size)s; lesson and quiz files may be "
                                          "at most %(limit)s") if suffix == ".md" else
                              N_("the file is %(size)s; images may be at most %(limit)s"),
                              size=size_words(size), limit=size_words(limit))
                if count > limits.files:
                    self.fail(self.root, 1, N_("more than %(count)s course files in one import"),
                              count=limits.files)
                    raise _TooLarge
                if images > limits.images:
                    self.fail(self.root, 1, N_("more than %(count)s images in one import"),
                              count=limits.images)
                    raise _TooLarge
                if total > limits.total_bytes:
                    self.fail(self.root, 1, N_("the course files add up to more than %(limit)s"),
                              limit=size_words(limits.total_bytes))
                    raise _TooLarge

    def read_bytes(self, path: Path, limit: int) -> bytes | None:
        if path in self.refused:
            return None
        # Looked at before opening: a folder or a dangling link named like a lesson crashed
        # the reader, and opening a FIFO waits forever (a course repository's CI would hang).
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        if stat.S_ISLNK(mode):
            self.fail(path, 1, N_("symbolic links are not allowed in a course folder"))
            return None
        if not stat.S_ISREG(mode):
            self.fail(path, 1, N_("not a regular file (a folder, a pipe or a device has a name "
                                  "like a course file here)"))
            return None
        try:
            with path.open("rb") as handle:  # at most one byte past the limit, whatever stat said
                data = handle.read(limit + 1)
        except OSError as error:
            self.fail(path, 1, N_("the file cannot be read: %(problem)s"),
                      problem=error.strerror or type(error).__name__)
            return None
        if len(data) > limit:
            self.fail(path, 1, N_("the file is larger than %(limit)s"), limit=size_words(limit))
            return None
        return data

    def read_text(self, path: Path) -> str | None:
        data = self.read_bytes(path, self.limits.text_bytes)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(path, 1, N_("the file is not UTF-8 text"))
            return None

    def index(self, folder: Path, course: CourseSource) -> CourseIndex:
        known = None if self.known_assets is None else self.known_assets.get(folder.name, {})
        paths = []
        for child in sorted(folder.rglob("*")):
            relative = child.relative_to(folder).as_posix()
            if any(part.startswith(".") for part in child.relative_to(folder).parts):
                continue
            if child.is_symlink():
                self.fail(child, 1, N_("symbolic links are not allowed in a course folder"))
                continue
            paths.append(relative)
            if child.is_file() and child.suffix.lower() in IMAGE_SUFFIXES:
                if known is not None:
                    if relative in known:
                        course.assets[relative] = known[relative]
                    continue
                data = self.read_bytes(child, self.limits.image_bytes)
                if data is None:
                    continue
                try:
                    image = accept_image(data)
                except ImageRejected as error:
                    self.fail(child, error.line, str(error))
                    continue
                course.images[relative] = image
                course.assets[relative] = image.sha256
        return CourseIndex.from_paths(course.slug, paths, course.assets)

    def resolver(self, path: Path, course_folder: Path, text: str, index: CourseIndex,
                 body_line: int):
        """Turn a lesson's relative links and images into portal URLs; report broken ones."""
        folder = path.parent.relative_to(course_folder).as_posix()

        def resolve(attribute: str, url: str) -> str | None:
            resolved, problem, is_error = index.resolve(folder, attribute, url)
            if problem:
                (self.fail if is_error else self.warn)(path, _line_of(text, url, body_line), problem)
            return resolved

        return resolve

    def front_matter(self, path: Path, allowed: set[str], required: set[str]):
        text = self.read_text(path)
        if text is None:
            return None
        try:  # problems inside the front matter are collected; the body is still checked
            return split_front_matter(text, self.name(path), allowed, required, self.errors)
        except ContentError as error:
            self.errors.append(error)
            return None

    def localized(self, path: Path, fm, key: str, required: bool) -> dict:
        if not fm.readable or (required and fm.data.get(key) in (None, "", {})):
            return {}  # already reported: unreadable front matter, or the missing key
        value = fm.data.get(key)
        if value is None and not required:
            return {}
        if isinstance(value, str):
            self.fail(path, fm.line_of(key), N_("'%(key)s' needs one line per language, e.g. "
                                                "'%(key)s:' then '  zh: …' and '  en: …'"), key=key)
            return {}
        if not isinstance(value, dict) or not value:
            self.fail(path, fm.line_of(key), N_("'%(key)s' must list the text per language (zh, en)"),
                      key=key)
            return {}
        unknown = [k for k in value if k not in LANGUAGES]
        if unknown:
            self.fail(path, fm.line_of(key), N_("unknown language '%(language)s' in '%(key)s' "
                                                "(use zh or en)"), language=unknown[0], key=key)
        texts = {k: str(v).strip() for k, v in value.items() if k in LANGUAGES and v}
        if required and not texts:
            self.fail(path, fm.line_of(key), N_("'%(key)s' is empty"), key=key)
        return texts

    def course(self, folder: Path) -> CourseSource | None:
        path = folder / "course.md"
        fm = self.front_matter(path, COURSE_KEYS, {"title"})
        if fm is None:
            # Still read the lessons and quizzes, so every problem is reported in one run.
            self.modules(folder, CourseSource(
                slug=NUMBERED_DIR.sub(r"\2", folder.name), position=0, grants_certificate=False,
                gating="open", title={}, summary={}, path=self.name(path), folder=folder))
            return None
        data = fm.data
        slug = str(data.get("slug") or NUMBERED_DIR.sub(r"\2", folder.name))
        if not SLUG.match(slug):
            self.fail(path, fm.line_of("slug"),
                      N_("slug '%(slug)s' may only use a-z, 0-9 and '-' (up to 80)"), slug=slug)
        order = data.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool):
            self.fail(path, fm.line_of("order"), N_("'order' must be a whole number"))
            order = 0
        certificate = data.get("certificate", False)
        if not isinstance(certificate, bool):
            self.fail(path, fm.line_of("certificate"), N_("'certificate' must be true or false"))
        gating = data.get("gating", "sequential")
        if gating not in GATINGS:
            self.fail(path, fm.line_of("gating"), N_("'gating' must be sequential or open"))
        if fm.body.strip():
            self.fail(path, fm.body_line, N_("course.md holds settings only; put text in lessons"))
        course = CourseSource(slug=slug, position=order, grants_certificate=certificate is True,
                              gating=gating, title=self.localized(path, fm, "title", True),
                              summary=self.localized(path, fm, "summary", False),
                              path=self.name(path), folder=folder)
        self.untranslated(path, fm, course.title, "title")
        self.modules(folder, course)
        self.warnings += item_writing.course_truefalse_one_way(self.name(path),
                                                               self.truefalse_keys)
        return course

    def modules(self, folder: Path, course: CourseSource) -> None:
        path = folder / "course.md"
        self.truefalse_keys: list[bool] = []  # every quiz's, for the course-level warning
        index = self.index(folder, course)
        seen_lessons: dict[str, str] = {}
        seen_modules: dict[str, str] = {}
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") or child.name == "course.md":
                continue
            if child.is_dir():
                module = self.module(child, seen_lessons, index)
                if module is None:
                    continue
                if module.slug in seen_modules:
                    self.fail(child / "module.md", 1, N_("duplicate module slug '%(slug)s' "
                                                         "(also %(other)s)"),
                              slug=module.slug, other=seen_modules[module.slug])
                    continue
                seen_modules[module.slug] = module.path
                course.modules.append(module)
                self.review_lessons(child, module, seen_lessons)
            elif child.suffix == ".md":
                self.fail(child, 1, N_("unexpected file: lessons belong in a module folder"))
        if not course.modules:
            self.fail(path, 1, N_("the course has no modules"))
        course.modules.sort(key=lambda m: (m.position, m.slug))

    def untranslated(self, path: Path, fm, texts: dict, key: str) -> None:
        missing = [language for language in LANGUAGES if language not in texts]
        if texts and missing:
            self.warn(path, fm.line_of(key), N_("'%(key)s' has no %(language)s text yet "
                                                "(learners reading that language see another "
                                                "one)"), key=key, language=missing[0])

    def module(self, folder: Path, seen_lessons: dict[str, str],
               index: CourseIndex) -> ModuleSource | None:
        self.read_quizzes: list = []  # this module's quiz files as read (review_lessons)
        match = NUMBERED_DIR.match(folder.name)
        if not match or not SLUG.match(match.group(2)):
            self.fail(folder, 1, N_("module folders are named NN-slug (e.g. 01-first-members)"))
            return None
        path = folder / "module.md"
        if not path.exists():
            self.fail(path, 1, N_("missing module.md (the module's title per language)"))
            return None
        fm = self.front_matter(path, MODULE_KEYS, {"title"})
        if fm is None:
            return None
        module = ModuleSource(slug=match.group(2), position=int(match.group(1)),
                              title=self.localized(path, fm, "title", True),
                              summary=self.localized(path, fm, "summary", False),
                              path=self.name(path))
        self.untranslated(path, fm, module.title, "title")
        lessons: dict[str, LessonSource] = {}
        quiz_files: dict[str, Path] = {}
        roleplay_files: dict[str, dict[str, Path]] = {}
        assignment_files: dict[str, dict[str, Path]] = {}
        for child in sorted(folder.iterdir()):
            if child.name == "module.md" or child.suffix != ".md":
                continue  # images and other assets live beside the lessons
            handed_in = ASSIGNMENT_FILE.match(child.name)
            if handed_in:
                slug, language = handed_in.groups()
                if not SLUG.match(slug):
                    self.fail(child, 1, N_("assignment files are named assignment-slug.LANG.md "
                                           "(e.g. assignment-welcome-message.zh.md)"))
                elif language not in LANGUAGES:
                    self.fail(child, 1, N_("unknown language '%(language)s' (use zh or en)"),
                              language=language)
                else:
                    assignment_files.setdefault(slug, {})[language] = child
                continue
            roleplay = ROLEPLAY_FILE.match(child.name)
            if roleplay:
                slug, language = roleplay.groups()
                if not SLUG.match(slug):
                    self.fail(child, 1, N_("role-play files are named roleplay-slug.LANG.md "
                                           "(e.g. roleplay-cheaper-elsewhere.zh.md)"))
                elif language not in LANGUAGES:
                    self.fail(child, 1, N_("unknown language '%(language)s' (use zh or en)"),
                              language=language)
                else:
                    roleplay_files.setdefault(slug, {})[language] = child
                continue
            quiz = QUIZ_FILE.match(child.name)
            if quiz:
                if quiz.group(1) not in LANGUAGES:
                    self.fail(child, 1, N_("unknown language '%(language)s' (use zh or en)"),
                              language=quiz.group(1))
                else:
                    quiz_files[quiz.group(1)] = child
                continue
            lesson_match = LESSON_FILE.match(child.name)
            if not lesson_match or not SLUG.match(lesson_match.group(2)):
                self.fail(child, 1, N_("lesson files are named NN-slug.LANG.md "
                                       "(e.g. 01-where-members-come-from.zh.md)"))
                continue
            number, slug, locale = lesson_match.groups()
            if locale not in LANGUAGES:
                self.fail(child, 1, N_("unknown language '%(language)s' (use zh or en)"),
                          language=locale)
                continue
            text = self.lesson_text(child, locale, index)
            lesson = lessons.get(slug)
            if lesson is None:
                owner = seen_lessons.get(slug)
                if owner is not None:
                    self.fail(child, 1, N_("duplicate lesson slug '%(slug)s' in this course "
                                           "(also %(other)s)"), slug=slug, other=owner)
                    continue
                seen_lessons[slug] = self.name(child)
                lesson = lessons[slug] = LessonSource(slug=slug, position=int(number))
            elif lesson.position != int(number):
                self.fail(child, 1, N_("the language files of lesson '%(slug)s' have "
                                       "different numbers"), slug=slug)
            if text is not None:
                lesson.texts[locale] = text
        module.lessons = sorted(lessons.values(), key=lambda lesson: (lesson.position, lesson.slug))
        if not module.lessons:
            self.fail(path, 1, N_("the module has no lessons"))
        for lesson in module.lessons:
            self.same_checklists(lesson)
        for lesson in module.lessons:
            for language in LANGUAGES:
                if lesson.texts and language not in lesson.texts:
                    some = next(iter(lesson.texts.values()))
                    self.warnings.append(ContentError(
                        some.path, 1, N_("lesson '%(slug)s' has no %(language)s version yet "
                                         "(add %(file)s)"), slug=lesson.slug, language=language,
                        file=f"{lesson.position:02d}-{lesson.slug}.{language}.md"))
        if quiz_files:
            module.quiz = self.quiz(quiz_files)
            missing = [language for language in LANGUAGES if language not in quiz_files]
            if module.quiz is not None and missing:
                self.warn(next(iter(quiz_files.values())), 1,
                          N_("the quiz has no %(language)s version yet (add %(file)s)"),
                          language=missing[0], file=f"quiz.{missing[0]}.md")
        self.scenarios(module, roleplay_files, index)
        self.assignments(module, assignment_files, index)
        self.requirements(path, fm, module, set(roleplay_files), set(assignment_files))
        return module

    def assignments(self, module: ModuleSource, files: dict[str, dict[str, Path]],
                    index: CourseIndex) -> None:
        """Each assignment of the module, every language checked and merged; its lesson
        must be one of this module's lessons."""
        lessons = {lesson.slug for lesson in module.lessons}
        for slug, by_language in sorted(files.items()):
            parsed, count = {}, len(self.errors)
            for language, path in by_language.items():
                text = self.read_text(path)
                if text is not None:
                    parsed[language] = scenarios.parse_assignment_file(text, self.name(path),
                                                                       self.errors)
            for item in parsed.values():
                if item is not None and item.settings.lesson is not None \
                        and item.settings.lesson not in lessons:
                    self.errors.append(ContentError(
                        item.path, item.line_of("lesson"),
                        N_("lesson '%(slug)s' is not a lesson of this module (one of: "
                           "%(lessons)s)"), slug=item.settings.lesson,
                        lessons=", ".join(sorted(lessons)) or "-"))
            if len(self.errors) > count or len(parsed) != len(by_language):
                continue
            render = self._renderer(by_language, index)
            content = scenarios.merge_assignment(parsed, self.errors, render)
            if content is None:
                continue
            missing = [language for language in LANGUAGES if language not in by_language]
            if missing:
                self.warn(next(iter(by_language.values())), 1,
                          N_("the assignment has no %(language)s version yet (add %(file)s)"),
                          language=missing[0], file=f"assignment-{slug}.{missing[0]}.md")
            module.assignments.append({"slug": slug, "content": content, "required": False})

    def _renderer(self, by_language: dict[str, Path], index: CourseIndex):
        """Markdown of a role-play's or an assignment's files, rendered with their module's
        images; a problem is reported at its file and line."""
        paths = {self.name(path): path for path in by_language.values()}

        def render(markdown: str, line: int, name: str) -> str:
            path = paths[name]
            rendered = render_markdown(markdown, self.resolver(
                path, path.parent.parent, markdown, index, line))
            for at, problem in rendered.problems:
                self.fail(path, line + at - 1, problem)
            return rendered.html

        return render

    def scenarios(self, module: ModuleSource, files: dict[str, dict[str, Path]],
                  index: CourseIndex) -> None:
        """Each role-play scenario of the module, every language checked and merged."""
        for slug, by_language in sorted(files.items()):
            parsed, count = {}, len(self.errors)
            for language, path in by_language.items():
                text = self.read_text(path)
                if text is not None:
                    parsed[language] = scenarios.parse_scenario_file(text, self.name(path),
                                                                     self.errors)
            if len(self.errors) > count or len(parsed) != len(by_language):
                continue
            render = self._renderer(by_language, index)
            content = scenarios.merge_languages(parsed, self.errors, render)
            if content is None:
                continue
            missing = [language for language in LANGUAGES if language not in by_language]
            if missing:
                self.warn(next(iter(by_language.values())), 1,
                          N_("the role-play has no %(language)s version yet (add %(file)s)"),
                          language=missing[0], file=f"roleplay-{slug}.{missing[0]}.md")
            module.scenarios.append({"slug": slug, "content": content, "required": False})

    def requirements(self, path: Path, fm, module: ModuleSource, files: set[str],
                     assignment_files: set[str] = frozenset()) -> None:
        """`requires: [roleplay-slug, assignment-slug]`: the module is done when she passed a
        play of each role-play and had each assignment approved."""
        requires = fm.data.get("requires")
        if requires is None:
            return
        line = fm.line_of("requires")
        if isinstance(requires, str):
            requires = [requires]
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            self.fail(path, line, N_("'requires' lists role-plays and assignments of this "
                                     "module, e.g. requires: [roleplay-cheaper-elsewhere, "
                                     "assignment-welcome-message]"))
            return
        known = {f"roleplay-{entry['slug']}": entry for entry in module.scenarios}
        known.update({f"assignment-{entry['slug']}": entry for entry in module.assignments})
        for name in requires:
            entry = known.get(name)
            if entry is not None:
                entry["required"] = True
            elif name.startswith("roleplay-") and name[len("roleplay-"):] in files:
                continue  # the file has problems of its own, reported above
            elif name.startswith("assignment-") and \
                    name[len("assignment-"):] in assignment_files:
                continue
            else:
                self.fail(path, line, N_("requires %(name)s: this module has no file "
                                         "%(name)s.LANG.md"), name=name)

    def review_lessons(self, folder: Path, module: ModuleSource, seen_lessons: dict) -> None:
        """A question's `lesson=` must name a lesson of the course read so far (or this module):
        checked in every language file at the question's line, even in a file with other
        problems."""
        for quiz in self.read_quizzes:
            for question in quiz.questions:
                for slug in question.lessons:
                    if slug not in seen_lessons:
                        self.errors.append(ContentError(
                            quiz.path, question.line,
                            N_("question '%(id)s': lesson=%(slug)s is not a lesson of this "
                               "course so far (use the lesson's slug, e.g. "
                               "where-members-come-from)"), id=question.id, slug=slug))

    def quiz(self, files: dict[str, Path]) -> dict | None:
        parsed = {}
        for locale, path in files.items():
            text = self.read_text(path)
            if text is None:
                continue
            try:
                parsed[locale] = parse_quiz_file(text, self.name(path))
                self.read_quizzes.append(parsed[locale])
            except ContentError as error:
                self.errors += problems_of(error)  # every problem of the file, not the first
                if getattr(error, "quiz", None) is not None:
                    self.read_quizzes.append(error.quiz)
        if len(parsed) != len(files):
            return None
        try:
            merged = merge_languages(parsed)
        except ContentError as error:
            self.errors += problems_of(error)
            return None
        self.warnings += item_writing.quiz_warnings(parsed)
        first = parsed["zh"] if "zh" in parsed else next(iter(parsed.values()))
        self.truefalse_keys += [is_true for _line, is_true in item_writing.truefalse_keys(first)]
        return merged

    def same_checklists(self, lesson: LessonSource) -> None:
        """A tick is kept by item id, whatever the language: every language lists the same."""
        texts = sorted(lesson.texts.values(), key=lambda t: (t.locale != "zh", t.locale))
        if len(texts) < 2:
            return
        first = [item for _line, item in texts[0].rendered.checklist]
        for other in texts[1:]:
            ids = [item for _line, item in other.rendered.checklist]
            if ids != first:
                line = next((at for (at, item), mine in zip(other.rendered.checklist, first)
                             if item != mine), other.rendered.checklist[-1][0]
                            if other.rendered.checklist else 1)
                self.errors.append(ContentError(
                    other.path, other.body_line + line - 1 if other.rendered.checklist else 1,
                    N_("the checklist ids differ from %(first)s (%(theirs)s there, %(mine)s "
                       "here): every language ticks the same items"),
                    first=texts[0].path, theirs=", ".join(first) or "-", mine=", ".join(ids) or "-"))

    def lesson_text(self, path: Path, locale: str, index: CourseIndex) -> LessonTextSource | None:
        fm = self.front_matter(path, LESSON_KEYS, {"title"})
        if fm is None:
            return None
        title = str(fm.data.get("title", "")).strip()
        if len(title) > 200:
            self.fail(path, fm.line_of("title"), N_("the title is longer than 200 characters"))
        minutes = fm.data.get("minutes")
        if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)
                                    or not 1 <= minutes <= 120):
            self.fail(path, fm.line_of("minutes"), N_("'minutes' must be a whole number 1-120"))
            minutes = None
        if not fm.body.strip():
            self.fail(path, fm.body_line, N_("the lesson has no text"))
        rendered = render_markdown(fm.body, self.resolver(path, path.parent.parent, fm.body, index,
                                                          fm.body_line))
        for line, note in rendered.notes:
            self.warn(path, fm.body_line + line - 1, note)
        for line, problem in rendered.problems:
            self.fail(path, fm.body_line + line - 1, problem)
        self.warnings += item_writing.wide_tables(fm.body, self.name(path), fm.body_line)
        return LessonTextSource(locale=locale, title=title, markdown=fm.body, rendered=rendered,
                                minutes=minutes or rendered.minutes, path=self.name(path),
                                body_line=fm.body_line)


def _line_of(text: str, needle: str, first_line: int) -> int:
    for number, line in enumerate(text.split("\n")):
        if needle in line:
            return first_line + number
    return first_line


def read_curriculum(root: str | Path, known_assets: dict[str, dict[str, str]] | None = None,
                    limits: CourseLimits | None = None) -> list[CourseSource]:
    """Every course under root (or root itself when it holds course.md), fully validated.

    Raises CurriculumError listing every error (and the warnings). Warnings alone (an
    untranslated lesson, say) don't stop a course: they are on each CourseSource.
    The course limits (limits.py; by default the settings') apply before anything is read.
    """
    root = Path(root).resolve()
    reader = _Reader(root, known_assets, limits or current_limits())
    if not root.is_dir():
        raise CurriculumError([ContentError(str(root), 1, N_("no such folder"))])
    try:
        reader.survey()
    except _TooLarge:
        raise CurriculumError(reader.errors) from None
    folders = [root] if (root / "course.md").exists() else [
        child for child in sorted(root.iterdir())
        if child.is_dir() and not child.name.startswith(".")
    ]
    courses: list[CourseSource] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if not (folder / "course.md").exists():
            reader.fail(folder / "course.md", 1, N_("not a course folder: course.md is missing"))
            continue
        course = reader.course(folder)
        if course is None:
            continue
        if course.slug in seen:
            reader.fail(folder / "course.md", 1, N_("duplicate course slug '%(slug)s' (also "
                                                    "%(other)s)"), slug=course.slug,
                        other=seen[course.slug])
            continue
        seen[course.slug] = course.path
        courses.append(course)
    if not courses and not reader.errors:
        reader.fail(root, 1, N_("no course folders found"))
    if reader.errors:
        raise CurriculumError(reader.errors, reader.warnings)
    for course in courses:
        prefix = course.path.rsplit("/", 1)[0] + "/" if "/" in course.path else ""
        course.warnings = [w for w in reader.warnings if w.path.startswith(prefix)]
    return courses
