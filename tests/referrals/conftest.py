"""Referral fixtures: a learner who has read gamma's first module (its quiz is open)."""
from tests.quizzes.conftest import quiz_learner  # noqa: F401  (fixture)
