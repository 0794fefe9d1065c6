"""`flask quizzes import-gift`: bring Moodle GIFT questions into a module's quiz.

It writes into a course folder and imports it, so it lives with authoring (above quizzes,
whose GIFT converter and quiz reader it uses); the command keeps its name."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..content import ContentError
from ..quizzes.gift import GiftError, convert_gift, parse_gift
from ..quizzes.parser import parse_quiz_file
from .curriculum import NUMBERED_DIR, CurriculumError, read_curriculum
from .services import import_curriculum


@click.group("quizzes", help="Quiz tools.")
def quizzes_cli():
    """Quiz tools."""


def _module_folder(courses: Path, course_slug: str, module_slug: str) -> tuple[Path, Path]:
    """The course folder (by its slug) and the NN-slug module folder inside it."""
    for course in read_curriculum(courses):
        if course.slug == course_slug:
            course_dir = Path(course.path).parent
            course_dir = course_dir if course_dir.is_absolute() else courses.parent / course_dir
            for child in sorted(course_dir.iterdir()):
                match = NUMBERED_DIR.match(child.name)
                if child.is_dir() and match and match.group(2) == module_slug:
                    return course_dir, child
            raise click.ClickException(f"course '{course_slug}' has no module '{module_slug}'")
    raise click.ClickException(f"no course '{course_slug}' in {courses}")


@quizzes_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--module", "target", required=True, metavar="COURSE/MODULE",
              help="Slugs of the course and module whose quiz this becomes.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--pass-mark", type=click.IntRange(1, 100), default=80, show_default=True)
@click.option("--replace", is_flag=True, help="Overwrite an existing quiz file.")
@click.option("--strict", is_flag=True,
              help="Refuse the import (nothing written) if anything would be skipped or lost.")
@click.option("--courses", "courses_path", type=click.Path(file_okay=False),
              help="Course folders (default: COURSES_PATH).")
@with_appcontext
def import_gift(file, target, language, pass_mark, replace, strict, courses_path):
    """Convert GIFT FILE to the quiz format, write it into the module folder and import it."""
    course_slug, _, module_slug = target.partition("/")
    if not course_slug or not module_slug:
        raise click.BadParameter("use COURSE/MODULE, e.g. group-building/first-members",
                                 param_hint="--module")
    text = Path(file).read_text(encoding="utf-8-sig")
    try:
        questions = parse_gift(text)
    except GiftError as error:
        raise click.ClickException(f"{file}:{error.line}: {error.reason}")
    result = convert_gift(questions, pass_mark=pass_mark)
    # Everything that does not come across, question by question, so nobody is surprised
    # by a score or a missing feedback later.
    for line, name, reason in result.skipped:
        click.echo(f"{file}:{line}: skipped {name or 'question'}: {reason}", err=True)
    for line, name, what in result.lost:
        click.echo(f"{file}:{line}: {name or 'question'}: lost {what}", err=True)
    if result.categories:
        click.echo(f"{file}: not kept: the Moodle categories "
                   + ", ".join(f"'{c}'" for c in result.categories)
                   + " (a quiz has none)", err=True)
    if strict and not result.complete:
        categories = " and the categories would not be kept" if result.categories else ""
        raise click.ClickException(
            f"--strict: {len(result.skipped)} question(s) would be skipped and "
            f"{len({line for line, _n, _w in result.lost})} would lose something{categories} "
            "(see above); nothing was written")
    converted = result.converted
    if converted == 0:
        raise click.ClickException("no question could be converted; nothing was written")
    markdown, skipped = result.markdown, result.skipped
    try:
        parse_quiz_file(markdown, f"quiz.{language}.md")
    except ContentError as error:  # the converter should never produce this
        raise click.ClickException(f"the converted quiz is not valid: {error}")

    courses = Path(courses_path or current_app.config["COURSES_PATH"]).resolve()
    course_dir, module_dir = _module_folder(courses, course_slug, module_slug)
    target_file = module_dir / f"quiz.{language}.md"
    previous = target_file.read_text(encoding="utf-8") if target_file.exists() else None
    if previous is not None and not replace:
        raise click.ClickException(f"{target_file} exists; use --replace to overwrite it")
    target_file.write_text(markdown, encoding="utf-8")
    try:
        import_curriculum(course_dir)
    except CurriculumError as error:
        # Put the folder back as it was: a quiz that does not import is not left behind.
        if previous is None:
            target_file.unlink()
        else:
            target_file.write_text(previous, encoding="utf-8")
        for problem in error.errors:
            click.echo(str(problem), err=True)
        raise click.ClickException("the quiz was converted but not imported (see above); "
                                   "files and database are unchanged")
    click.echo(f"Converted {converted} question(s), skipped {len(skipped)}, "
               f"{len({line for line, _n, _w in result.lost})} with losses; wrote {target_file} "
               f"and imported course '{course_slug}'.")
