"""`flask users ...`: create accounts from the command line."""
import click
from flask.cli import with_appcontext

from .models import Role
from ..domain_errors import DomainError
from .services import create_account


@click.group("users", help="Manage user accounts.")
def users_cli():
    """Manage user accounts."""


@users_cli.command("create")
@click.option("--login", "login", prompt="Phone number or email", help="Phone number or email.")
@click.option("--name", prompt="Display name", help="Name shown in the portal.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="learner",
              show_default=True)
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.password_option(help="Password (prompted when omitted).")
@with_appcontext
def create_user(login, name, role, language, password):
    """Create a user account."""
    try:
        user = create_account(login, name, password, language, role)  # placed in the tree
    except DomainError as error:
        from flask_babel import force_locale

        # The same sentences the forms show (the accounts error catalog), in English here.

        with force_locale("en"):
            raise click.ClickException(f"Cannot create the account: {error.message}")
    click.echo(f"Created {role} {user.login_name} (id {user.id}).")
