"""`flask demo generate`: demonstration data, then the statistics roll-ups refreshed."""
import time

import click
from flask.cli import with_appcontext

from ..statistics.services.refresh import refresh_statistics
from ..statistics.cli import progress_lines
from . import generate as demo


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
        result = refresh_statistics(progress=progress_lines())
        click.echo(f"Statistics refreshed in {time.perf_counter() - started:.1f} s "
                   f"({result['cells']} daily cells).")
