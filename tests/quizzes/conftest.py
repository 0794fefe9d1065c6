"""Quiz fixtures: the gamma course (quizzes with canary answer strings) and helpers."""
import re

import pytest

from app.transactions import unit_of_work
from app.extensions import db
from tests.conftest import csrf_token

# Strings that only exist in the answer key: they must never reach the browser before grading.
CANARIES = ["CANARY-OPTION-FEEDBACK", "CANARY-QUESTION-FEEDBACK", "CANARY-HABITS",
            "CANARY-TEXT-ANSWER"]
# A fully right answer set for gamma/start (form field -> value(s)), in the author's option
# ids; Learner translates them to the ids the attempt's page shows, as a person choosing by
# the option's text would send.
RIGHT = {"q-first": "b", "q-habits": ["", "a", "b"], "q-trust": "a", "q-rate": "开单率",
         "q-percent": "65", "q-sale": ["a", "b", "c", "d"]}
WRONG = {"q-first": "a", "q-habits": ["", "c"], "q-trust": "b", "q-rate": "不知道",
         "q-percent": "12", "q-sale": ["d", "c", "b", "a"]}


class Learner:
    """Drives the quiz pages through the test client like a phone would."""

    def __init__(self, client):
        self.client = client

    def read(self, course: str, lesson: str):
        token = csrf_token(self.client, f"/courses/{course}")
        return self.client.post(f"/courses/{course}/{lesson}/read", data={"csrf_token": token})

    def start(self, course="gamma", module="start"):
        token = csrf_token(self.client, f"/courses/{course}")
        return self.client.post(f"/courses/{course}/{module}/quiz/start", data={"csrf_token": token})

    def start_attempt_id(self, course="gamma", module="start") -> int:
        response = self.start(course, module)
        assert response.status_code == 303, response.get_data(as_text=True)
        return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))

    def token(self, attempt_id: int) -> str:
        return csrf_token(self.client, f"/attempts/{attempt_id}")

    def shown(self, attempt_id: int, field: str, value):
        """The author's option id(s) in `value` as the attempt's page names them."""
        from app.quizzes import ids
        from app.quizzes.models import Attempt

        app = self.client.application
        with unit_of_work(app):
            attempt = db.session.get(Attempt, attempt_id)
            question = attempt.version.question(field.removeprefix("q-")) if attempt else None
            if question is None:
                return value
            mapping = ids.public_ids(ids.derive_key(app.config["SECRET_KEY"]), attempt_id, question)
        if isinstance(value, list):
            return [mapping.get(v, v) for v in value]
        return mapping.get(value, value)

    def autosave(self, attempt_id: int, question_id: str, value, token=None, raw=False):
        if not raw:
            value = self.shown(attempt_id, f"q-{question_id}", value)
        data = {"question_id": question_id, f"q-{question_id}": value}
        return self.client.post(f"/attempts/{attempt_id}/answer", data=data,
                                headers={"X-CSRFToken": token or self.token(attempt_id),
                                         "Accept": "application/json"})

    def submit(self, attempt_id: int, answers: dict, token=None, raw=False):
        if not raw:
            answers = {field: self.shown(attempt_id, field, value) for field, value in answers.items()}
        data = dict(answers, csrf_token=token or self.token(attempt_id))
        return self.client.post(f"/attempts/{attempt_id}/submit", data=data)


def reader_of_gamma(app, make_user, login: str) -> Learner:
    """Another signed-in learner who has read gamma's first module (its quiz is open)."""
    from tests.conftest import Auth

    make_user(login)
    client = app.test_client()
    Auth(client).login(login)
    person = Learner(client)
    person.read("gamma", "intro")
    return person


@pytest.fixture
def quiz_learner(client, imported, learner):
    person = Learner(client)
    assert person.read("gamma", "intro").status_code == 303
    return person


def set_quiz_settings(app, courses_dir, settings: str, module: str = "01-start", course: str = "gamma"):
    """Replace the front matter of a fixture quiz (every language) and import it again."""
    from app.authoring.services import import_curriculum

    for path in (courses_dir / course / module).glob("quiz.*.md"):
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        path.write_text(f"---\n{settings.strip()}\n---\n{body}", encoding="utf-8")
    with unit_of_work(app):
        import_curriculum(courses_dir)


# The fixture quiz with fractional credit: partial and negative options, a summed multiple
# question, a partial text answer and a partial numeric range (docs/course-format.md).
WEIGHTS = {
    "en": [("- [ ] Links", "- [-50%] Links"), ("- [ ] Silence", "- [25%] Silence"),
           ("- [x] Rules", "- [50%] Rules"), ("- [x] Rituals", "- [50%] Rituals"),
           ("- [ ] Spam", "- [-100%] Spam"),
           ("- order-open rate", "- order-open rate\n- [50%] conversion rate"),
           ("- 65 ± 0.5", "- 65 ± 0.5\n- [50%] 60..70")],
    "zh": [("- [ ] 发链接", "- [-50%] 发链接"), ("- [ ] 沉默", "- [25%] 沉默"),
           ("- [x] 群规", "- [50%] 群规"), ("- [x] 仪式", "- [50%] 仪式"),
           ("- [ ] 刷屏", "- [-100%] 刷屏"),
           ("- CANARY-TEXT-ANSWER", "- CANARY-TEXT-ANSWER\n- [50%] 转化率"),
           ("- 65 ± 0.5", "- 65 ± 0.5\n- [50%] 60..70")],
}


def weight_the_quiz(courses_dir):
    for language, replacements in WEIGHTS.items():
        path = courses_dir / "gamma" / "01-start" / f"quiz.{language}.md"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
