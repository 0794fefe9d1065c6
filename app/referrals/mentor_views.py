"""The mentor dashboard and nudges."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import transactions
from ..domain_errors import DomainError
from ..extensions import db, limiter
from ..practice import assignments
from . import mentoring
from .errors import mentoring_errors

bp = Blueprint("mentoring", __name__)


@bp.route("/mentor")
@login_required
def dashboard():
    sort = request.args.get("sort", "activity")
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = mentoring.mentee_rows(current_user.id, sort=sort, page=page)
    waiting = assignments.waiting_for_mentor(current_user.id)  # her mentees' hand-ins
    return render_template("referrals/mentor.html", rows=rows, total=total, sort=sort, page=page,
                           waiting=waiting)


@bp.route("/mentor/mentees/<int:mentee_id>/reset-link", methods=["POST"])
@login_required
@limiter.limit("20 per hour")
def issue_reset_link(mentee_id: int):
    """A direct mentor makes a one-time password link to hand to a mentee (audited)."""
    from ..accounts import resets
    from ..accounts.admin_views import handover_page
    from ..accounts.models import User
    from .models import TreeNode

    node = db.session.get(TreeNode, mentee_id)
    if node is None or node.mentor_id != current_user.id:
        abort(404)  # only a direct mentor; anyone else's mentee looks like no one
    person = db.session.get(User, mentee_id)
    try:
        link, reset = resets.issue_handover_link(person, current_user, request.form.get("reason", ""))
    except DomainError as error:
        transactions.rollback()
        flash(error.message_in(mentoring_errors), "error")
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
    except DomainError as error:
        transactions.rollback()
        if error.code == "not_your_mentee":
            abort(404)  # someone else's mentee looks like no one
        # Back on her list with the reason, where the reminder that fits now is offered.
        flash(error.message, "error")
        return dashboard(), error.status
    flash(_l("Reminder sent."), "success")
    return redirect(url_for("mentoring.dashboard"), 303)
