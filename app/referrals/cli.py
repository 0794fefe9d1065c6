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
    for warning in rules_warnings(rules):
        click.echo(f"{file}: warning: {warning}", err=True)
    click.echo(f"OK: {', '.join(t.key for t in rules.tiers)} (sha256 {rules.digest[:12]})")


def rules_warnings(rules) -> list[str]:
    """What a valid rules file would do wrong with this database: courses nobody can earn
    (not imported, or renamed), and people holding a tier the file no longer has (they would
    be shown at the lowest tier until `flask tiers recompute`)."""
    from flask import has_app_context
    from flask.cli import ScriptInfo
    from sqlalchemy.exc import SQLAlchemyError

    from ..learning.models import Course

    if not has_app_context():  # the portal's database, where its settings can be loaded
        try:
            app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        except Exception:  # noqa: BLE001 (no settings here: the file alone was checked)
            return []
        with app.app_context():
            return rules_warnings(rules)
    try:
        known = set(db.session.scalars(select(Course.slug)))
        held = dict(db.session.execute(select(TreeNode.tier, func.count()).group_by(TreeNode.tier)).all())
    except SQLAlchemyError:  # no database here: the file alone was checked
        db.session.rollback()
        return []
    warnings = [f"tier '{tier.key}' needs a certificate of '{slug}', a course this portal does "
                "not have (learners would see a requirement nobody can meet)"
                for tier in rules.tiers for slug in tier.certificates if slug not in known]
    keys = {tier.key for tier in rules.tiers}
    warnings += [f"{count} people hold tier '{key}', which this file does not have: keep the key, "
                 "or run `flask tiers recompute` right after putting the file in force"
                 for key, count in sorted(held.items()) if key not in keys]
    return warnings


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
