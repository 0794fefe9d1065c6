"""The training ledger page and its CSV export (admins only)."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import transactions
from ..authz import role_required
from ..domain_errors import DomainError
from ..i18n import current_language
from . import services

bp = Blueprint("ledger", __name__)

KIND_NAMES = {"lesson": _l("Lesson read"), "quiz": _l("Quiz attempt"),
              "certificate_issued": _l("Certificate issued"),
              "certificate_revoked": _l("Certificate revoked"),
              "assignment_review": _l("Assignment reviewed"),
              "roleplay": _l("Role-play finished")}


def _page_size() -> int:
    size = request.args.get("size", services.PAGE_SIZE, type=int)
    return max(1, min(size or services.PAGE_SIZE, services.MAX_PAGE_SIZE))


def _render(form, entries=(), next_cursor=None, error=None, status=200):
    titles = services.Titles(current_language())
    args = request.args.to_dict(flat=False)
    args.pop("after", None)
    next_url = url_for("ledger.index", **args, after=next_cursor.encode()) if next_cursor else None
    return render_template("ledger/index.html", form=form, entries=entries, titles=titles,
                           kinds=KIND_NAMES, error=error, courses=services.courses(),
                           tiers=services.tier_names(), first_page=not request.args.get("after"),
                           first_url=url_for("ledger.index", **args), next_url=next_url), status


@bp.route("/admin/ledger")
@role_required("admin")
def index():
    try:
        filters, form = services.parse_filters(request.args)
        cursor = services.Cursor.decode(request.args["after"]) if request.args.get("after") else None
    except DomainError as error:
        return _render(services.FilterForm(), error=error.message, status=error.status)
    entries, next_cursor = services.ledger_page(filters, cursor, _page_size())
    return _render(form, entries, next_cursor)


def _export_row(entry, titles, words: dict, zone) -> list:
    local = entry.at.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None) \
        .isoformat(sep=" ", timespec="seconds")
    outcome = "" if entry.passed is None else words[entry.passed]
    return [local, words[entry.kind], entry.user_id, entry.name,
            titles.course_slugs.get(entry.course_id, ""), titles.courses.get(entry.course_id, ""),
            titles.item(entry), entry.number if entry.number is not None else "",
            _number(entry.score), _number(entry.max_score), _number(entry.percent), outcome,
            entry.code or ""]


def _number(value) -> str:
    return "" if value is None else format(value, "g")


@bp.route("/admin/ledger.csv")
@role_required("admin")
def export():
    try:
        filters, _form = services.parse_filters(request.args)
    except DomainError as error:
        return Response(error.message + "\n", status=error.status, mimetype="text/plain")
    # Words in the user's language are looked up before streaming: while the body streams,
    # the language selector no longer sees the signed-in user.
    titles = services.Titles(current_language())
    zone = get_timezone()
    header = [_("Time (%(zone)s)", zone=str(zone)), _("Event"), _("User number"),
              _("Name"), _("Course code"), _("Course"), _("Lesson, quiz, role-play or certificate"),
              _("Attempt / play / certificate no."), _("Score"), _("Maximum score"), _("Percent"),
              _("Result"), _("Certificate code")]

    words = {True: _("passed"), False: _("not passed"),
             **{kind: str(name) for kind, name in KIND_NAMES.items()}}

    def rows():
        try:
            for entry in services.stream_entries(filters):
                yield _export_row(entry, titles, words, zone)
        finally:
            # A GET holds only a read transaction (plain BEGIN); end it as soon as we are done.
            transactions.rollback()

    response = Response(stream_with_context(services.csv_lines(header, rows())),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="training-ledger.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response

