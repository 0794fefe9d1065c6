"""Checking a draft, publishing it as a new version, and the versions: list, diff, revert."""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update

from ..accounts.models import User
from ..content import ContentError
from ..content.frontmatter import N_
from ..database import upsert
from ..extensions import db
from ..learning.models import Course
from .curriculum import CourseSource, CurriculumError, read_curriculum
from .drafts import draft_assets, draft_files, draft_texts, pending_changes
from .errors import authoring_errors
from .files import FileDiff, FileSet, write_folder
from .models import CourseVersion, DraftAsset, DraftFile
from .services import publish_source


@dataclass
class CheckResult:
    errors: list[ContentError]
    warnings: list[ContentError]
    source: CourseSource | None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_files(slug: str, files: dict[str, str], assets: dict[str, str]) -> CheckResult:
    """The same checks as `flask courses check`, on files held in the database."""
    with tempfile.TemporaryDirectory(prefix="smallb-check-") as tmp:
        folder = Path(tmp) / slug
        folder.mkdir()
        write_folder(folder, FileSet(files, {path: b"" for path in assets}), placeholders=True)
        try:
            sources = read_curriculum(folder, known_assets={slug: assets})
        except CurriculumError as error:
            return CheckResult(error.errors, error.warnings, None)
    source = sources[0]
    if source.slug != slug:
        error = ContentError(f"{slug}/course.md", 1, N_("the slug must stay '%(slug)s' (a new "
                                                        "slug would be a new course)"), slug=slug)
        return CheckResult([error], source.warnings, None)
    return CheckResult([], source.warnings, source)


def check_draft(course: Course) -> CheckResult:
    return check_files(course.slug, draft_texts(course), draft_assets(course))


def publish(course: Course, user: User) -> CourseVersion:
    """Check the draft and make it the new version learners see (raises an authoring DomainError)."""
    files = draft_texts(course)  # read once: what is checked is what is frozen
    result = check_files(course.slug, files, draft_assets(course))
    if not result.ok:
        raise authoring_errors("draft_has_errors")
    version = publish_source(result.source, files, user.id, "editor", Counter())
    if version is None:
        raise authoring_errors("nothing_to_publish")
    return version


def versions(course: Course) -> list[tuple[CourseVersion, User | None]]:
    return list(db.session.execute(
        select(CourseVersion, User).outerjoin(User, User.id == CourseVersion.published_by_id)
        .where(CourseVersion.course_id == course.id).order_by(CourseVersion.number.desc())))


def version(course: Course, number: int) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id,
                                                         CourseVersion.number == number))


def unpublished_edits(course: Course) -> list[FileDiff]:
    """Draft changes not in any published version: what a revert would throw away."""
    return pending_changes(course)


def revert(course: Course, target: CourseVersion, user: User) -> int:
    """Make the draft equal to an old version (a new draft; nothing published yet)."""
    current = draft_files(course)
    changed = 0
    for path, draft in current.items():
        if path not in target.files:
            db.session.delete(draft)
            changed += 1
    for path, text in target.files.items():
        draft = current.get(path)
        if draft is None:
            db.session.add(DraftFile(course_id=course.id, path=path, text=text,
                                     updated_by_id=user.id))
            changed += 1
        elif draft.text != text:
            db.session.execute(update(DraftFile).where(DraftFile.id == draft.id).values(
                text=text, revision=DraftFile.revision + 1, updated_by_id=user.id))
            changed += 1
    follow_assets(course.id, draft_assets(course), target.assets)
    return changed


def follow_assets(course_id: int, current: dict[str, str], wanted: dict[str, str]) -> None:
    """Make the draft's images exactly `wanted` ({path: sha256})."""
    for path in current.keys() - wanted.keys():
        db.session.execute(delete(DraftAsset).where(DraftAsset.course_id == course_id,
                                                    DraftAsset.path == path))
    for path, sha in wanted.items():
        if current.get(path) != sha:
            upsert(DraftAsset, {"course_id": course_id, "path": path}, {"sha256": sha})
