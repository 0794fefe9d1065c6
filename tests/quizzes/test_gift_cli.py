"""`flask quizzes import-gift`: convert, report skipped questions, write and import."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.transactions import unit_of_work
from app.extensions import db
from app.learning.models import Module
from app.quizzes.models import Quiz

GIFT = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "gift" / "moodle"
needs_data = pytest.mark.skipif(not GIFT.is_dir(), reason="shared/conformance/gift is not beside the project")

WEIGHTED = """::Hometown::Jesus Christ was from {
    ~Jerusalem#This was an important city, but the wrong answer.
    ~%25%Bethlehem#He was born here, but not raised here.
    =Nazareth#Yes! That's right!}

::Born::When was Ulysses S. Grant born? {#
    =1822:0
    =%50%1822:2}
"""
LOSSY = WEIGHTED + """
// [tag:history]
::Tomb::Who's buried in Grant's tomb? {=no one#excellent answer! =%50%nob*dy}
"""


def quiz_of(app, module_slug: str):
    with unit_of_work(app):
        quiz = db.session.execute(select(Quiz).join(Module).where(Module.slug == module_slug)).scalar_one_or_none()
        return quiz.current_version.content if quiz else None


def import_gift(runner, courses, text: str, tmp_path, *extra):
    source = tmp_path / "questions.gift.txt"
    source.write_text(text, encoding="utf-8")
    return runner.invoke(args=["quizzes", "import-gift", str(source), "--module", "beta/only",
                               "--language", "en", "--courses", str(courses), *extra])


def test_weighted_answers_are_imported_with_their_credit(runner, app, imported, tmp_path):
    result = import_gift(runner, imported, WEIGHTED, tmp_path, "--strict")
    assert result.exit_code == 0, result.output
    assert "0 with losses" in result.output and "lost" not in result.output
    text = (imported / "beta" / "01-only" / "quiz.en.md").read_text()
    assert "- [25%] Bethlehem" in text and "- [50%] 1822 ± 2" in text
    hometown, born = quiz_of(app, "only")["questions"]
    assert [o["credit"] for o in hometown["options"]] == [0.0, 0.25, 1.0]
    assert born["ranges"] == [{"min": 1822, "max": 1822, "value": 1822},
                              {"min": 1820, "max": 1824, "value": 1822, "credit": 0.5}]


def test_what_is_lost_is_said_per_question(runner, app, imported, tmp_path):
    result = import_gift(runner, imported, LOSSY, tmp_path)
    assert result.exit_code == 0, result.output
    lost = [line for line in result.output.splitlines() if ": lost " in line]
    where = f"{tmp_path / 'questions.gift.txt'}:11: Tomb: lost"
    assert lost == [
        f"{where} the feedback on the answer 'no one' (text questions have no per-answer feedback)",
        f"{where} the answer 'nob*dy' (Moodle's '*' wildcard, worth 50%): answers only it accepts score 0 here",
        f"{where} the Moodle tags 'history'",
    ]
    assert "1 with losses" in result.output
    assert [q["id"] for q in quiz_of(app, "only")["questions"]] == ["hometown", "born", "tomb"]


def test_strict_refuses_when_anything_would_be_lost(runner, app, imported, tmp_path):
    target = imported / "beta" / "01-only" / "quiz.en.md"
    assert not target.exists()
    result = import_gift(runner, imported, LOSSY, tmp_path, "--strict")
    assert result.exit_code != 0
    assert "Tomb: lost the feedback on the answer 'no one'" in result.output
    assert "--strict: 0 question(s) would be skipped and 1 would lose something" in result.output
    assert "nothing was written" in result.output
    assert not target.exists() and quiz_of(app, "only") is None


def test_strict_refuses_a_file_whose_only_loss_is_its_category(runner, app, imported, tmp_path):
    result = import_gift(runner, imported, "$CATEGORY: $course$/Week 1\n\n" + WEIGHTED, tmp_path,
                         "--strict")
    assert result.exit_code != 0 and "not kept: the Moodle categories '$course$/Week 1'" in result.output
    assert "the categories would not be kept" in result.output
    assert not (imported / "beta" / "01-only" / "quiz.en.md").exists()


@needs_data
def test_strict_refuses_skipped_questions_too(runner, app, imported, tmp_path):
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "fixtures" / "questions.gift.txt"),
                                 "--module", "beta/only", "--language", "en", "--strict",
                                 "--courses", str(imported)])
    assert result.exit_code != 0 and "2 question(s) would be skipped" in result.output
    assert not (imported / "beta" / "01-only" / "quiz.en.md").exists()


@needs_data
def test_gift_file_becomes_the_module_quiz(runner, app, imported):
    (imported / "beta" / "01-only" / "quiz.en.md").unlink(missing_ok=True)
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "fixtures" / "questions.gift.txt"),
                                 "--module", "beta/only", "--language", "en", "--courses", str(imported)])
    assert result.exit_code == 0, result.output
    assert "skipped Q8" in result.output and "skipped Moodle activities" in result.output
    assert "questions.gift.txt:" in result.output  # every skip names its line
    assert (imported / "beta" / "01-only" / "quiz.en.md").exists()
    with unit_of_work(app):
        quiz = db.session.execute(select(Quiz).join(Module).where(Module.slug == "only")).scalar_one()
        types = [q["type"] for q in quiz.current_version.content["questions"]]
        assert {"single", "multiple", "numeric", "text", "truefalse"} <= set(types)


@needs_data
def test_existing_quiz_is_not_overwritten_without_replace(runner, imported):
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/start", "--language", "en", "--courses", str(imported)])
    assert result.exit_code != 0 and "--replace" in result.output


@needs_data
def test_a_quiz_that_disagrees_with_its_other_language_is_rolled_back(runner, app, imported):
    before = (imported / "gamma" / "01-start" / "quiz.en.md").read_text()
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/start", "--language", "en", "--replace",
                                 "--courses", str(imported)])
    assert result.exit_code != 0 and "unchanged" in result.output
    assert (imported / "gamma" / "01-start" / "quiz.en.md").read_text() == before


@needs_data
def test_unknown_module_is_a_clear_error(runner, imported):
    result = runner.invoke(args=["quizzes", "import-gift", str(GIFT / "tests" / "import_truefalse.gift.txt"),
                                 "--module", "gamma/nope", "--courses", str(imported)])
    assert result.exit_code != 0 and "has no module 'nope'" in result.output
