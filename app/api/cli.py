"""`flask api ...`: create, list and revoke shop API tokens."""
import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from .models import ApiToken
from .services import SCOPES, create_token, revoke_token


@click.group("api", help="Shop API tokens and the webhook signing secret.")
def api_cli():
    """Shop API tokens and the webhook signing secret."""


@api_cli.command("webhook-secret")
def webhook_secret_command():
    """Print a new webhook signing secret (whsec_…) for WEBHOOK_SECRET and the shop."""
    from .webhooks import new_secret

    click.echo(new_secret())


@api_cli.command("create-token")
@click.option("--name", required=True, help="Who uses it, e.g. 'shop'.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), required=True)
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None)
@with_appcontext
def create_command(name, scopes, expires_days):
    """Create a token; it is printed once and stored only as a hash."""
    token, plain = create_token(name, list(scopes), expires_in_days=expires_days)
    click.echo(f"Token for {name} ({', '.join(token.scopes)}), shown this once:\n{plain}")


@api_cli.command("tokens")
@with_appcontext
def list_command():
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.prefix}  {token.name:20} {','.join(token.scopes):35} {state}")


@api_cli.command("revoke-token")
@click.argument("prefix")
@with_appcontext
def revoke_command(prefix):
    count = revoke_token(prefix)
    if not count:
        raise click.ClickException("no active token with that prefix")
    click.echo(f"Revoked {count} token(s).")
