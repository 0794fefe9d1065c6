"""What authoring keeps about a person: course access granted to her or by her, uploads she
staged, draft files she last saved and course versions she published. These are ids and
course content, not personal text: anonymising keeps them (her name goes with her user row)."""
from sqlalchemy import select

from .. import privacy
from ..extensions import db
from ..learning.models import Course
from .models import CourseGrant, CourseVersion, DraftFile, StagedImport


def export_personal_data(user) -> dict:
    session = db.session
    slugs = dict(session.execute(select(Course.id, Course.slug)).all())

    def grant(g):
        return {"course": slugs.get(g.course_id), "kind": g.kind, "user_id": g.user_id,
                "granted_by_id": g.granted_by_id, "granted_at": privacy.when(g.granted_at)}
    return {
        "course_access": [grant(g) for g in session.scalars(
            select(CourseGrant).where(CourseGrant.user_id == user.id).order_by(CourseGrant.granted_at))],
        "course_access_given_by_them": [grant(g) for g in session.scalars(
            select(CourseGrant).where(CourseGrant.granted_by_id == user.id).order_by(CourseGrant.granted_at))],
        "course_uploads_staged": [
            {"course": s.course_slug, "files": sorted(s.files), "created_at": privacy.when(s.created_at),
             "applied_at": privacy.when(s.applied_at)}
            for s in session.scalars(select(StagedImport).where(StagedImport.user_id == user.id)
                                     .order_by(StagedImport.created_at))],
        "draft_files_last_saved_by_them": [
            {"course": slugs.get(f.course_id), "path": f.path, "revision": f.revision,
             "updated_at": privacy.when(f.updated_at)}
            for f in session.scalars(select(DraftFile).where(DraftFile.updated_by_id == user.id)
                                     .order_by(DraftFile.updated_at))],
        "course_versions_published_by_them": [
            {"course": slugs.get(v.course_id), "number": v.number, "source": v.source,
             "published_at": privacy.when(v.published_at)}
            for v in session.scalars(select(CourseVersion).where(CourseVersion.published_by_id == user.id)
                                     .order_by(CourseVersion.published_at))],
    }


privacy.register("authoring", export=export_personal_data,
                 covers={"course_grants.user_id", "course_grants.granted_by_id",
                         "staged_imports.user_id", "draft_files.updated_by_id",
                         "course_versions.published_by_id"})
