"""The admin's page for who may edit a course (course grants)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from .. import transactions
from ..accounts.models import User
from ..authz import role_required
from ..domain_errors import DomainError
from ..extensions import db
from . import grants
from .errors import authoring_errors
from .views import bp, course_to_edit


@bp.route("/courses/<slug>/access", methods=["GET", "POST"])
@role_required("admin")
def access(slug):
    course = course_to_edit(slug)
    if request.method == "POST":
        if request.form.get("revoke"):
            grants.revoke(course, request.form.get("revoke", type=int) or 0)
            flash(_("Access removed."), "success")
            return redirect(url_for("authoring.access", slug=slug))
        who = request.form.get("who", "").strip()
        person = db.session.scalar(select(User).where(or_(User.email == who.lower(),
                                                          User.phone == who))) if who else None
        try:
            if person is None:
                raise authoring_errors("no_such_person")
            grants.grant(course, person, current_user)
        except DomainError as error:
            transactions.rollback()
            flash(error.message, "error")
            return render_template("authoring/access.html", course=course,
                                   grants=grants.grants(course), who=who), 422
        flash(_("%(name)s can now edit this course.", name=person.display_name), "success")
        return redirect(url_for("authoring.access", slug=slug))
    return render_template("authoring/access.html", course=course, grants=grants.grants(course))
