"""`flask statistics refresh` and `flask demo generate`."""
import time

import click
from flask.cli import with_appcontext

from . import services


def _progress():
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
    result = services.refresh_statistics(progress=_progress())
    click.echo(f"Refreshed: {result['cells']} daily cells, {result['teams']} big teams, "
               f"{result['snapshots']} snapshots "
               f"in {time.perf_counter() - started:.1f} s.")


@click.group("demo", help="Demonstration data.")
def demo_cli():
    """Demonstration data."""


@demo_cli.command("generate")
@click.option("--learners", type=click.IntRange(1, 20_000_000), default=1000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=click.IntRange(7, 730), default=180, show_default=True,
              help="How far back sign-ups go.")
@click.option("--force", is_flag=True, help="Run even though the database has real learners.")
@click.option("--no-refresh", is_flag=True, help="Skip `flask statistics refresh` at the end.")
@with_appcontext
def generate_command(learners, seed, days, force, no_refresh):
    """Create LEARNERS demo learners with a mentor tree, progress, attempts and certificates."""
    from . import demo

    try:
        demo.check_database(force)
    except demo.DemoError as error:
        raise click.ClickException(str(error)) from None
    started = time.perf_counter()
    with click.progressbar(length=learners, label="Generating learners") as bar:
        counts = demo.generate(learners, seed=seed, days=days, progress=bar.update)
    click.echo(f"Created in {time.perf_counter() - started:.1f} s: "
               + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    if not no_refresh:
        started = time.perf_counter()
        result = services.refresh_statistics(progress=_progress())
        click.echo(f"Statistics refreshed in {time.perf_counter() - started:.1f} s "
                   f"({result['cells']} daily cells).")
