"""The draft of a course: its files, read as an outline, saved, added and removed, and the
trainer's overview of her courses.

Every save names the revision it started from; a save from an older revision is refused
with the other person's text (optimistic locking), never written over it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..content import ContentError
from ..extensions import db
from ..learning.models import Course, Enrolment
from .curriculum import LESSON_FILE, NUMBERED_DIR, SLUG
from .errors import authoring_errors
from .files import FileDiff, diff_files
from .grants import editable_courses
from .limits import current_limits, size_words
from .models import CourseGrant, CourseVersion, DraftAsset, DraftFile
from .services import latest_version, store_image
from .uploads import CleanImage


def too_large(text: str) -> bool:
    """Over the course files' size limit, the one imports and zips apply too (limits.py)."""
    return len(text.encode("utf-8")) > current_limits().text_bytes


class Conflict(Exception):
    """Someone saved the file since this trainer opened it."""

    def __init__(self, current: DraftFile | None):
        super().__init__("changed since you opened it")
        self.current = current


def draft_files(course: Course) -> dict[str, DraftFile]:
    return {d.path: d for d in db.session.scalars(
        select(DraftFile).where(DraftFile.course_id == course.id).order_by(DraftFile.path))}


def draft_assets(course: Course) -> dict[str, str]:
    return {a.path: a.sha256 for a in db.session.scalars(
        select(DraftAsset).where(DraftAsset.course_id == course.id))}


def draft_texts(course: Course) -> dict[str, str]:
    return {path: d.text for path, d in draft_files(course).items()}


def pending_changes(course: Course) -> list[FileDiff]:
    """What publishing would change, file by file."""
    version = latest_version(course.id)
    return diff_files(version.files if version else {}, draft_texts(course))


@dataclass
class Outline:
    """The draft's files grouped as a trainer thinks of them: course, modules, lessons."""

    course_file: str | None
    modules: list[dict] = field(default_factory=list)  # {folder, file, lessons:[...], quiz:[...]}
    images: list[str] = field(default_factory=list)


def _title(text: str, path: str):
    """A file's front-matter title as written (a string, or {zh:…, en:…}); None when the
    file is not readable yet: the page still lists it, by its file name."""
    from ..content import split_front_matter

    try:
        title = split_front_matter(text, path, _ANY_KEY).data.get("title")
    except ContentError:
        return None
    return title if isinstance(title, (str, dict)) and title else None


class _AnyKey(frozenset):
    """Front-matter keys are checked by the course checker; here every key passes."""

    def __contains__(self, key) -> bool:
        return True


_ANY_KEY = _AnyKey()


def outline(course: Course) -> Outline:
    files = draft_files(course)
    paths = list(files)
    result = Outline(course_file="course.md" if "course.md" in paths else None,
                     images=sorted(draft_assets(course)))
    folders: dict[str, dict] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        if not folder:
            continue
        module = folders.setdefault(folder, {"folder": folder, "file": None, "title": None,
                                             "lessons": {}, "quiz": [], "roleplays": {},
                                             "assignments": {}})
        lesson = LESSON_FILE.match(name)
        if name == "module.md":
            module["file"] = path
            module["title"] = _title(files[path].text, path)
        elif lesson:
            module["lessons"].setdefault(f"{lesson.group(1)}-{lesson.group(2)}", []).append(path)
        elif name.startswith("quiz."):
            module["quiz"].append(path)
        elif name.startswith("roleplay-"):
            module["roleplays"].setdefault(name.split(".", 1)[0], []).append(path)
        elif name.startswith("assignment-"):
            module["assignments"].setdefault(name.split(".", 1)[0], []).append(path)
    for folder in sorted(folders):
        module = folders[folder]
        lessons = []
        for name, lesson_files in sorted(module["lessons"].items()):
            titles = {}  # {language: title}, from each language's own file
            for path in lesson_files:
                title = _title(files[path].text, path)
                if isinstance(title, str):
                    titles[path.rsplit(".", 2)[1]] = title
            lessons.append({"name": name, "files": sorted(lesson_files), "titles": titles,
                            "missing": [lang for lang in ("zh", "en")
                                        if f"{folder}/{name}.{lang}.md" not in lesson_files]})
        module["lessons"] = lessons
        module["roleplays"] = [{"name": name, "files": sorted(paths)}
                               for name, paths in sorted(module["roleplays"].items())]
        module["assignments"] = [{"name": name, "files": sorted(paths)}
                                 for name, paths in sorted(module["assignments"].items())]
        result.modules.append(module)
    return result


def check_path(path: str) -> str:
    """Only paths the course format knows can be saved as text."""
    parts = path.split("/")
    ok = path == "course.md" or (
        len(parts) == 2 and NUMBERED_DIR.match(parts[0]) and SLUG.match(
            NUMBERED_DIR.match(parts[0]).group(2))
        and (parts[1] == "module.md" or re.match(r"^(quiz|(roleplay|assignment)-[a-z0-9-]+)\.(zh|en)\.md$", parts[1])
             or (LESSON_FILE.match(parts[1]) and LESSON_FILE.match(parts[1]).group(3) in ("zh", "en"))))
    if not ok:
        raise authoring_errors("not_a_course_file", path=path)
    return path


def save_file(course: Course, path: str, text: str, base_revision: int | None,
              user: User) -> DraftFile:
    """Save one draft file. base_revision None or 0 creates it; a stale one raises Conflict."""
    check_path(path)
    base_revision = base_revision or None
    text = text.replace("\r\n", "\n")
    if too_large(text):
        raise authoring_errors("text_too_large", size=size_words(current_limits().text_bytes))
    if base_revision is None:
        from ..database import insert_ignoring_duplicates

        if not insert_ignoring_duplicates(DraftFile, course_id=course.id, path=path, text=text,
                                          revision=1, updated_by_id=user.id,
                                          updated_at=func.now()):
            raise Conflict(_current(course, path))
    else:
        # Compare-and-set in one statement: two saves from the same revision can't both win.
        changed = db.session.execute(
            update(DraftFile).where(DraftFile.course_id == course.id, DraftFile.path == path,
                                    DraftFile.revision == base_revision)
            .values(text=text, revision=DraftFile.revision + 1, updated_by_id=user.id,
                    updated_at=func.now())
            .returning(DraftFile.id)).first()
        if changed is None:
            raise Conflict(_current(course, path))
    db.session.expire_all()
    return _current(course, path)


def _current(course: Course, path: str) -> DraftFile | None:
    return db.session.scalar(select(DraftFile).where(DraftFile.course_id == course.id,
                                                     DraftFile.path == path))


def delete_file(course: Course, path: str, base_revision: int) -> None:
    if check_path(path) == "course.md":
        raise authoring_errors("course_file_stays")
    gone = db.session.execute(delete(DraftFile).where(
        DraftFile.course_id == course.id, DraftFile.path == path,
        DraftFile.revision == base_revision).returning(DraftFile.id)).first()
    if gone is None:
        raise Conflict(_current(course, path))


LESSON_TEMPLATE = "---\ntitle: {title}\n---\n{body}\n"
MODULE_TEMPLATE = "---\ntitle:\n  zh: {zh}\n  en: {en}\n---\n"


QUIZ_TEMPLATE = {
    "zh": "---\npass_mark: 80\nreveal: feedback_after_attempt\n---\n\n## 这里写第一题 {#first-question type=single}\n\n"
          "- [x] 正确的选项\n  > Feedback: 说明为什么对。\n- [ ] 错误的选项\n  > Feedback: 说明为什么不对。\n",
    "en": "---\npass_mark: 80\nreveal: feedback_after_attempt\n---\n\n## Write the first question here {#first-question type=single}\n\n"
          "- [x] The right option\n  > Feedback: Say why it is right.\n- [ ] A wrong option\n  > Feedback: Say why it is wrong.\n",
}


NEW_LESSON_BODY = {"zh": "在这里写课文。", "en": "Write the lesson here."}


def starting_text(path: str) -> str:
    """What a new file of this kind starts with (e.g. a lesson's missing translation)."""
    name = path.rpartition("/")[2]
    if name == "course.md":
        return MODULE_TEMPLATE.format(zh='""', en='""')
    if name.startswith("quiz."):
        return QUIZ_TEMPLATE[name.split(".")[1]]
    if name == "module.md":
        return MODULE_TEMPLATE.format(zh='""', en='""')
    language = LESSON_FILE.match(name).group(3)
    return LESSON_TEMPLATE.format(title='""', body=NEW_LESSON_BODY[language])


def _yaml_text(value: str) -> str:
    value = " ".join(value.split())
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _next_number(names: list[str]) -> int:
    numbers = [int(m.group(1)) for m in map(NUMBERED_DIR.match, names) if m]
    return max(numbers, default=0) + 1


def add_module(course: Course, slug: str, titles: dict[str, str], user: User) -> str:
    if not SLUG.match(slug):
        raise authoring_errors("bad_slug")
    folders = {path.split("/")[0] for path in draft_files(course) if "/" in path}
    if any(NUMBERED_DIR.match(f) and NUMBERED_DIR.match(f).group(2) == slug for f in folders):
        raise authoring_errors("module_exists", slug=slug)
    folder = f"{_next_number(sorted(folders)):02d}-{slug}"
    save_file(course, f"{folder}/module.md", MODULE_TEMPLATE.format(
        zh=_yaml_text(titles["zh"]), en=_yaml_text(titles["en"])), None, user)
    return folder


def add_lesson(course: Course, folder: str, slug: str, titles: dict[str, str], user: User) -> list[str]:
    if not SLUG.match(slug):
        raise authoring_errors("bad_slug")
    files = draft_files(course)
    if f"{folder}/module.md" not in files:
        raise authoring_errors("no_such_module")
    if any(LESSON_FILE.match(p.rpartition("/")[2]) and LESSON_FILE.match(p.rpartition("/")[2]).group(2) == slug
           for p in files):
        raise authoring_errors("lesson_exists", slug=slug)
    names = [p.rpartition("/")[2] for p in files if p.startswith(folder + "/")]
    number = _next_number(names)
    paths = []
    for language in ("zh", "en"):
        path = f"{folder}/{number:02d}-{slug}.{language}.md"
        save_file(course, path, LESSON_TEMPLATE.format(title=_yaml_text(titles[language]),
                                                       body=NEW_LESSON_BODY[language]), None, user)
        paths.append(path)
    return paths


def add_quiz(course: Course, folder: str, user: User) -> list[str]:
    files = draft_files(course)
    if f"{folder}/module.md" not in files:
        raise authoring_errors("no_such_module")
    paths = []
    for language in ("zh", "en"):
        path = f"{folder}/quiz.{language}.md"
        if path not in files:
            save_file(course, path, QUIZ_TEMPLATE[language], None, user)
            paths.append(path)
    return paths


def add_image(course: Course, folder: str, filename: str, image: CleanImage) -> str:
    """Store a cleaned image beside the module's lessons; returns its path in the course."""
    if f"{folder}/module.md" not in draft_files(course):
        raise authoring_errors("no_such_module")
    stem = re.sub(r"[^a-z0-9]+", "-", Path(filename).stem.lower()).strip("-") or "image"
    path = f"{folder}/{stem[:60]}-{image.sha256[:8]}.{image.extension}"
    store_image(image)
    from ..database import insert_ignoring_duplicates

    insert_ignoring_duplicates(DraftAsset, course_id=course.id, path=path, sha256=image.sha256)
    return path


def create_course(slug: str, titles: dict[str, str], user: User) -> Course:
    """A new, unpublished course whose draft holds course.md; the creator owns it."""
    if not SLUG.match(slug):
        raise authoring_errors("bad_slug")
    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise authoring_errors("course_exists", slug=slug)
    course = Course(slug=slug, title=titles, summary={}, hidden=True, position=999)
    db.session.add(course)
    try:
        db.session.flush()
    except IntegrityError:
        raise authoring_errors("course_exists", slug=slug) from None
    db.session.add(CourseGrant(course_id=course.id, user_id=user.id, kind="owner",
                               granted_by_id=user.id))
    save_file(course, "course.md", "---\nslug: {slug}\norder: 99\ncertificate: false\n"
              "gating: sequential\ntitle:\n  zh: {zh}\n  en: {en}\n---\n".format(
                  slug=slug, zh=_yaml_text(titles["zh"]), en=_yaml_text(titles["en"])), None, user)
    return course


@dataclass
class CourseStatus:
    course: Course
    version: CourseVersion | None
    pending: int  # draft files that differ from the published version
    enrolled: int
    completed: int

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


def overview(user: User) -> list[CourseStatus]:
    courses = editable_courses(user)
    ids = [c.id for c in courses]
    counts = {row.course_id: (row.enrolled, row.completed) for row in db.session.execute(
        select(Enrolment.course_id, func.count().label("enrolled"),
               func.count(Enrolment.completed_at).label("completed"))
        .where(Enrolment.course_id.in_(ids)).group_by(Enrolment.course_id))} if ids else {}
    statuses = []
    for course in courses:
        latest = latest_version(course.id)
        pending = len(diff_files(latest.files if latest else {}, draft_texts(course)))
        enrolled, completed = counts.get(course.id, (0, 0))
        statuses.append(CourseStatus(course, latest, pending, enrolled, completed))
    return statuses
