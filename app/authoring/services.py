"""Publishing: validated course files → the learner-facing rows, plus a frozen CourseVersion.

Both roads in — `flask courses import` from folders and "Publish" in the browser — end in
`publish_source`, in one transaction.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select, update

from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..learning.models import Course, Lesson, LessonText, Module
from ..practice.assignments import import_assignments
from ..practice.services import import_scenarios
from ..quizzes.services import import_quiz
from .curriculum import CourseSource, read_curriculum
from .files import files_digest, read_folder
from .models import CourseVersion, DraftAsset, DraftFile, StoredFile
from .storage import media_storage
from .uploads import CleanImage


def _assign(row, counter: Counter, kind: str, **values) -> None:
    # New rows (no id yet) are counted as new by the caller, not as changed.
    changed = row.id is not None and any(getattr(row, key) != value for key, value in values.items())
    for key, value in values.items():
        setattr(row, key, value)
    if changed:
        counter[f"{kind} changed"] += 1


def _import_course(source: CourseSource, counter: Counter) -> Course:
    course = db.session.execute(select(Course).where(Course.slug == source.slug)).scalar_one_or_none()
    if course is None:
        course = Course(slug=source.slug)
        db.session.add(course)
        counter["courses new"] += 1
    _assign(course, counter, "courses", position=source.position,
            grants_certificate=source.grants_certificate, gating=source.gating,
            title=source.title, summary=source.summary, hidden=False)
    db.session.flush()

    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    lessons = {row.slug: row for row in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    seen_modules, seen_lessons = set(), set()
    for module_source in source.modules:
        module = modules.get(module_source.slug)
        if module is None:
            module = modules[module_source.slug] = Module(course_id=course.id, slug=module_source.slug)
            db.session.add(module)
            counter["modules new"] += 1
        _assign(module, counter, "modules", position=module_source.position,
                title=module_source.title, summary=module_source.summary, hidden=False)
        db.session.flush()
        seen_modules.add(module.slug)
        import_quiz(module.id, module_source.quiz, counter)
        import_scenarios(module.id, module_source.scenarios, counter)
        import_assignments(module.id, module_source.assignments, counter)
        for lesson_source in module_source.lessons:
            lesson = lessons.get(lesson_source.slug)
            if lesson is None:
                lesson = lessons[lesson_source.slug] = Lesson(course_id=course.id,
                                                              slug=lesson_source.slug)
                db.session.add(lesson)
                counter["lessons new"] += 1
            _assign(lesson, counter, "lessons", module_id=module.id,
                    position=lesson_source.position, hidden=False)
            db.session.flush()
            seen_lessons.add(lesson.slug)
            _import_texts(lesson, lesson_source.texts, counter)

    # Gone from the files: hidden, never deleted, so every learner's history stays.
    for slug, module in modules.items():
        if slug not in seen_modules and not module.hidden:
            module.hidden = True
            import_quiz(module.id, None, counter)
            import_scenarios(module.id, [], counter)
            import_assignments(module.id, [], counter)
            counter["modules hidden"] += 1
    for slug, lesson in lessons.items():
        if slug not in seen_lessons and not lesson.hidden:
            lesson.hidden = True
            counter["lessons hidden"] += 1
    return course


def _import_texts(lesson: Lesson, sources: dict, counter: Counter) -> None:
    texts = {t.locale: t for t in db.session.scalars(
        select(LessonText).where(LessonText.lesson_id == lesson.id))}
    for locale, source in sources.items():
        text = texts.get(locale)
        if text is None:
            text = LessonText(lesson_id=lesson.id, locale=locale)
            db.session.add(text)
            if texts:  # a translation added to a lesson learners already read: a change they see
                counter["lesson texts new"] += 1
        _assign(text, counter, "lesson texts", title=source.title, minutes=source.minutes,
                body_markdown=source.markdown, body_html=source.rendered.html,
                toc=source.rendered.toc)
    for locale, text in texts.items():
        if locale not in sources:
            db.session.delete(text)  # a dropped translation; progress is on the lesson
            counter["lesson texts removed"] += 1


def store_image(image: CleanImage) -> str:
    """Keep an image's bytes (content-addressed: storing twice is harmless)."""
    media_storage().put(image.sha256, image.data)
    insert_ignoring_duplicates(StoredFile, sha256=image.sha256, content_type=image.content_type,
                               size=len(image.data), width=image.width, height=image.height)
    return image.sha256


def latest_version(course_id: int) -> CourseVersion | None:
    return db.session.scalars(select(CourseVersion).where(CourseVersion.course_id == course_id)
                              .order_by(CourseVersion.number.desc()).limit(1)).first()


def publish_source(source: CourseSource, files: dict[str, str], user_id: int | None,
                   origin: str, counter: Counter) -> CourseVersion | None:
    """Make the checked course what learners see and freeze it as a new version.

    No new version when nothing changed. The draft follows the new version except where a
    trainer has unpublished edits: those are kept, never overwritten.
    """
    for image in source.images.values():
        store_image(image)
    written = sum(counter.values())
    course = _import_course(source, counter)
    if sum(counter.values()) != written:
        # Learner pages cache the outline per (course, revision): any publish that changed
        # a learner-facing row (a re-render too) moves the key, so no process keeps showing
        # the old rows; one that changed nothing leaves the course row as it was.
        db.session.execute(update(Course).where(Course.id == course.id).values(
            content_revision=Course.content_revision + 1))
    previous = latest_version(course.id)
    digest = files_digest(files, source.assets)
    if previous is not None and previous.digest == digest:
        return None
    version = CourseVersion(course_id=course.id, number=(previous.number + 1) if previous else 1,
                            files=files, assets=dict(source.assets), digest=digest,
                            published_by_id=user_id, source=origin)
    db.session.add(version)
    db.session.flush()  # the unique (course, number) refuses a concurrent twin here
    _follow_version(course.id, previous, version, user_id, counter)
    counter["course versions new"] += 1
    return version


def _follow_version(course_id: int, previous: CourseVersion | None, version: CourseVersion,
                    user_id: int | None, counter: Counter) -> None:
    old_files = previous.files if previous else {}
    drafts = {d.path: d for d in db.session.scalars(
        select(DraftFile).where(DraftFile.course_id == course_id))}
    for path in sorted(set(drafts) | set(old_files) | set(version.files)):
        draft = drafts.get(path)
        draft_text, new_text = (draft.text if draft else None), version.files.get(path)
        if draft_text != old_files.get(path):  # edited, added or deleted in the draft
            if draft_text != new_text:
                counter["draft edits kept"] += 1
            continue
        if new_text is None:
            db.session.delete(draft)
        elif draft is None:
            db.session.add(DraftFile(course_id=course_id, path=path, text=new_text,
                                     updated_by_id=user_id))
        elif draft_text != new_text:
            db.session.execute(update(DraftFile).where(DraftFile.id == draft.id).values(
                text=new_text, revision=DraftFile.revision + 1, updated_by_id=user_id))
    # Images follow the same way: only ones the draft left as they were published.
    old_assets = previous.assets if previous else {}
    drafted = {a.path: a for a in db.session.scalars(
        select(DraftAsset).where(DraftAsset.course_id == course_id))}
    for path in sorted(set(drafted) | set(old_assets) | set(version.assets)):
        asset = drafted.get(path)
        current, new_sha = (asset.sha256 if asset else None), version.assets.get(path)
        if current != old_assets.get(path) or current == new_sha:
            continue
        if new_sha is None:
            db.session.delete(asset)
        elif asset is None:
            db.session.add(DraftAsset(course_id=course_id, path=path, sha256=new_sha))
        else:
            asset.sha256 = new_sha


def import_curriculum(root: str | Path, user_id: int | None = None) -> Counter:
    """Validate every file first, then write all courses in one transaction.

    Raises CurriculumError (nothing written) when any file is malformed. Returns counts of
    what was created, changed and hidden.
    """
    sources = read_curriculum(root)
    counter: Counter = Counter()
    with db.session.begin_nested():  # all courses or none, whatever the caller's unit goes on to do
        for source in sources:
            files = read_folder(source.folder).files
            publish_source(source, files, user_id, "files", counter)
    counter["courses read"] = len(sources)
    return counter


def rerender_published(counter: Counter) -> None:
    """Render every course's latest published version again into the learner rows.

    Lesson HTML is stored at publish time; after the sanitiser changes, this brings courses
    published in the browser or from a zip up to date (`flask courses import` already does so
    for folders). No new version, drafts untouched; images stay as stored.
    """
    import tempfile

    from .files import FileSet, write_folder

    with db.session.begin_nested():
        for course in db.session.scalars(select(Course).order_by(Course.id)):
            version = latest_version(course.id)
            if version is None:
                continue
            with tempfile.TemporaryDirectory(prefix="smallb-render-") as tmp:
                folder = Path(tmp) / course.slug
                folder.mkdir()
                write_folder(folder, FileSet(dict(version.files), {p: b"" for p in version.assets}),
                             placeholders=True)
                source = read_curriculum(folder, known_assets={course.slug: dict(version.assets)})[0]
            publish_source(source, dict(version.files), version.published_by_id, version.source,
                           counter)  # the same digest: rows re-rendered, no new version
            counter["courses rendered"] += 1

