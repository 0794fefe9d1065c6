"""The authoring blueprint (/author/…) with what its view modules share, and lesson images
served from /media/.

The routes live in editor_views (overview, workspace, editor, images), version_views
(publishing and versions), transfer_views (zip import and export) and access_views (who
may edit); create_app imports them so that they are registered on the blueprint.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..learning.models import Course
from .grants import can_edit
from .models import StoredFile
from .storage import media_storage

bp = Blueprint("authoring", __name__, url_prefix="/author")
media_bp = Blueprint("media", __name__)


AUTHORS = ("trainer", "admin")


def course_to_edit(slug: str) -> Course:
    """The course, if this person may edit it: 404 when it doesn't exist, 403 otherwise."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not can_edit(current_user, course):
        abort(403)
    return course


def megabytes(limit: int) -> str:
    return f"{limit / 2**20:.1f}".removesuffix(".0")


def release_lock_while(work):
    """Run slow, database-free checking (decoding images, unpacking a zip) outside any
    transaction: on SQLite the request's write lock would stall every learner meanwhile."""
    db.session.rollback()  # nothing is written yet; this only ends the transaction
    return work()


MEDIA_NAME = re.compile(r"^([0-9a-f]{64})\.(png|jpg|gif|webp|svg)$")


@media_bp.route("/media/<name>")
@login_required
def media(name):
    """A lesson image by content digest: never changes, so browsers may keep it for a year."""
    match = MEDIA_NAME.match(name)
    stored = db.session.get(StoredFile, match.group(1)) if match else None
    data = media_storage().get(stored.sha256) if stored else None
    if data is None:
        abort(404)
    # The policy is the image's own: opened by itself, an SVG may run nothing, fetch nothing
    # and style nothing (its checks already refused all three); nosniff keeps the type.
    return Response(data, mimetype=stored.content_type, headers={
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff"})
