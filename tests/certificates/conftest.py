"""Certificate fixtures: a learner who completes the gamma course through the pages."""
import pytest

from app.transactions import unit_of_work
from tests.quizzes.conftest import RIGHT, Learner, quiz_learner  # noqa: F401  (fixture)


def complete_gamma(person: Learner) -> None:
    person.submit(person.start_attempt_id(), RIGHT)
    person.read("gamma", "more")
    person.submit(person.start_attempt_id(module="next"), {"q-one": "a"})


@pytest.fixture
def certified(client, quiz_learner, app):
    """The learner has completed gamma; returns the certificate code."""
    from sqlalchemy import select

    from app.certificates.models import Certificate
    from app.extensions import db

    complete_gamma(quiz_learner)
    with unit_of_work(app):
        return db.session.execute(select(Certificate.code)).scalar_one()
