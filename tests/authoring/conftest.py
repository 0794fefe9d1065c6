"""Trainers and their clients for the authoring tests."""
import re

import pytest
from sqlalchemy import select

from app.transactions import unit_of_work
from app.extensions import db
from tests.conftest import Auth, csrf_token


class Trainer:
    """A signed-in trainer who edits through the pages, as a browser would without JS."""

    def __init__(self, client):
        self.client = client

    def token(self, url="/author/"):
        return csrf_token(self.client, url)

    def open(self, slug, path):
        page = self.client.get(f"/author/courses/{slug}/files/{path}")
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        revision = int(re.search(r'name="revision" value="(\d+)"', html).group(1))
        text = re.search(r'<textarea[^>]*>(.*?)</textarea>', html, re.S).group(1)
        import html as html_lib
        return html_lib.unescape(text).lstrip("\n"), revision

    def save(self, slug, path, text, revision, json=False):
        headers = {"Accept": "application/json"} if json else {}
        return self.client.post(f"/author/courses/{slug}/files/{path}",
                                data={"text": text, "revision": revision, "action": "save",
                                      "csrf_token": self.token()}, headers=headers)

    def edit(self, slug, path, change):
        text, revision = self.open(slug, path)
        response = self.save(slug, path, change(text), revision)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def publish(self, slug):
        return self.client.post(f"/author/courses/{slug}/publish",
                                data={"csrf_token": self.token()})


def grant(app, slug, email):
    from app.accounts.models import User
    from app.authoring.models import CourseGrant
    from app.learning.models import Course

    with unit_of_work(app):
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.add(CourseGrant(course_id=course.id, user_id=user.id, kind="editor"))
        db.session.commit()


@pytest.fixture
def trainer(app, imported, make_user):
    """A trainer granted alpha and gamma (not beta)."""
    make_user("trainer@example.com", role="trainer", name="培训师", locale="en")
    for slug in ("alpha", "gamma"):
        grant(app, slug, "trainer@example.com")
    client = app.test_client()
    Auth(client).login("trainer@example.com")
    return Trainer(client)


@pytest.fixture
def second_trainer(app, trainer, make_user):
    make_user("trainer2@example.com", role="trainer", name="第二位", locale="en")
    grant(app, "alpha", "trainer2@example.com")
    client = app.test_client()
    Auth(client).login("trainer2@example.com")
    return Trainer(client)
