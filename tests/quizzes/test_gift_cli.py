"""`flask quizzes import-gift`: convert, report skipped questions, write and import."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.learning.models import Module
from app.quizzes.models import Quiz

GIFT = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "gift" / "moodle"
pytestmark = pytest.mark.skipif(not GIFT.is_dir(), reason="shared/conformance/gift is not beside the project")


def test_gift_file_becomes_the_module_quiz(runner, app, imported):
    (imported / "beta" / "01-only" / "quiz.en.md").unlink(missing_ok=True)
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "fixtures" / "questions.gift.txt"),
                                 "--module", "beta/only", "--language", "en", "--courses", str(imported)])
    assert result.exit_code == 0, result.output
    assert "skipped Q8" in result.output and "skipped Moodle activities" in result.output
    assert "questions.gift.txt:" in result.output  # every skip names its line
    assert (imported / "beta" / "01-only" / "quiz.en.md").exists()
    with app.app_context():
        quiz = db.session.execute(select(Quiz).join(Module).where(Module.slug == "only")).scalar_one()
        types = [q["type"] for q in quiz.current_version.content["questions"]]
        assert {"single", "multiple", "numeric", "text", "truefalse"} <= set(types)


def test_existing_quiz_is_not_overwritten_without_replace(runner, imported):
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/start", "--language", "en", "--courses", str(imported)])
    assert result.exit_code != 0 and "--replace" in result.output


def test_a_quiz_that_disagrees_with_its_other_language_is_rolled_back(runner, app, imported):
    before = (imported / "gamma" / "01-start" / "quiz.en.md").read_text()
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/start", "--language", "en", "--replace",
                                 "--courses", str(imported)])
    assert result.exit_code != 0 and "unchanged" in result.output
    assert (imported / "gamma" / "01-start" / "quiz.en.md").read_text() == before


def test_unknown_module_is_a_clear_error(runner, imported):
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/nope", "--courses", str(imported)])
    assert result.exit_code != 0 and "has no module 'nope'" in result.output
