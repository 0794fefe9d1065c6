"""The attempt page carries nothing from which the key can be read: ids, order, attributes.

THE CLASS TEST: an attacker who sees only the attempt page's HTML and answers every question
by a function of what is in it (the option ids sorted in any of several ways, any position or
set of positions or permutation of them; for typed answers every attribute value and number
on the question) scores no better than chance. For each strategy the chance level is exact
(the expected score when the ids are in a uniformly random order, by enumerating every
order); the observed mean over N attempts must stay below chance + K standard errors.
The judge knows the key by the options' *texts* (the fixture file), so the test is the same
on any id scheme: with the old ids "a, b, c …" sorting them gives the author's order and the
order question is passed every time.
"""
import itertools
import math
import random
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.transactions import unit_of_work
from app.extensions import db
from app.quizzes import services
from app.quizzes.grading import clean_response, question_fraction
from app.quizzes.models import Attempt
from tests.quizzes.conftest import Learner, set_quiz_settings, weight_the_quiz

N = 160          # attempts
K = 4.5          # standard errors above chance: a one-sided p of 3.4e-6 per strategy
SEED = 20261202  # layouts (shuffles) come from this seed; ids from the fixed test secret


class Fields(HTMLParser):
    """Per question (fieldset[data-question]): its inputs' values in page order and every
    attribute value, plus the visible text of each option value."""

    def __init__(self):
        super().__init__()
        self.questions, self.current, self.label_for = {}, None, None
        self.text_parts, self.in_option = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "data-question" in attrs:
            self.current = self.questions.setdefault(
                attrs["data-question"], {"values": [], "attributes": [], "texts": {}})
        if self.current is None:
            return
        self.current["attributes"] += [v for k, v in attrs.items() if v and k != "name"]
        if tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.current["values"].append(attrs["value"])
            self.label_for, self.text_parts = attrs["value"], []
        if tag == "option" and attrs.get("value"):
            if attrs["value"] not in self.current["values"]:
                self.current["values"].append(attrs["value"])
            self.in_option, self.text_parts = attrs["value"], []

    def handle_data(self, data):
        if self.label_for or self.in_option:
            self.text_parts.append(data)

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag == "label" and self.label_for:
            self.current["texts"][self.label_for] = "".join(self.text_parts).strip()
            self.label_for = None
        if tag == "option" and self.in_option:
            self.current["texts"].setdefault(self.in_option, "".join(self.text_parts).strip())
            self.in_option = None
        if tag == "fieldset":
            self.current = None


def read_page(html: str) -> dict:
    parser = Fields()
    parser.feed(html)
    return parser.questions


ORDERINGS = {
    "ascending": lambda ids: sorted(ids),
    "descending": lambda ids: sorted(ids, reverse=True),
    "by length": lambda ids: sorted(ids, key=lambda i: (len(i), i)),
    "by digit sum": lambda ids: sorted(ids, key=lambda i: (sum(map(ord, i)), i)),
}


def strategies(kind: str, n: int):
    """(name, function of the ids -> raw form value) for a choice or order question."""
    for oname, ordering in ORDERINGS.items():
        if kind in ("single", "truefalse"):
            for p in range(n):
                yield f"{oname} #{p}", lambda ids, o=ordering, p=p: o(ids)[p]
        elif kind == "multiple":
            for size in range(1, n + 1):
                for subset in itertools.combinations(range(n), size):
                    yield f"{oname} {subset}", lambda ids, o=ordering, s=subset: [o(ids)[i] for i in s]
        elif kind == "order":
            for perm in itertools.permutations(range(n)):
                yield f"{oname} {perm}", lambda ids, o=ordering, q=perm: [o(ids)[i] for i in q]


def plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def judge(question: dict, answer, page_texts: dict, scoring: str) -> float:
    """The score of `answer` (ids as the page names them), knowing the key by option text."""
    author = {plain(choice["text"]["zh"]): choice["id"]
              for choice in (question.get("options") or question.get("items"))}
    to_author = lambda value: author[plain(page_texts[value])]  # noqa: E731
    mapped = [to_author(v) for v in answer] if isinstance(answer, list) else to_author(answer)
    return question_fraction(question, clean_response(question, mapped), scoring)


def exact_chance(question: dict, make_answer, scoring: str) -> tuple[float, float]:
    """Mean and standard deviation of the strategy's score when the ids come in random order."""
    choices = [c["id"] for c in (question.get("options") or question.get("items"))]
    scores = []
    for perm in itertools.permutations(choices):
        # The ids sort as `perm`: give them names that sort that way.
        names = {author: f"{rank:02d}" for rank, author in enumerate(perm)}
        back = {v: k for k, v in names.items()}
        answer = make_answer(list(names.values()))
        mapped = [back[v] for v in answer] if isinstance(answer, list) else back[answer]
        scores.append(question_fraction(question, clean_response(question, mapped), scoring))
    mean = sum(scores) / len(scores)
    return mean, math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
def test_an_attacker_reading_only_the_page_scores_no_better_than_chance(
        app, client, imported, learner, monkeypatch, weighted):
    if weighted:
        weight_the_quiz(imported)
    # Typed answers are never sent, so the attacker cannot pass and can always try again.
    set_quiz_settings(app, imported, "pass_mark: 100\ncooldown_minutes: 0\nreveal: never")
    if weighted:
        with unit_of_work(app):
            from app.quizzes.models import Quiz
            assert any("credit" in o for quiz in db.session.scalars(select(Quiz))
                       for q in quiz.current_version.content["questions"]
                       for o in q.get("options", ()))
    monkeypatch.setattr(services, "layout_rng", lambda rng=random.Random(SEED): rng, raising=False)
    person = Learner(client)
    person.read("gamma", "intro")
    scores: dict[tuple[str, str], list[float]] = {}
    typed_hits: dict[str, int] = {}
    shown_orders, consistent = set(), 0
    for n in range(N):
        attempt_id = person.start_attempt_id()
        page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        fields = read_page(page)
        # Nothing of a credit reaches the page: no percentage, no weight, no "credit".
        for seen in fields.values():
            assert not any("%" in v or "credit" in v.lower() for v in seen["attributes"])
            assert not any("%" in text for text in seen["texts"].values())
        assert "credit" not in page.lower() and "[50%]" not in page
        with unit_of_work(app):
            version = db.session.get(Attempt, attempt_id).version
            questions = {q["id"]: q for q in version.content["questions"]}
            scoring = version.settings["multiple_scoring"]
        submitted, expected = {}, 0.0
        for question_id, seen in fields.items():
            question = questions[question_id]
            if question["type"] in ("text", "numeric"):
                candidates = set(seen["attributes"])
                candidates |= {m for a in seen["attributes"] for m in re.findall(r"[-+]?\d+(?:\.\d+)?", a)}
                for candidate in candidates:
                    hit = question_fraction(question, {"text": candidate}, scoring)
                    typed_hits[question_id] = typed_hits.get(question_id, 0) + (hit > 0)
                continue
            ids = seen["values"]
            if question["type"] == "order":
                shown_orders.add(tuple(plain(seen["texts"][i]) for i in ids))
            for index, (name, strategy) in enumerate(strategies(question["type"], len(ids))):
                score = judge(question, strategy(ids), seen["texts"], scoring)
                scores.setdefault((question_id, name), []).append(score)
                if index == n % 7:  # one strategy per question goes through the real form
                    submitted[f"q-{question_id}"] = strategy(ids)
                    expected += score * question["points"]
        response = person.submit(attempt_id, submitted, raw=True)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        with unit_of_work(app):
            graded = db.session.get(Attempt, attempt_id)
            # the judge agrees with the server (whose total never goes below 0)
            consistent += abs(graded.score - max(0.0, expected)) < 1e-6
    assert consistent == N
    assert set(typed_hits) == {"rate", "percent"} and sum(typed_hits.values()) == 0, typed_hits

    worst = None
    for (question_id, name), observed in scores.items():
        question = questions[question_id]
        strategy = dict(strategies(question["type"], len(question.get("options") or question["items"])))[name]
        chance, sigma = exact_chance(question, strategy, scoring)
        mean = sum(observed) / len(observed)
        bound = chance + K * sigma / math.sqrt(len(observed))
        z = (mean - chance) / (sigma / math.sqrt(len(observed))) if sigma else 0.0
        if worst is None or z > worst[0]:
            worst = (round(z, 2), question_id, name, round(mean, 4), round(chance, 4), round(bound, 4))
        assert mean <= bound, (question_id, name, mean, chance, bound)
    print(f"{len(scores)} strategies over {N} attempts; the best (z, question, strategy, mean, "
          f"chance, bound): {worst}")
    # The order question is shown in many orders, never in the right one (it has 4 steps).
    right = tuple(plain(item["text"]["zh"]) for item in questions["sale"]["items"])
    assert right not in shown_orders and len(shown_orders) >= 12


def test_forged_and_borrowed_ids_get_a_clear_400_and_nothing_is_saved(client, quiz_learner, app):
    from app.quizzes.models import AttemptAnswer

    first = quiz_learner.start_attempt_id()
    borrowed = quiz_learner.shown(first, "q-first", "b")
    quiz_learner.submit(first, {"q-first": "a"})
    attempt_id = quiz_learner.start_attempt_id()
    for value in ("0123456789abcdef", borrowed, "b", "a' OR 1=1 --"):
        response = quiz_learner.autosave(attempt_id, "first", value, raw=True)
        assert response.status_code == 400 and "这个答案不在选项中" in response.get_json()["message"]
        page = quiz_learner.submit(attempt_id, {"q-first": value}, raw=True)
        assert page.status_code == 400 and "这个答案不在选项中" in page.get_data(as_text=True)
    assert quiz_learner.submit(attempt_id, {"q-sale": ["a", "b", "c", "d"]}, raw=True).status_code == 400
    with unit_of_work(app):
        assert db.session.get(AttemptAnswer, (attempt_id, "first")) is None
        assert db.session.get(Attempt, attempt_id).state == "open"
    saved = quiz_learner.autosave(attempt_id, "first", "b").get_json()  # the page's own id
    assert set(saved) == {"saved", "late", "message"}  # the answer JSON carries no ids


def test_an_attempt_opened_before_opaque_ids_still_saves_and_grades(client, quiz_learner, app):
    from sqlalchemy import update

    from tests.quizzes.conftest import RIGHT

    attempt_id = quiz_learner.start_attempt_id()
    with unit_of_work(app):
        layout = dict(db.session.get(Attempt, attempt_id).layout)
        del layout["ids"]  # what attempts made before the change look like
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(layout=layout))
        db.session.commit()
    # A page loaded before the change sends the author's ids; one loaded after, opaque ones.
    assert quiz_learner.autosave(attempt_id, "first", "b", raw=True).status_code == 200
    assert quiz_learner.autosave(attempt_id, "habits", ["", "a", "b"]).status_code == 200
    answers = {k: v for k, v in RIGHT.items() if k not in ("q-first", "q-habits")}
    assert quiz_learner.submit(attempt_id, answers, raw=True).status_code == 303
    with unit_of_work(app):
        assert db.session.get(Attempt, attempt_id).percent == 100
