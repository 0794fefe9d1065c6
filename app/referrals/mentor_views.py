"""The mentor dashboard and nudges."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..errors import render_error
from ..extensions import limiter
from . import mentoring

bp = Blueprint("mentoring", __name__)

NUDGE_ERRORS = {
    "not_your_mentee": _l("You can only remind your own direct mentees."),
    "too_soon": _l("You already sent a reminder in the last 24 hours. Give them a little time."),
}


@bp.route("/mentor")
@login_required
def dashboard():
    sort = request.args.get("sort", "activity")
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = mentoring.mentee_rows(current_user.id, sort=sort, page=page)
    return render_template("referrals/mentor.html", rows=rows, total=total, sort=sort, page=page)


@bp.route("/mentor/nudge/<int:mentee_id>", methods=["POST"])
@login_required
@limiter.limit("30 per hour")
def nudge(mentee_id: int):
    try:
        mentoring.nudge(current_user, mentee_id)
    except mentoring.NudgeError as error:
        if error.code == "not_your_mentee":
            abort(404)  # someone else's mentee looks like no one
        return render_error(429, NUDGE_ERRORS[error.code])
    flash(_l("Reminder sent."), "success")
    return redirect(url_for("mentoring.dashboard"), 303)
