"""`flask statistics refresh`."""
import time

import click
from flask.cli import with_appcontext

from .services.refresh import refresh_statistics


def progress_lines():
    """Each refresh step as it starts, with the seconds since the refresh began."""
    started = time.perf_counter()
    return lambda label: click.echo(f"… {label} (at {time.perf_counter() - started:.0f} s)")


@click.group("statistics", help="Statistics for operators.")
def statistics_cli():
    """Statistics for operators."""


@statistics_cli.command("refresh")
@with_appcontext
def refresh_command():
    """Rebuild the statistics roll-ups from the raw tables (what celery beat runs)."""
    started = time.perf_counter()
    result = refresh_statistics(progress=progress_lines())
    click.echo(f"Refreshed: {result['cells']} daily cells, {result['teams']} big teams, "
               f"{result['snapshots']} snapshots "
               f"in {time.perf_counter() - started:.1f} s.")

