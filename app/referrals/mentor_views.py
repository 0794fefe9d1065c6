"""The mentor dashboard and nudges."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import transactions
from ..extensions import db, limiter
from . import mentoring

bp = Blueprint("mentoring", __name__)

NUDGE_ERRORS = {
    "not_your_mentee": _l("You can only remind your own direct mentees."),
    "too_soon": _l("You already sent a reminder in the last 24 hours. Give them a little time."),
    "unknown_reminder": _l("That reminder is not one we know. Please reload the page."),
    "situation_changed": _l("Her situation has changed since you opened the page. Look again and send the reminder that fits now."),
}
NUDGE_STATUS = {"too_soon": 429, "unknown_reminder": 400, "situation_changed": 409}
RESET_ERRORS = {
    "reason_required": _l("Please say briefly why (kept in the audit record)."),
    "reason_too_long": _l("The reason can have at most 1,000 characters."),
}


@bp.route("/mentor")
@login_required
def dashboard():
    sort = request.args.get("sort", "activity")
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = mentoring.mentee_rows(current_user.id, sort=sort, page=page)
    return render_template("referrals/mentor.html", rows=rows, total=total, sort=sort, page=page)


@bp.route("/mentor/mentees/<int:mentee_id>/reset-link", methods=["POST"])
@login_required
@limiter.limit("20 per hour")
def issue_reset_link(mentee_id: int):
    """A direct mentor makes a one-time password link to hand to a mentee (audited)."""
    from ..accounts import resets
    from ..accounts.admin_views import handover_page
    from ..accounts.models import User
    from ..accounts.services import AccountError
    from ..accounts.views import ERRORS
    from .models import TreeNode

    node = db.session.get(TreeNode, mentee_id)
    if node is None or node.mentor_id != current_user.id:
        abort(404)  # only a direct mentor; anyone else's mentee looks like no one
    person = db.session.get(User, mentee_id)
    try:
        link, reset = resets.issue_handover_link(person, current_user, request.form.get("reason", ""))
    except AccountError as error:
        transactions.rollback()
        flash(ERRORS.get(error.code) or RESET_ERRORS[error.code], "error")
        return redirect(url_for("mentoring.dashboard"), 303)
    return handover_page(person, link, reset, url_for("mentoring.dashboard"))


def _per_mentor() -> str:
    # Per account, not per address: mentors in one shop or behind one carrier's address
    # must not use up each other's reminders.
    return f"mentor:{current_user.id}"


@bp.route("/mentor/nudge/<int:mentee_id>", methods=["POST"])
@login_required
# One reminder per mentee a day is the rule (a row lock keeps it); this only stops a script.
@limiter.limit("200 per hour", key_func=_per_mentor)
def nudge(mentee_id: int):
    try:
        mentoring.nudge(current_user, mentee_id, request.form.get("reminder") or None)
    except mentoring.NudgeError as error:
        transactions.rollback()
        if error.code == "not_your_mentee":
            abort(404)  # someone else's mentee looks like no one
        # Back on her list with the reason, where the reminder that fits now is offered.
        flash(NUDGE_ERRORS[error.code], "error")
        return dashboard(), NUDGE_STATUS[error.code]
    flash(_l("Reminder sent."), "success")
    return redirect(url_for("mentoring.dashboard"), 303)
