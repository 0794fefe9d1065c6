"""Trainers write role-play files in the browser editor like lessons and quizzes: the course
page lists them, they open and save, and the publish check names their problems by line."""
from pathlib import Path

from tests.authoring.conftest import trainer  # noqa: F401  (the fixture)

DELTA = Path(__file__).parent / "fixtures" / "delta" / "01-first"


def test_a_trainer_adds_a_roleplay_and_the_check_names_its_broken_reply(app, trainer):  # noqa: F811
    for language in ("zh", "en"):
        text = (DELTA / f"roleplay-price.{language}.md").read_text()
        text = text.replace("{next=lost ", "{next=nowhere ", 1)  # a reply that leads nowhere
        saved = trainer.save("gamma", f"01-start/roleplay-price.{language}.md", text, 0)
        assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    course = trainer.client.get("/author/courses/gamma").get_data(as_text=True)
    assert "Role-play" in course and "/author/courses/gamma/files/01-start/roleplay-price.en.md" in course
    text, revision = trainer.open("gamma", "01-start/roleplay-price.en.md")
    assert "{next=nowhere " in text and revision == 1
    review = trainer.client.get("/author/courses/gamma/publish").get_data(as_text=True)
    assert "01-start/roleplay-price.zh.md:" in review and "nowhere" in review
    assert trainer.publish("gamma").status_code == 422  # a broken graph never reaches learners
    refused = trainer.save("gamma", "01-start/roleplay-.zh.md", "x", 0)
    assert refused.status_code in (400, 404, 422)


def test_a_trainer_adds_an_assignment_and_the_check_names_its_bad_limit(app, trainer):  # noqa: F811
    folder = Path(__file__).parent / "fixtures" / "epsilon" / "01-welcome"
    for language in ("zh", "en"):
        text = (folder / f"assignment-welcome.{language}.md").read_text()
        text = text.replace("lesson: greet", "lesson: intro").replace("max_images: 2", "max_images: 5")
        saved = trainer.save("gamma", f"01-start/assignment-welcome.{language}.md", text, 0)
        assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    course = trainer.client.get("/author/courses/gamma").get_data(as_text=True)
    assert "Assignment" in course and "/author/courses/gamma/files/01-start/assignment-welcome.en.md" in course
    text, revision = trainer.open("gamma", "01-start/assignment-welcome.en.md")
    assert "max_images: 5" in text and revision == 1
    review = trainer.client.get("/author/courses/gamma/publish").get_data(as_text=True)
    assert "01-start/assignment-welcome.zh.md:5" in review and "max_images" in review
    assert trainer.publish("gamma").status_code == 422
