"""Every admin statistics page (and the ledger and user search, when present) timed through the
test client against a generated database, next to a baseline measured in the same run.

    flask --app app demo generate --learners 1000000        # with DATABASE_URL set
    DATABASE_URL=postgresql://... python bench/admin_pages.py [--repeat 3]

The baseline is `SELECT count(*) FROM users` (one scan of the biggest table people picture);
each page is requested once to warm up, then --repeat times: the median is shown. "live"
rows time the same figures computed from the raw tables, without the roll-ups, which is why
the roll-ups exist. Target: every page under 1 s on PostgreSQL.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MS = 1000
EXPORT_ROWS = 10_000


def timed(action, repeat: int) -> float:
    action()  # warm-up: caches and the first connection are not what operators wait for
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-live", action="store_true", help="skip the roll-up-free timings")
    args = parser.parse_args()
    if not args.database:
        parser.error("set DATABASE_URL or --database")
    os.environ.update(DATABASE_URL=args.database, SECRET_KEY=os.environ.get("SECRET_KEY", "bench"),
                      SMALLB_ENV="production",
                      PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1"))
    from flask import url_for
    from sqlalchemy import func, select, text
    from werkzeug.datastructures import MultiDict

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.learning.models import Course
    from app.quizzes.models import Quiz, QuizVersion
    from app.statistics import services
    from app.statistics.models import Team

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        learners = db.session.scalar(select(func.count()).select_from(User))
        admin = db.session.scalar(select(User).where(User.email == "bench-admin@demo.smallb.example"))
        if admin is None:
            admin = User(email="bench-admin@demo.smallb.example", display_name="Bench admin",
                         password_hash="!", role="admin")
            db.session.add(admin)
            db.session.commit()
        session_id = admin.get_id()
        courses = db.session.scalars(select(Course.slug).order_by(Course.position)).all()
        quizzes = db.session.scalars(select(Quiz.id).order_by(Quiz.id)).all()
        # Mentors to filter by: the biggest team, one of about 1 % of everyone, and the
        # biggest team under STATISTICS_TEAM_MINIMUM (the slowest one answered live).
        sizes = services.big_teams(1)
        minimum = services.team_minimum()
        mentors = []
        for label, size in (("biggest team", max(sizes.values(), default=0)),
                            ("team of about 1 %", learners // 100),
                            ("biggest live team", max((n for n in sizes.values() if n < minimum),
                                                      default=0))):
            mentor = min(sizes, key=lambda m: abs(sizes[m] - size), default=None)
            if mentor is not None:
                kind = "team cube" if db.session.get(Team, mentor) else "live"
                mentors.append((f"dashboard, {label}: {sizes[mentor]:,} ({kind})", mentor))
        refreshed = services.last_refresh()
        some_week = services.iso_week(services.local_today() - timedelta(weeks=4))
        db.session.remove()  # end the CLI-style (write) transaction before timing anything

        def baseline():
            with db.engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM users")).scalar()

        base_ms = timed(baseline, args.repeat)

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True

    pages = [("admin hub", "/admin/"),
             ("dashboard, last 90 days", "/admin/statistics"),
             ("dashboard, one course", f"/admin/statistics?course={courses[0]}"),
             ("dashboard, tier certified", "/admin/statistics?tier=certified"),
             ("dashboard, sign-up week", f"/admin/statistics?cohort={some_week}"),
             ("mentor outcomes", "/admin/statistics/mentors")]
    pages[5:5] = [(name, f"/admin/statistics?mentor={mentor}") for name, mentor in mentors]
    pages += [(f"funnel {slug}", f"/admin/statistics/courses/{slug}") for slug in courses]
    pages += [(f"items quiz {quiz_id}", f"/admin/statistics/quizzes/{quiz_id}") for quiz_id in quizzes[:5]]
    with app.test_request_context():
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        others = [("ledger", "ledger.index", {}), ("ledger export, first 10,000 rows", "ledger.export", {}),
                  ("user search", "users_admin.index", {"q": "learner1234"})]
        others[1:1] = [(f"ledger, {name.split(', ', 1)[1].split(' (')[0]}", "ledger.index",
                        {"mentor": str(mentor)}) for name, mentor in mentors]
        for name, endpoint, params in others:
            if endpoint in endpoints:
                pages.append((name, url_for(endpoint, **params)))
            else:
                print(f"note: {endpoint} is not in this app's url_map; '{name}' skipped")

    def fetch(url):
        def run():
            response = client.get(url, buffered=False)
            assert response.status_code == 200, (url, response.status_code)
            if response.mimetype == "text/csv":
                lines = 0
                for chunk in response.response:
                    lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
                    if lines >= EXPORT_ROWS:
                        break
            else:
                response.get_data()
            response.close()
        return run

    rows = [(name, timed(fetch(url), args.repeat)) for name, url in pages]
    live = []
    if not args.no_live:
        with app.test_request_context():
            chosen, _ = services.parse_filters(MultiDict())
            live.append(("dashboard figures from raw tables", timed(lambda: services.live_dashboard(chosen), 1)))
            course = db.session.scalar(select(Course).order_by(Course.position))
            live.append((f"funnel {course.slug} from raw tables", timed(lambda: services.live_funnel(course), 1)))
            version = db.session.get(QuizVersion, db.session.get(Quiz, quizzes[0]).current_version_id)
            live.append((f"items quiz {quizzes[0]} from raw tables",
                         timed(lambda: services.live_item_analysis(version), 1)))
            live.append(("mentor outcomes from raw tables", timed(services.live_mentor_outcomes, 1)))
    dialect = args.database.split(":")[0]
    print(f"\n{dialect}, {learners:,} users; roll-ups refreshed at {refreshed or 'never'}")
    print(f"baseline SELECT count(*) FROM users: {base_ms:.1f} ms\n")
    print(f"{'page':45} {'ms':>9} {'x baseline':>11}  target")
    for name, ms in rows:
        print(f"{name:45} {ms:9.1f} {ms / base_ms:10.1f}x  {'ok' if ms < TARGET_MS else 'MISSED'}")
    for name, ms in live:
        print(f"{name:45} {ms:9.1f} {ms / base_ms:10.1f}x  (no roll-up; not a page)")


if __name__ == "__main__":
    main()
