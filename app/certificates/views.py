"""Public verification, the learner's certificates, PDF/poster/credential, admin revocation."""
from __future__ import annotations

import hashlib
import json

from flask import (Blueprint, Response, abort, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..authz import role_required
from ..database import read_only
from ..domain_errors import DomainError
from ..extensions import limiter
from ..urls import public_url
from . import hooks, services

bp = Blueprint("certificates", __name__)
VERIFY_LIMIT = "60 per minute"
RENDER_VERSION = "1"  # bump when the PDF or poster layout changes (invalidates ETags)


@bp.app_template_filter("certificate_code")
def certificate_code(code: str) -> str:
    return services.grouped(code)


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


# A credential in JSON-LD: VC 2.0 registers application/vc; clients asking for the older
# names (Open Badges 3.0 cites application/vc+ld+json) or plain JSON get what they asked for.
CREDENTIAL_TYPES = ("application/vc", "application/vc+ld+json", "application/ld+json",
                    "application/json")


def _json_asked() -> str | None:
    """The JSON type the client prefers over HTML, if any (a browser's */* means HTML)."""
    best = request.accept_mimetypes.best_match(["text/html", *CREDENTIAL_TYPES])
    return best if best in CREDENTIAL_TYPES else None


def _json_ld(document: dict, media_type: str | None, max_age: int = 300, etag: str | None = None):
    response = Response(json.dumps(document, ensure_ascii=False, indent=2),
                        mimetype=media_type or CREDENTIAL_TYPES[0])
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages
    if etag:
        response.set_etag(etag)
        response.make_conditional(request)
    return response


def _not_found(kind: str):
    """The same answer for every unknown code, in the type the link asked for."""
    if kind == "json":
        return jsonify(error="not_found", message="No certificate has this code. · 没有这个编号的证书。"), 404
    if kind == "pdf":
        from .pdf import not_found_pdf
        return Response(not_found_pdf(), status=404, mimetype="application/pdf")
    if kind == "png":
        from .poster import not_found_png
        return Response(not_found_png(), status=404, mimetype="image/png")
    abort(404)


def _signed(certificate) -> dict:
    from .credential import signed_credential

    return signed_credential(certificate, verification_url(certificate.code))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT, methods=["POST"])
@read_only
def check_page():
    """Anyone checks a certificate: its code, or the credential file the holder gave them.
    The same checks as `flask certificates verify`."""
    from .forms import VerifyForm
    from .verification import check

    form = VerifyForm()
    report, problem = None, None
    if request.method == "POST":
        if not form.validate_on_submit():
            problem = next(iter(form.errors.values()))[0] if form.errors else None
        elif (form.code.data or "").strip():
            certificate = services.find_by_code(form.code.data.strip())
            if certificate is None:
                problem = _l("No certificate has this code. Check each character (codes have no 0, O, 1, I or L).")
            else:
                return redirect(url_for("certificates.verify", code=certificate.code), 303)
        else:
            document, problem = _credential_from(form)
            if document is not None:
                report = check(document)
        if problem is not None or report is None:
            return render_template("certificates/check.html", form=form,
                                   problem=problem or _l("Type a certificate code, or paste or choose a credential file."),
                                   report=None), 400
    return render_template("certificates/check.html", form=form, report=report, problem=None)


def _credential_from(form):
    """The JSON object the person pasted or uploaded, or (None, what is wrong with it)."""
    from .forms import MAX_CREDENTIAL_BYTES

    raw = form.credential.data or ""
    upload = form.upload.data
    if not raw.strip() and upload:
        data = upload.read(MAX_CREDENTIAL_BYTES + 1)
        if len(data) > MAX_CREDENTIAL_BYTES:
            return None, _l("This file is too large to be a credential (at most 64 KB).")
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, _l("This file is not a credential: it is not JSON text.")
    if not raw.strip():
        return None, None
    from .verification import StrictJSONError, load_credential_json

    try:
        document = load_credential_json(raw)
    except StrictJSONError:
        return None, _l("This is not a credential: a name appears twice in one object (or a "
                        "number is not JSON), so programs would read it differently.")
    except (ValueError, RecursionError):
        return None, _l("This is not a credential: it is not valid JSON. Paste the whole file, from { to }.")
    if not isinstance(document, dict):
        return None, _l("This is not a credential: a credential is one JSON object.")
    return document, None


@bp.route("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    from .verification import check

    certificate = services.find_by_code(code)
    media_type = _json_asked()
    if certificate is None:  # negotiated like a found one: a cache must keep them apart
        if media_type:
            response, _status = _not_found("json")
            response.status_code = 404
        else:
            from ..errors import render_error

            response = Response(*render_error(404))
        response.vary.add("Accept")
        return response
    if certificate.code != code:  # a typed variant of the code: its one address
        return redirect(url_for("certificates.verify", code=certificate.code), 301)
    credential = _signed(certificate)
    if media_type:
        return _json_ld(credential, media_type)
    response = _varies_by_browser(render_template(
        "certificates/verify.html", certificate=certificate, url=verification_url(code),
        report=check(credential)))
    response.vary.add("Accept")
    return response


@bp.route("/verify/<code>.json")
@limiter.limit(VERIFY_LIMIT)
def credential(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        return _not_found("json")
    if certificate.code != code:  # typed with small letters or dashes: its one address
        return redirect(url_for("certificates.credential", code=certificate.code), 301)
    response = _json_ld(_signed(certificate), _json_asked())
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{code}.json"'
    return response


@bp.route("/verify/<code>.pdf")
@limiter.limit(VERIFY_LIMIT)
def pdf(code: str):
    from .pdf import render_certificate_pdf

    certificate = services.find_by_code(code)
    if certificate is None:
        return _not_found("pdf")
    if certificate.code != code:  # typed with small letters or dashes: its one address
        return redirect(url_for("certificates.pdf", code=certificate.code), 301)
    return _cached(certificate, "pdf", "application/pdf",
                   lambda: render_certificate_pdf(certificate, verification_url(code)),
                   filename=f"certificate-{code}.pdf")


@bp.route("/verify/<code>.png")
@limiter.limit(VERIFY_LIMIT)
def poster(code: str):
    from .poster import render_poster_png

    certificate = services.find_by_code(code)
    if certificate is None:
        return _not_found("png")
    if certificate.code != code:  # typed with small letters or dashes: its one address
        return redirect(url_for("certificates.poster", code=certificate.code), 301)
    return _cached(certificate, "png", "image/png",
                   lambda: render_poster_png(certificate, verification_url(code)))


@bp.route("/status/<int:number>")
@limiter.limit(VERIFY_LIMIT)
def status_list(number: int):
    """The signed BitstringStatusListCredential: what every verifier fetches to learn whether
    a certificate was revoked. Cached five minutes; a revocation re-signs it at once."""
    from . import status

    published = status.published(number) if 0 < number < 2**31 else None
    if published is None:
        return _not_found("json")
    credential, revision = published
    return _json_ld(credential, _json_asked(), etag=f"status-{number}-{revision}")


@bp.route("/achievements/<int:course_id>")
@bp.route("/achievements/<int:course_id>.json", endpoint="achievement_json")
@limiter.limit(VERIFY_LIMIT)
def achievement(course_id: int):
    """What a course's certificate attests, public: JSON-LD for verifiers, a page for people."""
    from .credential import OB_CONTEXT, VC_CONTEXT, achievement as achievement_of

    course = services.certifying_course(course_id)
    wants_json = request.endpoint == "certificates.achievement_json" or _json_asked()
    if course is None:
        return _not_found("json" if wants_json else "html")
    document = {"@context": [VC_CONTEXT, OB_CONTEXT],
                **achievement_of(course.id, course.title)}
    if wants_json:
        return _json_ld(document, _json_asked())
    response = Response(render_template("certificates/achievement.html", course=course,
                                        achievement=document))
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/issuer")
@bp.route("/issuer.json", endpoint="issuer_json")
def issuer():
    """The issuer's public profile: who signs the certificates, and with which key."""
    from .credential import OB_CONTEXT, VC_CONTEXT, did_key, issuer_key, issuer_profile

    did = did_key(issuer_key().public_key())
    document = {"@context": [VC_CONTEXT, OB_CONTEXT], **issuer_profile(did)}
    if request.endpoint == "certificates.issuer_json" or _json_asked():
        return _json_ld(document, _json_asked())
    response = Response(render_template("certificates/issuer.html", profile=document))
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/certificates")
@login_required
def mine():
    from ..learning.services import visible_courses

    return _varies_by_browser(render_template(
        "certificates/mine.html", certificates=services.certificates_of(current_user.id),
        slugs={course.id: course.slug for course in visible_courses()},
        step=hooks.next_step(current_user)))  # referrals sit above certificates and answer


@bp.route("/certificates/course/<slug>")
@login_required
def course(slug: str):
    """The learner's own certificate of a course, and what comes next: the page a finished
    course leads to (also while the certificate is still on its way)."""
    from ..learning.services import find_course

    found = find_course(slug) or abort(404)
    return _varies_by_browser(render_template(
        "certificates/course.html", end=hooks.course_end(current_user, found),  # referrals
        # Only a link back to the result page (which checks whose attempt it is).
        attempt_id=request.args.get("attempt", type=int)))


def _varies_by_browser(page: str) -> Response:
    # WeChat's in-app browser gets the image-and-hint version of the page.
    response = Response(page, mimetype="text/html")
    response.vary.add("User-Agent")
    return response


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
        except DomainError as error:
            flash(error.message, "error")
            return render_template("certificates/manage.html", certificate=certificate), error.status
        return redirect(url_for("certificates.manage", code=code), 303)
    return render_template("certificates/manage.html", certificate=certificate)
