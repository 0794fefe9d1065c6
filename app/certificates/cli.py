"""`flask certificates ...`: verify a credential offline, revoke, re-issue."""
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from .credential import did_key, issuer_key, verify_signature
from .services import CertificateError, find_by_code, reissue, revoke


@click.group("certificates", help="Certificates and signed credentials.")
def certificates_cli():
    """Certificates and signed credentials."""


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify_command(file):
    """Check a credential FILE's signature and its status, without the network."""
    try:
        credential = json.loads(Path(file).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"not a JSON credential: {error}")
    if not isinstance(credential, dict):
        raise click.ClickException("not a JSON credential")
    result = verify_signature(credential)
    if not result.ok:
        raise click.ClickException(f"INVALID: {result.reason}")
    if result.issuer != did_key(issuer_key().public_key()):
        raise click.ClickException(f"INVALID: signed by {result.issuer}, not by this issuer")
    code = str(credential.get("id", "")).rstrip("/").split("/")[-1]
    certificate = find_by_code(code)
    if certificate is None:
        raise click.ClickException("INVALID: the signature is good but no such certificate exists")
    if certificate.revoked_at is not None:
        raise click.ClickException(f"REVOKED on {certificate.revoked_at:%Y-%m-%d}: "
                                   f"{certificate.revoked_reason}")
    click.echo(f"VALID: {certificate.learner_name}, issued {certificate.issued_at:%Y-%m-%d} "
               f"(signature checked, status checked)")


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
    except CertificateError as error:
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
    except CertificateError as error:
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
