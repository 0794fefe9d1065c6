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
               f"parked {state['parked']}, oldest {state['oldest_seconds']} s")


@outbox_cli.command("parked")
def parked_command():
    """Rows given up on (unknown task, or too many failures), with their last error."""
    rows = services.parked()
    for row in rows:
        click.echo(f"{row.id}  {services.key_of(row.task, row.args)}  attempts {row.attempts}  "
                   f"{row.last_error or ''}")
    click.echo(f"{len(rows)} parked row(s)")


# Row ids are database integers: anything outside is refused by click, not by the database.
ROW_ID = click.IntRange(1, 2**63 - 1)


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=ROW_ID)
@click.option("--all", "everything", is_flag=True, help="Every parked row.")
def retry_command(ids, everything):
    """Put parked rows back in line (after fixing what made them fail)."""
    if not ids and not everything:
        raise click.UsageError("name the row ids, or --all")
    if ids and everything:
        raise click.UsageError("name the row ids or give --all, not both")
    click.echo(f"{services.retry(None if everything else list(ids))} row(s) back in line")


@outbox_cli.command("discard")
@click.argument("ids", nargs=-1, type=ROW_ID, required=True)
def discard_command(ids):
    """Delete parked rows: their side effect is abandoned."""
    click.echo(f"{services.discard(list(ids))} parked row(s) discarded")


@outbox_cli.command("prune")
@click.option("--days", default=30, show_default=True, help="Keep rows sent within this many days.")
def prune_command(days: int):
    """Delete rows that were sent long ago."""
    click.echo(f"removed {services.prune(days)} sent row(s)")
