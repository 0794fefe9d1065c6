"""Courses in and out as zips/folders in the courses/ format (the git round trip).

An uploaded zip is checked completely before anything is stored; the trainer then sees what
would change — lessons and questions new, changed, removed — and confirms.
"""
from __future__ import annotations

import secrets
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db
from ..learning.models import Course, Lesson, LessonText
from ..quizzes.models import Quiz
from ..learning.models import Module
from .checking import read_upload  # noqa: F401  (the pure check; check_upload: budgeted)
from .curriculum import CourseSource, CurriculumError, read_curriculum
from .errors import authoring_errors
from .files import FileSet, write_folder
from .grants import can_edit
from .models import CourseGrant, CourseVersion, StagedImport
from .services import latest_version, publish_source, store_image
from .storage import media_storage


def version_fileset(version: CourseVersion) -> FileSet:
    store = media_storage()
    images = {}
    for path, sha in version.assets.items():
        data = store.get(sha)
        if data is None:
            raise authoring_errors("image_missing", path=path)
        images[path] = data
    return FileSet(dict(version.files), images)


def export_course(course: Course, number: int | None = None) -> FileSet:
    version = latest_version(course.id) if number is None else db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id,
                                    CourseVersion.number == number))
    if version is None:
        raise authoring_errors("never_published")
    return version_fileset(version)


def stage_upload(source: CourseSource, fileset: FileSet, user: User) -> StagedImport:
    """Keep a checked upload until its uploader confirms the preview."""
    course = db.session.scalar(select(Course).where(Course.slug == source.slug))
    if course is not None and not can_edit(user, course):
        raise authoring_errors("may_not_edit", slug=source.slug)
    for image in source.images.values():
        store_image(image)  # content-addressed: harmless if the import is never applied
    staged = StagedImport(id=secrets.token_hex(16), course_slug=source.slug, user_id=user.id,
                          files=fileset.files, assets=dict(source.assets))
    db.session.add(staged)
    return staged


@dataclass
class Preview:
    slug: str
    new_course: bool
    lessons: dict[str, list[str]] = field(default_factory=dict)  # new/changed/removed → slugs
    questions: dict[str, list[str]] = field(default_factory=dict)  # → "module: id"
    files_changed: int = 0

    @property
    def empty(self) -> bool:
        return not any(self.lessons.values()) and not any(self.questions.values())


def _source_of(staged: StagedImport) -> CourseSource:
    with tempfile.TemporaryDirectory(prefix="smallb-zip-") as tmp:
        folder = Path(tmp) / staged.course_slug
        folder.mkdir()
        write_folder(folder, FileSet(staged.files, {p: b"" for p in staged.assets}),
                     placeholders=True)
        return read_curriculum(folder, known_assets={staged.course_slug: staged.assets})[0]


def preview(staged: StagedImport) -> Preview:
    """Compare the zip with what learners see now: lessons by slug, questions by id."""
    source = _source_of(staged)
    course = db.session.scalar(select(Course).where(Course.slug == source.slug))
    result = Preview(slug=source.slug, new_course=course is None,
                     lessons={"new": [], "changed": [], "removed": []},
                     questions={"new": [], "changed": [], "removed": []})
    current_lessons: dict[str, dict] = {}
    current_questions: dict[str, dict] = {}
    if course is not None:
        for lesson, text in db.session.execute(
                select(Lesson, LessonText).join(LessonText, LessonText.lesson_id == Lesson.id)
                .where(Lesson.course_id == course.id, Lesson.hidden.is_(False))):
            current_lessons.setdefault(lesson.slug, {})[text.locale] = (text.title, text.body_markdown)
        for module, quiz in db.session.execute(
                select(Module, Quiz).join(Quiz, Quiz.module_id == Module.id)
                .where(Module.course_id == course.id, Quiz.hidden.is_(False))):
            for question in quiz.current_version.content["questions"] if quiz.current_version else []:
                current_questions[f"{module.slug}: {question['id']}"] = question
        latest = latest_version(course.id)
        old_files = latest.files if latest else {}
        result.files_changed = sum(1 for p in set(old_files) | set(staged.files)
                                   if old_files.get(p) != staged.files.get(p))
    new_lessons = {lesson.slug: {loc: (t.title, t.markdown) for loc, t in lesson.texts.items()}
                   for module in source.modules for lesson in module.lessons}
    new_questions = {f"{module.slug}: {q['id']}": q for module in source.modules if module.quiz
                     for q in module.quiz["questions"]}
    _compare(current_lessons, new_lessons, result.lessons)
    _compare(current_questions, new_questions, result.questions)
    return result


def _compare(old: dict, new: dict, into: dict[str, list[str]]) -> None:
    into["new"] = sorted(k for k in new if k not in old)
    into["removed"] = sorted(k for k in old if k not in new)
    into["changed"] = sorted(k for k in new if k in old and old[k] != new[k])


def apply_staged(staged: StagedImport, user: User) -> Counter:
    """Publish the confirmed zip. The draft follows it, except files with unpublished edits."""
    if staged.applied_at is not None:
        raise authoring_errors("already_applied")
    if staged.user_id != user.id:
        raise authoring_errors("not_your_upload")
    course = db.session.scalar(select(Course).where(Course.slug == staged.course_slug))
    if course is not None and not can_edit(user, course):
        raise authoring_errors("may_not_edit", slug=staged.course_slug)
    try:
        source = _source_of(staged)
    except CurriculumError:
        raise authoring_errors("upload_outdated") from None
    counter: Counter = Counter()
    publish_source(source, staged.files, user.id, "zip", counter)
    if course is None:
        course = db.session.scalar(select(Course).where(Course.slug == staged.course_slug))
        db.session.add(CourseGrant(course_id=course.id, user_id=user.id, kind="owner",
                                   granted_by_id=user.id))
    staged.applied_at = utcnow()
    return counter
