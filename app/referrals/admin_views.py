"""The admin tree view: search, navigate node by node, reassign mentors, anomaly flags."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from .. import transactions
from ..accounts.models import User
from ..accounts.services import parse_login_name
from ..authz import role_required
from ..certificates.models import Certificate
from ..domain_errors import DomainError
from ..extensions import db
from . import services
from .anomalies import flags_for
from .errors import referral_errors
from .models import TreeNode

bp = Blueprint("tree_admin", __name__, url_prefix="/admin/tree")


def _search(query: str) -> list[User]:
    query = query.strip()
    conditions = [User.display_name.ilike(f"%{query}%")]
    login = parse_login_name(query)
    if login:
        conditions.append((User.email if login.kind == "email" else User.phone) == login.value)
    code = services.normalize_code(query)
    if code:
        conditions.append(User.id.in_(select(TreeNode.user_id).where(TreeNode.invite_code == code)))
    return list(db.session.scalars(select(User).where(or_(*conditions)).order_by(User.id).limit(50)))


@bp.route("")
@role_required("admin")
def index():
    query = request.args.get("q", "")
    if query:
        people = _search(query)
    else:
        people = list(db.session.scalars(select(User).join(TreeNode, TreeNode.user_id == User.id)
                                         .where(TreeNode.mentor_id.is_(None)).order_by(User.id).limit(50)))
    return render_template("referrals/admin_tree.html", people=people, query=query)


@bp.route("/<int:user_id>")
@role_required("admin")
def node(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    tree_node = services.shown_node(user)
    page = max(1, request.args.get("page", 1, type=int))
    mentees = services.direct_mentees(user_id, page=page, per_page=50)
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([m.user_id for m in mentees] + [tree_node.mentor_id or 0]))).all())
    certificates = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.user_id == user_id, Certificate.revoked_at.is_(None)))
    chain = services.ancestors(tree_node)
    chain_names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([n.user_id for n in chain]))).all())
    return render_template("referrals/admin_node.html", user=user, node=tree_node, mentees=mentees,
                           names=names, certificates=certificates,
                           subtree=services.subtree_size(tree_node), chain=chain,
                           chain_names=chain_names, flags=flags_for(user_id), page=page,
                           changes=services.mentor_changes(user_id))


@bp.route("/<int:user_id>/mentor", methods=["POST"])
@role_required("admin")
def reassign(user_id: int):
    raw = request.form.get("mentor", "").strip()
    try:
        if raw.lower() in ("", "none", "无"):
            new_mentor = None
        else:
            target = services.find_by_code(raw) or (db.session.get(TreeNode, int(raw)) if raw.isdigit() else None)
            if target is None:
                raise referral_errors("unknown_user")
            new_mentor = target.user_id
        services.reassign_mentor(user_id, new_mentor, request.form.get("reason", ""), current_user)
    except DomainError as error:
        transactions.rollback()
        flash(error.message, "error")
        return node(user_id), error.status
    flash(_l("Mentor changed."), "success")
    return redirect(url_for("tree_admin.node", user_id=user_id), 303)


@bp.route("/<int:user_id>/reparent", methods=["POST"])
@role_required("admin")
def reparent(user_id: int):
    try:
        moved = services.reparent_mentees(user_id, request.form.get("reason", ""), current_user)
    except DomainError as error:
        flash(error.message, "error")
        return node(user_id), error.status
    flash(_l("%(num)s mentees moved to the next mentor up.", num=moved), "success")
    return redirect(url_for("tree_admin.node", user_id=user_id), 303)
