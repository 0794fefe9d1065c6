"""The learner's "My tier" page."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from . import tiers
from .next_step import next_step

bp = Blueprint("tiers", __name__)


@bp.route("/tier")
@login_required
def mine():
    return render_template("referrals/tier.html", **tiers.tier_summary(current_user),
                           step=next_step(current_user))
