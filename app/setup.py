"""First start of the embedded default: schema by migrations, the curriculum, demo accounts."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

DEMO_ACCOUNTS = (
    ("learner", "learner@demo.example.com", "小林 Xiao Lin"),
    ("trainer", "trainer@demo.example.com", "王老师 Trainer Wang"),
    ("admin", "admin@demo.example.com", "运营 Admin"),
    # A learner account at the mentor tier, the demo learner's mentor: she reviews her work.
    ("mentor", "mentor@demo.example.com", "陈姐 Mentor Chen"),
)
DEMO_HAND_IN = ("欢迎@小美 ～小美是我们小区的邻居，孩子和我家同班。咱们群专聊宝宝辅食和好用的母婴用品，"
                "群规在群公告里，不发广告哦。小美，你家宝宝现在爱吃什么？")


def set_up_embedded_default(app: Flask) -> None:
    from flask_migrate import upgrade

    from .accounts.models import User
    from .accounts.services import register_user
    from .authoring.curriculum import CurriculumError
    from .authoring.grants import grant
    from .authoring.services import import_curriculum
    from .config import courses_path_problem
    from . import transactions
    from .extensions import db
    from .learning.models import Course
    from .referrals.services import place_user
    from .referrals.tiers import current_rules

    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_PATH"])
        path = app.config["COURSES_PATH"]
        if db.session.scalar(select(func.count()).select_from(Course)) == 0:
            # A wrong COURSES_PATH costs the curriculum, said in one line, not every command:
            # `flask users …` and the portal itself still work, and the next start tries again.
            problem = courses_path_problem(path)
            try:
                counts = None if problem else import_curriculum(path)
            except CurriculumError as error:
                db.session.rollback()
                problem = (f"{len(error.errors)} problem(s) in COURSES_PATH={path}, the first: "
                           f"{error.errors[0]} (see them all: flask --app app courses check {path})")
            transactions.commit()  # first start is its own unit: the courses, then the people
            if problem:
                print(f"SmallB Academy: no courses imported: {problem}", file=sys.stderr, flush=True)
            else:
                print(f"SmallB Academy: imported {counts['courses new']} courses, "
                      f"{counts['lessons new']} lessons and {counts['quizzes new']} quizzes "
                      f"from {path}.", flush=True)
        if db.session.scalar(select(func.count()).select_from(User)) == 0:
            lines, people = [], {}
            for role, email, name in DEMO_ACCOUNTS:
                password = secrets.token_urlsafe(12)
                people[role] = register_user(email, name, password, locale="zh",
                                             role="learner" if role == "mentor" else role)
                lines.append(f"  {role:8} {email:28} password: {password}")
            mentor = place_user(people["mentor"], None)
            mentor.tier, mentor.tier_rank = "mentor", current_rules().rank("mentor")
            for role in ("learner", "trainer", "admin"):
                place_user(people[role], mentor if role == "learner" else None)
            db.session.flush()
            _demo_hand_in(people["learner"])
            # The demo trainer can open and edit every shipped course at once (a real trainer
            # is given courses by an admin on the course's access page).
            for course in db.session.scalars(select(Course)):
                grant(course, people["trainer"], people["admin"])
            transactions.commit()
            credentials = Path(app.instance_path) / "demo-accounts.txt"
            credentials.write_text("\n".join(lines) + "\n")
            credentials.chmod(0o600)
            print(f"SmallB Academy demo accounts (also saved in {credentials}):")
            print("\n".join(lines), flush=True)


def _demo_hand_in(learner) -> None:
    """The demo learner's welcome message, handed in and waiting for the demo mentor (when
    the curriculum has the welcome-message assignment)."""
    from sqlalchemy import select as select_

    from .extensions import db
    from .practice import assignments
    from .practice.models import Assignment

    item = db.session.scalar(select_(Assignment).where(Assignment.slug == "welcome-message",
                                                       Assignment.hidden.is_(False)))
    if item is not None and item.current_version is not None:
        assignments.hand_in(learner, item, DEMO_HAND_IN)
