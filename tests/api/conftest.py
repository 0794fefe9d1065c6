from tests.certificates.conftest import certified  # noqa: F401  (fixture)
from tests.quizzes.conftest import quiz_learner  # noqa: F401  (fixture)
