"""`flask assignments remind`: what beat's reminder task does, for cron or by hand."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .assignments import remind_waiting


@click.group("assignments", help="Assignments handed in and their reviews.")
def assignments_cli():
    """Assignments handed in and their reviews."""


@assignments_cli.command("remind")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Remind after this many days (default: REVIEW_REMINDER_DAYS).")
@with_appcontext
def remind_command(days):
    """Remind reviewers of work waiting longer than N days (once per period of N days)."""
    days = days or current_app.config["REVIEW_REMINDER_DAYS"]
    sent = remind_waiting(days)
    click.echo(f"Reminded reviewers of {sent} waiting hand-ins (waiting over {days} days).")
