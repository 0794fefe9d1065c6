"""`flask courses ...`: import, check and export course folders (docs/course-format.md)."""
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .curriculum import CurriculumError, read_curriculum
from .services import import_curriculum


@click.group("courses", help="Import, check and export course folders (see docs/course-format.md).")
def courses_cli():
    """Import, check and export course folders (see docs/course-format.md)."""


@courses_cli.command("import")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_appcontext
def import_command(path):
    """Import course folders from PATH (default: COURSES_PATH, else the shipped courses/)."""
    if not path:
        from ..config import courses_path_problem

        path = current_app.config["COURSES_PATH"]
        if problem := courses_path_problem(path):
            raise click.ClickException(f"{problem}; or name the folder: flask courses import PATH")
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


@courses_cli.command("render")
@with_appcontext
def render_command():
    """Render every published course again (after an upgrade of the lesson sanitiser)."""
    from collections import Counter

    from .services import rerender_published

    counter: Counter = Counter()
    try:
        rerender_published(counter)
    except CurriculumError as error:
        for problem in error.errors:
            click.echo(str(problem), err=True)
        raise click.ClickException("render refused: the database was not changed")
    click.echo(f"Rendered {counter['courses rendered']} course(s) "
               f"({counter['lesson texts changed']} lesson texts changed).")


@courses_cli.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Fail on warnings too (untranslated lessons...).")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the messages (the file:line: form stays).")
def check_command(path, strict, language):
    """Lint course folders like a compiler: file:line: message; exit 1 on errors.

    Needs no database, so it runs in a course repository's own CI.
    """
    from ..config import LANGUAGES
    from .checking import translating

    # The same folder `flask courses import` reads: a mistyped COURSES_PATH must fail here too.
    path = path or os.environ.get("COURSES_PATH") or str(Path(__file__).resolve().parents[2] / "courses")
    try:
        courses = read_curriculum(path)
        errors, warnings = [], [w for course in courses for w in course.warnings]
    except CurriculumError as error:
        courses, errors, warnings = [], error.errors, error.warnings
    from flask_babel import gettext as _

    with translating(LANGUAGES[language]):
        # "error"/"warning" stay as they are: editors and CI read file:line: error: lines.
        for problem in sorted(errors + warnings, key=lambda p: (p.path, p.line)):
            kind = "error" if problem in errors else "warning"
            click.echo(f"{problem.path}:{problem.line}: {kind}: {problem.localized()}")
        summary = _("%(errors)s error(s), %(warnings)s warning(s)", errors=len(errors),
                    warnings=len(warnings))
        if courses:
            summary = _("%(summary)s in %(count)s course(s)", summary=summary, count=len(courses))
    click.echo(summary, err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@courses_cli.command("export")
@click.argument("slug")
@click.argument("target", type=click.Path(file_okay=True))
@click.option("--version", "number", type=int, help="A published version (default: the latest).")
@with_appcontext
def export_command(slug, target, number):
    """Write a course's published files to TARGET (a folder, or a .zip file)."""
    from ..learning.models import Course
    from ..extensions import db
    from ..domain_errors import DomainError
    from .files import write_folder, write_zip
    from .transfer import export_course

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course '{slug}'")
    try:
        fileset = export_course(course, number)
    except DomainError as error:
        raise click.ClickException(error.message)
    target = Path(target)
    if target.suffix == ".zip":
        target.write_bytes(write_zip(slug, fileset))
    else:
        if target.exists() and any(target.iterdir()):
            raise click.ClickException(f"{target} is not empty; export into a new folder")
        target.mkdir(parents=True, exist_ok=True)
        write_folder(target, fileset)
    click.echo(f"Exported {slug} ({len(fileset.files)} files, {len(fileset.images)} images) "
               f"to {target}.")
