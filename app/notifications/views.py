"""The learner's notifications."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from . import services

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_notifications():
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": services.unread_count(current_user.id)}
    return {"unread_notifications": 0}


@bp.route("/notifications")
@login_required
def index():
    return render_template("notifications/index.html",
                           notifications=services.recent(current_user.id))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"), 303)
