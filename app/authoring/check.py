"""`python -m app.authoring.check [PATH] [--strict]`: `flask courses check` without an app,
database or configuration — for course repositories' own CI."""
from .cli import check_command

if __name__ == "__main__":
    check_command(prog_name="python -m app.authoring.check")
