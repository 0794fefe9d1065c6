"""The webhook delivery log for admins."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask import flash

from ..authz import role_required
from . import webhooks

bp = Blueprint("webhooks_admin", __name__, url_prefix="/admin/webhooks")


@bp.route("")
@role_required("admin")
def index():
    return render_template("api/webhooks.html", deliveries=webhooks.recent())


@bp.route("/<delivery_id>/retry", methods=["POST"])
@role_required("admin")
def retry(delivery_id: str):
    if not webhooks.send_again(delivery_id[:36]):
        abort(404)
    flash(_l("Sent again."), "success")
    return redirect(url_for("webhooks_admin.index"), 303)
