"""Public verification, the learner's certificates, PDF/poster/credential, admin revocation."""
from __future__ import annotations

import hashlib

from flask import (Blueprint, Response, abort, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..authz import role_required
from ..extensions import limiter
from ..urls import public_url
from . import services

bp = Blueprint("certificates", __name__)
VERIFY_LIMIT = "60 per minute"
RENDER_VERSION = "1"  # bump when the PDF or poster layout changes (invalidates ETags)


def verification_url(code: str) -> str:
    return public_url("certificates.verify", code=code)


def _certificate_or_404(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        # The same body for every unknown code: nothing to learn by guessing.
        abort(404)
    return certificate


def _etag(certificate, kind: str) -> str:
    state = f"{kind}:{RENDER_VERSION}:{certificate.code}:{certificate.revoked_at}:{certificate.learner_name}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def _cached(certificate, kind: str, mimetype: str, render, filename: str | None = None):
    etag = _etag(certificate, kind)
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(render(), mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300, must-revalidate"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    certificate = _certificate_or_404(code)
    return render_template("certificates/verify.html", certificate=certificate,
                           url=verification_url(code))


@bp.route("/verify/<code>.json")
@limiter.limit(VERIFY_LIMIT)
def credential(code: str):
    from .credential import signed_credential

    certificate = _certificate_or_404(code)
    response = jsonify(signed_credential(certificate, verification_url(code)))
    response.mimetype = "application/json"  # jsonify's default; ld+json when asked below
    if "application/ld+json" in request.headers.get("Accept", ""):
        response.mimetype = "application/ld+json"
    return response


@bp.route("/verify/<code>.pdf")
@limiter.limit(VERIFY_LIMIT)
def pdf(code: str):
    from .pdf import render_certificate_pdf

    certificate = _certificate_or_404(code)
    return _cached(certificate, "pdf", "application/pdf",
                   lambda: render_certificate_pdf(certificate, verification_url(code)),
                   filename=f"certificate-{code}.pdf")


@bp.route("/verify/<code>.png")
@limiter.limit(VERIFY_LIMIT)
def poster(code: str):
    from .poster import render_poster_png

    certificate = _certificate_or_404(code)
    return _cached(certificate, "png", "image/png",
                   lambda: render_poster_png(certificate, verification_url(code)))


@bp.route("/certificates")
@login_required
def mine():
    from ..learning.services import visible_courses
    from ..referrals.next_step import next_step  # referrals sit above certificates

    return _varies_by_browser(render_template(
        "certificates/mine.html", certificates=services.certificates_of(current_user.id),
        slugs={course.id: course.slug for course in visible_courses()},
        step=next_step(current_user)))


@bp.route("/certificates/course/<slug>")
@login_required
def course(slug: str):
    """The learner's own certificate of a course, and what comes next: the page a finished
    course leads to (also while the certificate is still on its way)."""
    from ..learning.services import find_course
    from ..referrals.next_step import course_end  # referrals sit above certificates

    found = find_course(slug) or abort(404)
    return _varies_by_browser(render_template(
        "certificates/course.html", end=course_end(current_user, found),
        # Only a link back to the result page (which checks whose attempt it is).
        attempt_id=request.args.get("attempt", type=int)))


def _varies_by_browser(page: str) -> Response:
    # WeChat's in-app browser gets the image-and-hint version of the page.
    response = Response(page, mimetype="text/html")
    response.vary.add("User-Agent")
    return response


REVOKE_ERRORS = {
    "reason_required": _l("Please give the reason for revoking."),
    "already_revoked": _l("This certificate is already revoked."),
    "not_revoked": _l("Only the latest certificate, once revoked, can be re-issued."),
}


@bp.route("/admin/certificates/<code>", methods=["GET", "POST"])
@role_required("admin")
def manage(code: str):
    certificate = _certificate_or_404(code)
    if request.method == "POST":
        try:
            if request.form.get("action") == "revoke":
                services.revoke(certificate, request.form.get("reason", ""), current_user)
                flash(_l("The certificate is revoked."), "success")
            elif request.form.get("action") == "reissue":
                fresh = services.reissue(certificate)
                flash(_l("A new certificate was issued."), "success")
                return redirect(url_for("certificates.manage", code=fresh.code), 303)
            else:
                abort(400)
        except services.CertificateError as error:
            flash(REVOKE_ERRORS[error.code], "error")
            return render_template("certificates/manage.html", certificate=certificate), 400
        return redirect(url_for("certificates.manage", code=code), 303)
    return render_template("certificates/manage.html", certificate=certificate)
