"""Outbox fixtures: the quiz learner who completes gamma through the pages."""
from tests.quizzes.conftest import quiz_learner  # noqa: F401  (fixture)
