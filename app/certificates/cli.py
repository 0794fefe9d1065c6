"""`flask certificates ...`: verify a credential offline, revoke, re-issue."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..domain_errors import DomainError
from .services import find_by_code, reissue, revoke


@click.group("certificates", help="Certificates and signed credentials.")
def certificates_cli():
    """Certificates and signed credentials."""


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify_command(file):
    """Check a credential FILE: signature, issuer key, status list, dates, register (no
    network: the same checks as the public /verify page)."""
    from flask_babel import force_locale

    from .verification import check, load_credential_json

    try:
        credential = load_credential_json(Path(file).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise click.ClickException(f"not a JSON credential: {error}")
    if not isinstance(credential, dict):
        raise click.ClickException("not a JSON credential")
    with force_locale("en"):
        report = check(credential)
        for item in report.checks:
            mark = {True: "ok  ", False: "FAIL", None: "--  "}[item.ok]
            click.echo(f"{mark} {item.label}: {item.message}")
        if report.verdict == "revoked":
            raise click.ClickException(f"REVOKED: {report.first_problem.message}")
        if report.verdict != "valid":
            raise click.ClickException(f"INVALID: {report.first_problem.message}")
    certificate = report.certificate
    click.echo(f"VALID: {certificate.learner_name}, issued {certificate.issued_at:%Y-%m-%d} "
               f"(signature, issuer key, status list, dates and register checked)")


@certificates_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept in the record, shown to the learner).")
@with_appcontext
def revoke_command(code, reason):
    certificate = find_by_code(code)
    if certificate is None:
        raise click.ClickException("no certificate with that code")
    try:
        revoke(certificate, reason, None)
    except DomainError as error:
        raise click.ClickException(error.code.replace("_", " "))
    click.echo(f"Revoked {code}.")


@certificates_cli.command("reissue")
@click.argument("code")
@with_appcontext
def reissue_command(code):
    certificate = find_by_code(code)
    if certificate is None:
        raise click.ClickException("no certificate with that code")
    try:
        fresh = reissue(certificate)
    except DomainError as error:
        raise click.ClickException(error.code.replace("_", " "))
    click.echo(f"Issued {fresh.code} (generation {fresh.generation}).")


@certificates_cli.command("backfill")
@click.option("--min-age", default=60, show_default=True,
              help="Leave completions younger than this many seconds to the relay.")
@with_appcontext
def backfill_command(min_age):
    """Issue the certificates that completions are owed and nothing is on its way for."""
    from .services import backfill

    repaired = backfill(min_age_seconds=min_age)
    for user_id, course_id in repaired:
        click.echo(f"repaired: user {user_id}, course {course_id}: certificate to issue written "
                   "and started")
    click.echo(f"{len(repaired)} missing certificate(s) repaired")
