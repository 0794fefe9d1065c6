"""/api/v1: a learner's tier, earning terms and certificates for the shop."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select, update

from ..accounts.models import Role, User
from ..certificates.models import Certificate
from ..clock import utcnow
from ..database import write_aside
from ..extensions import csrf, db, limiter
from ..referrals import tiers
from ..referrals.services import shown_node
from .openapi import openapi_document
from ..urls import public_url
from .models import ApiToken
from .services import check_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database (PostgreSQL refuses bigger ones)
csrf.exempt(bp)  # tokens, not cookies: nothing here rides on a browser session


def _error(status: int, error: str, message: str):
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


def requires(scope: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = check_token(request.headers.get("Authorization"))
            if token is None:  # missing, unknown, revoked and expired look the same
                response = _error(401, "unauthorized", "A valid API token is required.")
                response.headers["WWW-Authenticate"] = 'Bearer realm="smallb"'
                return response
            if scope not in token.scopes:
                return _error(403, "forbidden", "This token may not read this.")
            _record_use(token)
            g.api_token = token
            return view(*args, **kwargs)
        return wrapper
    return decorate


TOKEN_USE_EVERY = timedelta(minutes=5)


def _record_use(token) -> None:
    """last_used_at, at most every few minutes and aside from the request's transaction:
    an API GET writes nothing of its own (every call committing it made 426 of 997 calls
    fail with "database is locked" on SQLite while another process wrote)."""
    at = utcnow()
    if token.last_used_at is not None and at - token.last_used_at < TOKEN_USE_EVERY:
        return
    write_aside(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=at))


@bp.after_request
def _json_headers(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _tier_body(user: User) -> dict:
    rules = tiers.current_rules()
    node = shown_node(user)
    tier = rules.tier(node.tier)
    return {"user_id": user.id, "external_id": user.external_id,
            "tier": {"key": tier.key, "rank": tier.rank, "name": tier.name},
            "earning_terms": {"commission": tier.benefits.get("commission", {}),
                              "terms": tier.benefits.get("terms", {}),
                              "unlocks_courses": list(tier.unlocks_courses)},
            "rules_version": rules.digest}


def _learner_or_404(user: User | None):
    """Only learners have tiers and earn terms in the shop: a trainer's or an admin's id
    is not a learner's, so it gets a 404 that says so, never a made-up trainee tier."""
    if user is None:
        return None, _error(404, "not_found", "No such learner.")
    if user.role != Role.LEARNER:
        return None, _error(404, "not_a_learner",
                            "This account is staff (a trainer or an admin), not a learner: "
                            "it has no tier and no earning terms.")
    return user, None


@bp.route("/learners/<int:user_id>/tier")
@limiter.limit("600 per minute")
@requires("tiers:read")
def tier_by_id(user_id: int):
    user, missing = _learner_or_404(db.session.get(User, user_id) if user_id <= MAX_ID else None)
    return missing or jsonify(_tier_body(user))


@bp.route("/learners/by-external-id/<external_id>/tier")
@limiter.limit("600 per minute")
@requires("tiers:read")
def tier_by_external_id(external_id: str):
    user = db.session.execute(select(User).where(User.external_id == external_id[:64])).scalar_one_or_none()
    user, missing = _learner_or_404(user)
    return missing or jsonify(_tier_body(user))


@bp.route("/learners/<int:user_id>/certificates")
@limiter.limit("600 per minute")
@requires("certificates:read")
def certificates(user_id: int):
    user, missing = _learner_or_404(db.session.get(User, user_id) if user_id <= MAX_ID else None)
    if missing:
        return missing
    rows = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                              .order_by(Certificate.issued_at))
    return jsonify(user_id=user.id, certificates=[{
        "code": c.code, "course_id": c.course_id, "course_title": c.course_title,
        "issued_at": c.issued_at.replace(microsecond=0).isoformat() + "Z",
        "status": "valid" if c.valid else "revoked",
        "revoked_at": c.revoked_at.replace(microsecond=0).isoformat() + "Z" if c.revoked_at else None,
        "verify_url": public_url("certificates.verify", code=c.code)} for c in rows])


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.errorhandler(404)
def _not_found(_error_):
    return _error(404, "not_found", "No such resource.")


@bp.errorhandler(405)
def _not_allowed(error):
    response = _error(405, "method_not_allowed", "Method not allowed.")
    response.headers["Allow"] = ", ".join(sorted(error.valid_methods or []))  # RFC 9110
    return response
