"""Users administration for admins: search, roles, deactivation, data export, anonymisation."""
from __future__ import annotations

import json

from flask import (Blueprint, Response, abort, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import transactions
from ..authz import role_required
from ..domain_errors import DomainError
from ..extensions import db
from . import administration, privacy, resets
from .models import Role, User

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")

ROLE_NAMES = {Role.LEARNER: _l("Learner"), Role.TRAINER: _l("Trainer"), Role.ADMIN: _l("Admin")}
ACTION_NAMES = {"role_changed": _l("Role changed"), "deactivated": _l("Deactivated"),
                "reactivated": _l("Reactivated"), "exported": _l("Personal data exported"),
                "anonymised": _l("Anonymised"), "reset_link_issued": _l("Password reset link made"),
                "password_reset": _l("Password reset")}


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _refused(user: User, error: DomainError, template: str = "accounts/admin_user.html"):
    transactions.rollback()
    flash(error.message, "error")
    return render_template(template, user=_user_or_404(user.id), **_user_page(user.id)), 400


def _user_page(user_id: int) -> dict:
    # The rooms above accounts add their facts (referrals: her node, for the invite code).
    return {**administration.page_facts(user_id), "history": administration.audit_history(user_id),
            "roles": ROLE_NAMES, "actions": ACTION_NAMES}


@bp.route("")
@role_required("admin")
def index():
    query = request.args.get("q", "").strip()
    people, more = administration.search_users(query) if query else ([], False)
    return render_template("accounts/admin_users.html", query=query, people=people, more=more,
                           roles=ROLE_NAMES)


@bp.route("/<int:user_id>")
@role_required("admin")
def user(user_id: int):
    return render_template("accounts/admin_user.html", user=_user_or_404(user_id),
                           **_user_page(user_id))


@bp.route("/<int:user_id>/role", methods=["POST"])
@role_required("admin")
def change_role(user_id: int):
    person = _user_or_404(user_id)
    try:
        administration.change_role(person, request.form.get("role", ""),
                                   request.form.get("reason", ""), current_user)
    except DomainError as error:
        return _refused(person, error)
    flash(_l("Role changed."), "success")
    return redirect(url_for("users_admin.user", user_id=user_id), 303)


@bp.route("/<int:user_id>/status", methods=["POST"])
@role_required("admin")
def change_status(user_id: int):
    person = _user_or_404(user_id)
    action = request.form.get("action")
    if action not in ("deactivate", "reactivate"):
        flash(_l("Choose whether to deactivate or reactivate the account."), "error")
        return render_template("accounts/admin_user.html", user=person, **_user_page(user_id)), 400
    try:
        administration.set_active(person, action == "reactivate", request.form.get("reason", ""),
                                  current_user)
    except DomainError as error:
        return _refused(person, error)
    flash(_l("Account reactivated.") if action == "reactivate"
          else _l("Account deactivated; the person is signed out everywhere."), "success")
    return redirect(url_for("users_admin.user", user_id=user_id), 303)


@bp.route("/<int:user_id>/reset-link", methods=["POST"])
@role_required("admin")
def issue_reset_link(user_id: int):
    """A one-time password link for the admin to hand over (people without email)."""
    person = _user_or_404(user_id)
    try:
        link, reset = resets.issue_handover_link(person, current_user, request.form.get("reason", ""))
    except DomainError as error:
        return _refused(person, error)
    return handover_page(person, link, reset, url_for("users_admin.user", user_id=user_id))


def handover_page(person: User, link: str, reset, back: str):
    response = make_response(render_template("accounts/reset_link_issued.html", person=person,
                                             link=link, reset=reset, back=back))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:user_id>/export", methods=["POST"])
@role_required("admin")
def export(user_id: int):
    """A download, answered to a POST: the export is audited, and GET never writes."""
    person = _user_or_404(user_id)
    try:
        data = privacy.export_personal_data(person, request.form.get("reason", ""), current_user)
    except DomainError as error:
        return _refused(person, error)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="personal-data-{user_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:user_id>/anonymise", methods=["GET", "POST"])
@role_required("admin")
def anonymise(user_id: int):
    person = _user_or_404(user_id)
    if request.method == "POST":
        try:
            privacy.anonymise(person, request.form.get("reason", ""),
                              request.form.get("confirmation", ""), current_user)
        except DomainError as error:
            transactions.rollback()
            flash(error.message, "error")
            return render_template("accounts/admin_anonymise.html", user=_user_or_404(user_id)), 400
        flash(_l("The account was anonymised."), "success")
        return redirect(url_for("users_admin.user", user_id=user_id), 303)
    return render_template("accounts/admin_anonymise.html", user=person)
