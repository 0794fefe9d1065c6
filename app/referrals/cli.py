"""`flask tiers ...`: check a rules file, recompute everyone's tier."""
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..extensions import db
from . import tiers
from .models import TreeNode
from .rules import RulesError, parse_rules


@click.group("tiers", help="Earning tiers.")
def tiers_cli():
    """Earning tiers."""


@tiers_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def check_command(file):
    """Check a tier rules FILE (YAML) without putting it in force."""
    try:
        rules = parse_rules(Path(file).read_text(encoding="utf-8"))
    except RulesError as error:
        for problem in error.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise click.ClickException("rules refused")
    click.echo(f"OK: {', '.join(t.key for t in rules.tiers)} (sha256 {rules.digest[:12]})")


@tiers_cli.command("recompute")
@click.option("--batch-size", default=5000, show_default=True)
@with_appcontext
def recompute_command(batch_size):
    """Re-evaluate every user's tier under the rules in force (after a rules change)."""
    tiers.reset_cache()
    rules, version = tiers.active_rules()
    total = db.session.scalar(select(func.count()).select_from(TreeNode)) or 0
    with click.progressbar(length=total, label="Recomputing tiers") as bar:
        changes = tiers.recompute_all(batch_size, progress=bar.update)
    click.echo(f"{total} people evaluated, {changes} tier changes "
               f"(rules {version.digest[:12]}).")
