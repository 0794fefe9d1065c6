"""First start of the embedded default: schema by migrations, the curriculum, demo accounts."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

DEMO_ACCOUNTS = (
    ("learner", "learner@demo.example.com", "小林 Xiao Lin"),
    ("trainer", "trainer@demo.example.com", "王老师 Trainer Wang"),
    ("admin", "admin@demo.example.com", "运营 Admin"),
)


def set_up_embedded_default(app: Flask) -> None:
    from flask_migrate import upgrade

    from .accounts.models import User
    from .accounts.services import register_user
    from .authoring.drafts import grant
    from .authoring.services import import_curriculum
    from .extensions import db
    from .learning.models import Course
    from .referrals.services import place_user

    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_PATH"])
        if db.session.scalar(select(func.count()).select_from(Course)) == 0:
            counts = import_curriculum(app.config["COURSES_PATH"])
            print(f"SmallB Academy: imported {counts['courses new']} courses, "
                  f"{counts['lessons new']} lessons and {counts['quizzes new']} quizzes "
                  f"from {app.config['COURSES_PATH']}.", flush=True)
        if db.session.scalar(select(func.count()).select_from(User)) == 0:
            lines, people = [], {}
            for role, email, name in DEMO_ACCOUNTS:
                password = secrets.token_urlsafe(12)
                people[role] = register_user(email, name, password, locale="zh", role=role)
                place_user(people[role], None)
                lines.append(f"  {role:8} {email:28} password: {password}")
            db.session.flush()
            # The demo trainer can open and edit every shipped course at once (a real trainer
            # is given courses by an admin on the course's access page).
            for course in db.session.scalars(select(Course)):
                grant(course, people["trainer"], people["admin"])
            db.session.commit()
            credentials = Path(app.instance_path) / "demo-accounts.txt"
            credentials.write_text("\n".join(lines) + "\n")
            credentials.chmod(0o600)
            print("SmallB Academy demo accounts (also saved in instance/demo-accounts.txt):")
            print("\n".join(lines), flush=True)
