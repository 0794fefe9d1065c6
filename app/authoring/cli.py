"""`flask courses ...`: load the curriculum from course folders."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .curriculum import CurriculumError
from .services import import_curriculum


@click.group("courses", help="Import course folders (see docs/course-format.md).")
def courses_cli():
    """Import course folders (see docs/course-format.md)."""


@courses_cli.command("import")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_appcontext
def import_command(path):
    """Import course folders from PATH (default: the shipped courses/)."""
    path = path or current_app.config["COURSES_PATH"]
    try:
        counts = import_curriculum(path)
    except CurriculumError as error:
        for problem in error.errors:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"import refused: {len(error.errors)} problem(s); the database was not changed"
        )
    summary = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
    click.echo(f"Imported {path} ({summary}).")
