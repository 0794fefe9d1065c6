"""`flask demo generate`: realistic demonstration data at any scale, loaded in bulk.

People join over the last `days` days through a mentor tree grown by preferential attachment
(most have no mentees, a few have thousands). Each learner has an ability; each question a
difficulty, and a few questions are deliberately broken (too easy, too hard, or keyed so
that stronger learners do worse) so that item analysis has something to find. Learners read
lesson by lesson, drop out along the way, take quizzes (up to three attempts), complete
courses and get certificates; tiers follow from the tier rules' own evaluation.

Rows go in with COPY on PostgreSQL and executemany on SQLite, in dependency order, a batch
at a time. Demo accounts have addresses @demo.smallb.example and cannot log in.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from ..accounts.models import User
from ..clock import utcnow
from .. import transactions
from ..extensions import db
from ..learning.models import Course, Lesson, Module
from ..quizzes.models import Quiz, QuizVersion

DEMO_DOMAIN = "demo.smallb.example"
MAX_DEPTH = 15
BATCH = 100_000
MAX_ATTEMPTS = 3

COLUMNS = {
    "users": ("id", "email", "display_name", "password_hash", "role", "locale", "active",
              "session_version", "created_at"),
    "enrolments": ("id", "user_id", "course_id", "started_at", "last_activity_at", "completed_at"),
    "lesson_progress": ("user_id", "lesson_id", "read_at"),
    "quiz_attempts": ("id", "user_id", "quiz_id", "version_id", "number", "state", "layout",
                      "started_at", "submitted_at", "score", "max_score", "percent", "passed",
                      "result"),
    "quiz_answers": ("attempt_id", "question_id", "response", "saved_at"),
    "certificates": ("id", "code", "user_id", "course_id", "generation", "learner_name",
                     "course_title", "issued_at", "completed_at"),
    "tree_nodes": ("user_id", "mentor_id", "path", "depth", "invite_code", "joined_at", "tier",
                   "tier_rank"),
    "tier_changes": ("id", "user_id", "from_tier", "to_tier", "rules_version_id", "reason",
                     "changed_at"),
}
ORDER = ("users", "enrolments", "lesson_progress", "quiz_attempts", "quiz_answers",
         "certificates", "tree_nodes", "tier_changes")
SEQUENCES = {"users": "id", "enrolments": "id", "quiz_attempts": "id", "certificates": "id",
             "tier_changes": "id"}


class DemoError(Exception):
    pass


def check_database(force: bool) -> None:
    """Refuse to mix demo data into a database with real learners (unless forced)."""
    # The embedded default's own demo learner (app/setup.py) is no real learner either.
    real = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "learner", User.email.is_(None) | (~User.email.like(f"%@{DEMO_DOMAIN}")
                                                         & ~User.email.like("%@demo.example.com"))))
    if real and not force:
        raise DemoError(f"This database has {real:,} real learners; demo data would mix with "
                        "their statistics. Use an empty database, or --force.")
    if not db.session.scalar(select(func.count()).select_from(Quiz)):
        raise DemoError("No curriculum with quizzes: run `flask courses import` first.")


@dataclass
class QuestionPlan:
    id: str
    kind: str
    points: float
    difficulty: float
    broken: str | None  # None, "easy", "hard" or "miskeyed"
    right: str  # the response as stored (JSON), computed once
    wrong: list[str]  # plausible wrong responses, most tempting first
    wrong_weights: list[float]
    details: dict = field(default_factory=dict)  # right / wrong / blank -> its result JSON


@dataclass
class QuizPlan:
    quiz_id: int
    version_id: int
    pass_mark: float
    questions: list[QuestionPlan]
    layout: str
    max_points: float


@dataclass
class ModulePlan:
    lessons: list[int]
    quiz: QuizPlan | None


@dataclass
class CoursePlan:
    id: int
    slug: str
    title: str
    certificate: bool
    locked: bool  # opens at a tier: only certified learners take it
    modules: list[ModulePlan] = field(default_factory=list)


def _responses(question: dict) -> tuple[dict, list[dict]]:
    kind = question["type"]
    if kind in ("single", "truefalse"):
        right = next(o["id"] for o in question["options"] if o["correct"])
        return {"choice": right}, [{"choice": o["id"]} for o in question["options"] if not o["correct"]]
    if kind == "multiple":
        correct = sorted(o["id"] for o in question["options"] if o["correct"])
        wrong_ids = [o["id"] for o in question["options"] if not o["correct"]]
        wrong = [{"choices": sorted(correct[:-1] + wrong_ids[:1])}] if wrong_ids else []
        wrong.append({"choices": correct[:1]})
        return {"choices": correct}, wrong
    if kind == "text":
        return {"text": question["accepted"][0]}, [{"text": "不知道"}, {"text": "转化率"}]
    if kind == "numeric":
        value = question["ranges"][0]["min"]
        return {"text": f"{value:g}"}, [{"text": f"{value * 2 + 1:g}"}, {"text": "0"}]
    if kind == "order":
        ids = [item["id"] for item in question["items"]]
        return {"order": ids}, [{"order": ids[1:] + ids[:1]}, {"order": list(reversed(ids))}]
    return {}, [{}]


def plan_curriculum(rng: random.Random) -> list[CoursePlan]:
    from ..referrals.tiers import current_rules

    locked = {slug for tier in current_rules().tiers for slug in tier.unlocks_courses}
    plans = []
    courses = db.session.scalars(select(Course).where(Course.hidden.is_(False))
                                 .order_by(Course.position, Course.slug)).all()
    for course in courses:
        plan = CoursePlan(course.id, course.slug, json.dumps(course.title, ensure_ascii=False),
                          course.grants_certificate, course.slug in locked)
        for module in db.session.scalars(select(Module).where(
                Module.course_id == course.id, Module.hidden.is_(False)).order_by(Module.position)):
            lessons = db.session.scalars(select(Lesson.id).where(
                Lesson.module_id == module.id, Lesson.hidden.is_(False)).order_by(Lesson.position)).all()
            quiz = db.session.execute(select(Quiz).where(Quiz.module_id == module.id,
                                                         Quiz.hidden.is_(False))).scalar_one_or_none()
            quiz_plan = None
            if quiz is not None and quiz.current_version_id:
                version = db.session.get(QuizVersion, quiz.current_version_id)
                questions = []
                for q in version.content["questions"]:
                    roll = rng.random()
                    broken = ("easy" if roll < 0.04 else "hard" if roll < 0.07
                              else "miskeyed" if roll < 0.10 else None)
                    right, wrong = _responses(q)
                    weights = [0.6] + [0.4 / max(1, len(wrong) - 1)] * (len(wrong) - 1)
                    plan_q = QuestionPlan(
                        q["id"], q["type"], q["points"], rng.gauss(-1.3, 0.7), broken,
                        json.dumps(right, ensure_ascii=False),
                        [json.dumps(w, ensure_ascii=False) for w in wrong], weights[:len(wrong)])
                    for outcome, points, answered in (("right", q["points"], True),
                                                      ("wrong", 0.0, True), ("blank", 0.0, False)):
                        plan_q.details[outcome] = json.dumps(q["id"]) + ":" + json.dumps(
                            {"points": points, "max": q["points"], "fraction": 1.0 if points else 0.0,
                             "answered": answered, "late": False}, separators=(",", ":"))
                    questions.append(plan_q)
                layout = {"questions": [q["id"] for q in version.content["questions"]],
                          "options": {q["id"]: [o["id"] for o in q.get("options", q.get("items", []))]
                                      for q in version.content["questions"]}}
                quiz_plan = QuizPlan(quiz.id, version.id, version.settings["pass_mark"], questions,
                                     json.dumps(layout, separators=(",", ":")),
                                     sum(q.points for q in questions))
            plan.modules.append(ModulePlan(list(lessons), quiz_plan))
        if plan.modules:
            plans.append(plan)
    return plans


def grow_tree(n: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """Preferential attachment: a newcomer picks a mentor with chance ~ (mentees + 1)."""
    parent, depth, pool = [-1], [0], [0]
    for i in range(1, n):
        while True:
            p = pool[rng.randrange(len(pool))]
            if depth[p] < MAX_DEPTH:
                break
        parent.append(p)
        depth.append(depth[p] + 1)
        pool.append(p)
        pool.append(i)
    return parent, depth


def _correct(rng: random.Random, ability: float, question: QuestionPlan) -> bool:
    if question.broken == "easy":
        chance = 0.97
    elif question.broken == "hard":
        chance = 0.15
    elif question.broken == "miskeyed":  # the key is wrong: stronger learners "miss" it more
        chance = 1 / (1 + math.exp(1.2 * ability + 0.3))
    else:
        chance = 1 / (1 + math.exp(-1.7 * (ability - question.difficulty)))
    return rng.random() < chance


class Sink:
    """Buffers rows per table and writes them in dependency order, a batch at a time."""

    def __init__(self):
        self.rows = {name: [] for name in ORDER}
        self.count = {name: 0 for name in ORDER}
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        if self.postgres:
            # The generator makes every key consistent by construction, so skip the per-row
            # foreign-key triggers for this transaction only (needs a superuser; else checked).
            try:
                with self.connection.begin_nested():
                    self.connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            except Exception:  # noqa: BLE001 - not allowed: keep the checks, just slower
                pass
            self.connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            # Plain (non-constraint) indexes go and come back after the load: building an
            # index over sorted data is far cheaper than millions of random inserts into it
            # (read_at and submitted_at arrive in no order). DDL is transactional here.
            self.indexes = self.connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(%(tables)s) AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint)", {"tables": list(ORDER)}).all()
            for name, _definition in self.indexes:
                self.connection.exec_driver_sql(f'DROP INDEX "{name}"')

    def finish(self) -> None:
        self.flush()
        for _name, definition in getattr(self, "indexes", ()):
            self.connection.exec_driver_sql(definition)

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in ORDER:
            rows = self.rows[table]
            if not rows:
                continue
            columns = COLUMNS[table]
            if self.postgres:
                cursor = self.connection.connection.driver_connection.cursor()
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.close()
            else:
                marks = ", ".join("?" * len(columns))
                self.connection.exec_driver_sql(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            self.count[table] += len(rows)
            self.rows[table] = []


def _ts(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="microseconds")  # SQLAlchemy's SQLite format


def generate(learners: int, seed: int = 7, days: int = 180, progress=None) -> dict:
    """Create the demo world; returns rows created per table."""
    from ..referrals.rules import Facts, evaluate_tier
    from ..referrals.tiers import active_rules

    rng = random.Random(seed)
    rules, rules_version = active_rules()
    rank_of = {t.key: t.rank for t in rules.tiers}
    plans = plan_curriculum(rng)
    if not plans:
        raise DemoError("No visible courses to learn.")

    def next_id(table: str) -> int:
        return (db.session.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    user0, enrol_id, attempt_id = next_id("users"), next_id("enrolments"), next_id("quiz_attempts")
    cert_id, change_id = next_id("certificates"), next_id("tier_changes")
    transactions.commit()  # a batch: each part is its own unit
    sink = Sink()
    now = utcnow()
    start = now - timedelta(days=days)
    parent, depth = grow_tree(learners, rng)
    # Sign-ups grow over time (more recent weeks see more); sorted so mentors join first.
    offsets = sorted(days * 86400 * math.sqrt(rng.random()) for _ in range(learners))
    joined = [start + timedelta(seconds=s) for s in offsets]
    for i in range(1, learners):  # a mentee never joins before the mentor
        if joined[i] < joined[parent[i]]:
            joined[i] = joined[parent[i]]
    core = [p for p in plans if not p.locked]
    locked = [p for p in plans if p.locked]
    certificates_of: list[frozenset] = [frozenset()] * learners
    certified_at: list[datetime | None] = [None] * learners

    def learn(i: int, user_id: int, course: CoursePlan, moment: datetime, ability: float,
              grit: float, earned: dict) -> tuple[datetime, bool]:
        """One learner through one course; returns (last activity, completed)."""
        nonlocal enrol_id, attempt_id, cert_id
        started = moment
        last = moment
        completed = True
        this_enrolment = enrol_id
        enrol_id += 1
        for module in course.modules:
            for lesson in module.lessons:
                if rng.random() > grit:  # drops out here
                    completed = False
                    break
                last += timedelta(minutes=rng.uniform(4, 40)) if rng.random() < 0.7 else \
                    timedelta(hours=rng.uniform(8, 60))
                if last > now:
                    completed = False
                    break
                sink.add("lesson_progress", (user_id, lesson, _ts(last)))
            if not completed:
                break
            quiz = module.quiz
            if quiz is None:
                continue
            passed = False
            for number in range(1, MAX_ATTEMPTS + 1):
                if number > 1 and rng.random() > grit:
                    break
                began = last + timedelta(minutes=rng.uniform(1, 30) if number == 1 else rng.uniform(60, 2000))
                submitted = began + timedelta(minutes=rng.uniform(2, 12))
                if submitted > now:
                    break
                last = submitted
                score, details, answers = 0.0, [], []
                skill = ability + 0.35 * (number - 1)  # learning from feedback
                saved = _ts(submitted)
                for q in quiz.questions:
                    if rng.random() < 0.03:  # left blank
                        details.append(q.details["blank"])
                        continue
                    if _correct(rng, skill, q):
                        score += q.points
                        details.append(q.details["right"])
                        answers.append((attempt_id, q.id, q.right, saved))
                    else:
                        details.append(q.details["wrong"])
                        answers.append((attempt_id, q.id, rng.choices(q.wrong, q.wrong_weights)[0],
                                        saved))
                percent = round(100 * score / quiz.max_points, 2) if quiz.max_points else 0.0
                passed = percent + 1e-9 >= quiz.pass_mark
                sink.add("quiz_attempts", (
                    attempt_id, user_id, quiz.quiz_id, quiz.version_id, number, "graded", quiz.layout,
                    _ts(began), saved, score, quiz.max_points, percent, passed,
                    '{"questions":{' + ",".join(details) + '},"late":false}'))
                for answer in answers:  # after their attempt: a batch may be written in between
                    sink.add("quiz_answers", answer)
                attempt_id += 1
                if passed:
                    break
            if not passed:
                completed = False
                break
        done_at = last if completed else None
        sink.add("enrolments", (this_enrolment, user_id, course.id, _ts(started), _ts(last),
                                _ts(done_at) if done_at else None))
        if completed and course.certificate:
            issued = done_at + timedelta(seconds=rng.uniform(1, 90))
            if issued <= now:
                sink.add("certificates", (cert_id, f"demo-{cert_id:x}-{rng.getrandbits(64):016x}",
                                          user_id, course.id, 1, f"Demo {i}", course.title,
                                          _ts(issued), _ts(done_at)))
                cert_id += 1
                earned[course.slug] = issued
        return last, completed

    for i in range(learners):
        user_id = user0 + i
        sink.add("users", (user_id, f"learner{user_id}@{DEMO_DOMAIN}", f"Demo {user_id}", "!demo",
                           "learner", "zh" if rng.random() < 0.9 else "en", True, 1, _ts(joined[i])))
        ability = rng.gauss(0, 1)
        grit = min(0.995, max(0.75, rng.gauss(0.95, 0.04) + 0.02 * ability))
        earned: dict = {}
        moment = joined[i] + timedelta(hours=rng.expovariate(1 / 20))
        if rng.random() < 0.88:
            for course in core:
                if moment > now:
                    break
                moment, completed = learn(i, user_id, course, moment, ability, grit, earned)
                moment += timedelta(hours=rng.expovariate(1 / 30))
                if not completed or rng.random() > 0.85:
                    break
            needed = next((t.certificates for t in rules.tiers if t.rank == 1), ())
            if needed and set(needed) <= set(earned):
                certified_at[i] = max(earned[s] for s in needed)
                for course in locked:  # the mentoring course opens once certified
                    if moment <= now and rng.random() < 0.6:
                        moment = max(moment, certified_at[i]) + timedelta(hours=rng.expovariate(1 / 48))
                        if moment <= now:
                            moment, _ = learn(i, user_id, course, moment, ability, grit, earned)
            certificates_of[i] = frozenset(earned)
        if progress and i % 1000 == 999:
            progress(1000)
    # Tiers from the rules' own evaluation, mentees before mentors (they come later).
    tier = ["trainee"] * learners
    mentee_ranks: list[list[int]] = [[] for _ in range(learners)]
    for i in range(learners - 1, -1, -1):
        reached = evaluate_tier(rules, Facts(certificates=certificates_of[i],
                                             mentee_ranks=tuple(mentee_ranks[i])))
        tier[i] = reached.key
        if parent[i] >= 0:
            mentee_ranks[parent[i]].append(reached.rank)
    paths = [""] * learners
    for i in range(learners):
        user_id = user0 + i
        paths[i] = (paths[parent[i]] if parent[i] >= 0 else "/") + f"{user_id}/"
        sink.add("tree_nodes", (user_id, user0 + parent[i] if parent[i] >= 0 else None, paths[i],
                                depth[i], f"D{user_id:010d}"[-12:], _ts(joined[i]), tier[i],
                                rank_of[tier[i]]))
        previous = "trainee"
        for step in rules.tiers[1:rank_of[tier[i]] + 1]:
            when = certified_at[i] or joined[i]
            if step.rank > 1:
                when = max(when, joined[i]) + timedelta(days=rng.uniform(1, 20))
            sink.add("tier_changes", (change_id, user_id, previous, step.key, rules_version.id,
                                      "demo data", _ts(min(when, now))))
            change_id += 1
            previous = step.key
    if progress and learners % 1000:
        progress(learners % 1000)
    sink.finish()
    if sink.postgres:
        for table, column in SEQUENCES.items():
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT coalesce(max({column}), 1) FROM {table}))"))
    transactions.commit()  # a batch: each part is its own unit
    if sink.postgres:
        # What autovacuum would do: planner statistics and the visibility map.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        transactions.commit()  # a batch: each part is its own unit
    return dict(sink.count)
