"""Roll-ups agree with the raw tables after random sequences of events (hypothesis)."""
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text, update

from app.extensions import db
from app.statistics.services.dashboard import dashboard, live_dashboard, rollup_dashboard
from app.statistics.services.filters import parse_filters
from app.statistics.services.funnel import funnel, live_funnel
from app.statistics.services.mentors import live_mentor_outcomes, mentor_ranking, ranking_payload
from app.statistics.services.periods import iso_week, local_today
from app.statistics.services.refresh import refresh_statistics
from app.statistics.models import Team

TIERS = ["trainee", "certified", "mentor"]

person = st.fixed_dictionaries({
    "signup": st.integers(0, 20), "hour": st.integers(0, 23),
    "tier": st.sampled_from(TIERS), "mentor": st.integers(-1, 10),
})
event = st.one_of(
    st.tuples(st.just("enrol"), st.integers(0, 11), st.integers(0, 1), st.integers(0, 30),
              st.integers(0, 23), st.one_of(st.none(), st.integers(0, 400))),
    st.tuples(st.just("read"), st.integers(0, 11), st.integers(0, 2), st.integers(0, 30),
              st.integers(0, 23)),
    st.tuples(st.just("attempt"), st.integers(0, 11), st.booleans(), st.integers(0, 30),
              st.integers(0, 23)),
    st.tuples(st.just("certify"), st.integers(0, 11), st.integers(0, 1), st.integers(0, 30),
              st.integers(0, 23)),
)
filter_choice = st.fixed_dictionaries({
    "start": st.integers(0, 25), "length": st.integers(0, 20),
    "course": st.sampled_from(["", "r-one", "r-two"]), "tier": st.sampled_from([""] + TIERS),
    "cohort": st.one_of(st.just(""), st.integers(0, 20)),
    "mentor": st.one_of(st.none(), st.integers(0, 11)),
})


def wipe():
    tables = ["stats_daily", "stats_team_daily", "stats_teams", "stats_completion_times",
              "stats_snapshots", "certificates", "quiz_answers", "quiz_attempts",
              "lesson_progress", "enrolments", "tree_nodes", "quiz_versions", "lessons", "modules",
              "courses", "users"]
    db.session.execute(update(db.metadata.tables["quizzes"]).values(current_version_id=None))
    for name in tables[:12]:
        db.session.execute(delete(db.metadata.tables[name]))
    db.session.execute(delete(db.metadata.tables["quizzes"]))
    for name in tables[12:]:
        db.session.execute(delete(db.metadata.tables[name]))
    db.session.commit()


def build(people, events):
    from app.accounts.models import User
    from app.certificates.models import Certificate
    from app.learning.models import Course, Enrolment, Lesson, LessonProgress, Module
    from app.quizzes.models import Attempt, Quiz, QuizVersion
    from app.referrals.models import TreeNode
    from tests.statistics.conftest import ONE_QUIZ

    base = datetime.combine(local_today() - timedelta(days=30), time())
    s = db.session
    courses, lessons, quizzes = [], [], []
    for n, slug in enumerate(["r-one", "r-two"]):
        course = Course(slug=slug, position=n, grants_certificate=True, title={"en": slug})
        s.add(course)
        s.flush()
        module = Module(course_id=course.id, slug="m", position=1, title={"en": "m"})
        s.add(module)
        s.flush()
        for i in range(2 if n == 0 else 1):
            lesson = Lesson(course_id=course.id, module_id=module.id, slug=f"l{i}", position=i)
            s.add(lesson)
            s.flush()
            lessons.append(lesson.id)
        quiz = Quiz(module_id=module.id)
        s.add(quiz)
        s.flush()
        version = QuizVersion(quiz_id=quiz.id, number=1, content=ONE_QUIZ, content_hash="x")
        s.add(version)
        s.flush()
        quiz.current_version_id = version.id
        courses.append(course.id)
        quizzes.append((quiz.id, version.id))
    ids, nodes = [], []
    for i, p in enumerate(people):
        user = User(email=f"p{i}@r.example.com", display_name=f"P{i}", password_hash="-",
                    created_at=base + timedelta(days=p["signup"], hours=p["hour"]),
                    role="learner" if i % 7 else "trainer")  # some staff, never counted
        s.add(user)
        s.flush()
        mentor = nodes[p["mentor"] % len(nodes)] if nodes and p["mentor"] >= 0 else None
        node = TreeNode(user_id=user.id, mentor_id=mentor.user_id if mentor else None,
                        path=(mentor.path if mentor else "/") + f"{user.id}/",
                        depth=mentor.depth + 1 if mentor else 0, invite_code=f"R{user.id}",
                        joined_at=user.created_at, tier=p["tier"], tier_rank=TIERS.index(p["tier"]))
        s.add(node)
        s.flush()
        ids.append(user.id)
        nodes.append(node)
    seen, numbers = set(), {}
    for kind, who, what, day, hour, *rest in events:
        if not ids:
            break
        user_id = ids[who % len(ids)]
        at = base + timedelta(days=day, hours=hour)
        if kind == "enrol" and (user_id, what, "e") not in seen:
            seen.add((user_id, what, "e"))
            done = at + timedelta(hours=rest[0]) if rest[0] is not None else None
            s.add(Enrolment(user_id=user_id, course_id=courses[what], started_at=at,
                            last_activity_at=at, completed_at=done))
        elif kind == "read" and (user_id, what, "r") not in seen:
            seen.add((user_id, what, "r"))
            s.add(LessonProgress(user_id=user_id, lesson_id=lessons[what], read_at=at))
        elif kind == "attempt":
            quiz_id, version_id = quizzes[who % 2]
            numbers[(user_id, quiz_id)] = number = numbers.get((user_id, quiz_id), 0) + 1
            s.add(Attempt(user_id=user_id, quiz_id=quiz_id, version_id=version_id, number=number,
                          state="graded", layout={"questions": [], "options": {}}, started_at=at,
                          submitted_at=at, score=3 if what else 0, max_score=3,
                          percent=100 if what else 0, passed=what, result={}))
        elif kind == "certify" and (user_id, what, "c") not in seen:
            seen.add((user_id, what, "c"))
            s.add(Certificate(code=f"c{user_id}-{what}", user_id=user_id, course_id=courses[what],
                              learner_name="x", course_title={}, issued_at=at))
    s.commit()
    return base, ids


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=st.lists(person, max_size=12), events=st.lists(event, max_size=40),
       choices=st.lists(filter_choice, min_size=1, max_size=4))
def test_roll_ups_agree_with_the_raw_tables(app, people, events, choices):
    from werkzeug.datastructures import MultiDict

    # Teams of two or more get their own cube, so the random trees have big teams nested in
    # big teams, big teams around small ones, and small teams (computed live).
    app.config["STATISTICS_TEAM_MINIMUM"] = 2
    with app.test_request_context():
        wipe()
        try:
            base, ids = build(people, events)
            refresh_statistics()
            for choice in choices:
                start = (base + timedelta(days=choice["start"])).date()
                args = {"start": start.isoformat(),
                        "end": (start + timedelta(days=choice["length"])).isoformat(),
                        "course": choice["course"], "tier": choice["tier"]}
                if choice["cohort"] != "":
                    args["cohort"] = iso_week((base + timedelta(days=choice["cohort"])).date())
                if choice["mentor"] is not None and ids:
                    args["mentor"] = str(ids[choice["mentor"] % len(ids)])
                filters, errors = parse_filters(MultiDict(args))
                assert errors == []
                live = live_dashboard(filters)
                rolled = (dashboard(filters) if filters.mentor_id
                          else rollup_dashboard(filters, "x"))
                big = filters.mentor_id and db.session.get(Team, filters.mentor_id)
                assert rolled["source"] == ("rollup" if big or not filters.mentor_id else "live")
                for key in ("tiers", "courses", "certificates_per_week", "active_per_day"):
                    assert rolled[key] == live[key], (key, args)
            # The snapshots hold what the live functions compute.
            from app.learning.models import Course

            for course in db.session.query(Course):
                assert funnel(course)[0] == live_funnel(course)
            assert mentor_ranking(3)[0] == ranking_payload(
                live_mentor_outcomes(), 3)
        finally:
            db.session.rollback()
            wipe()
            db.session.execute(text("SELECT 1"))
