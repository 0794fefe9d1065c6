"""The shipped curriculum imports cleanly and meets the bar for content."""
from pathlib import Path

import pytest

from app.authoring.curriculum import read_curriculum

COURSES = Path(__file__).parents[1] / "courses"
CORE = {"group-building", "product-pitching", "customer-service", "rules-and-integrity"}


@pytest.fixture(scope="module")
def curriculum():
    return {course.slug: course for course in read_curriculum(COURSES)}


def test_the_four_core_courses_are_shipped(curriculum):
    assert CORE <= set(curriculum)
    for slug in CORE:
        assert curriculum[slug].grants_certificate


@pytest.mark.parametrize("slug", sorted(CORE))
def test_each_course_has_3_modules_of_2_lessons_in_both_languages(curriculum, slug):
    course = curriculum[slug]
    assert set(course.title) == {"zh", "en"} and set(course.summary) == {"zh", "en"}
    assert len(course.modules) >= 3
    for module in course.modules:
        assert set(module.title) == {"zh", "en"}
        assert len(module.lessons) >= 2, module.slug
        for lesson in module.lessons:
            assert set(lesson.texts) == {"zh", "en"}, lesson.slug
            for text in lesson.texts.values():
                assert 3 <= text.minutes <= 8, text.path
                assert len(text.markdown) > 1500, text.path  # a real lesson, not a stub
                assert "lorem" not in text.markdown.lower()


def test_the_curriculum_imports_into_the_database(app):
    from app.authoring.services import import_curriculum

    with app.app_context():
        counts = import_curriculum(COURSES)
    assert counts["courses new"] >= 4 and counts["lessons new"] >= 24
