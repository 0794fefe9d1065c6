"""`flask outbox drain|status|prune`: the relay by hand, and what it still has to do."""
import click
from flask.cli import AppGroup

from . import services

outbox_cli = AppGroup("outbox", help="Side effects waiting to start (certificates, tiers, webhooks).")


@outbox_cli.command("drain")
def drain_command():
    """Start every due row now (publish to the broker, or run in place without one)."""
    report = services.drain()
    for label in report.started:
        click.echo(f"started {label}")
    for label in report.failed:
        click.echo(f"failed  {label} (kept; tried again later)", err=True)
    click.echo(f"{len(report.started)} started, {len(report.failed)} failed")
    if report.failed:
        raise SystemExit(1)


@outbox_cli.command("status")
def status_command():
    """How many rows are due, how old the oldest is, how many keep failing."""
    state = services.status()
    click.echo(f"pending {state['pending']}, failing {state['failing']}, "
               f"oldest {state['oldest_seconds']} s")


@outbox_cli.command("prune")
@click.option("--days", default=30, show_default=True, help="Keep rows sent within this many days.")
def prune_command(days: int):
    """Delete rows that were sent long ago."""
    click.echo(f"removed {services.prune(days)} sent row(s)")
