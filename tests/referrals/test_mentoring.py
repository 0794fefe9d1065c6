"""The mentor dashboard: only one's own direct mentees, only training data; nudges."""
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import Notification
from app.referrals.models import TreeNode
from tests.conftest import Auth, csrf_token
from tests.quizzes.conftest import WRONG, Learner


def join_under(app, mentor_client, newcomer_login: str, name: str):
    import re

    page = mentor_client.get("/invite").get_data(as_text=True)
    code = re.search(r'class="invite-code">([A-Z0-9]+)<', page).group(1)
    client = app.test_client()
    assert Auth(client).register(newcomer_login, name=name, invite_code=code).status_code == 302
    return client


def test_dashboard_shows_progress_and_where_mentees_are_stuck(app, client, imported, make_user):
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    mentee = join_under(app, client, "13600000001", "小新")
    join_under(app, client, "13600000002", "小旧")
    person = Learner(mentee)
    person.read("gamma", "intro")
    for _ in range(2):
        person.submit(person.start_attempt_id(), WRONG)
        with app.app_context():
            from app.quizzes.models import Attempt
            for attempt in db.session.scalars(select(Attempt)):
                attempt.submitted_at -= timedelta(hours=1)
            db.session.commit()
    with app.app_context():  # the second mentee joined long ago and never started
        db.session.execute(update(TreeNode).where(TreeNode.user_id == db.session.scalar(
            select(User.id).where(User.phone == "+8613600000002"))).values(
            joined_at=TreeNode.joined_at))
        for node in db.session.scalars(select(TreeNode).where(TreeNode.mentor_id.is_not(None))):
            node.joined_at -= timedelta(days=10)
        db.session.commit()
    page = client.get("/mentor").get_data(as_text=True)
    assert "小新" in page and "小旧" in page
    assert "同一个测验没通过两次" in page and "还没开始学习" in page
    assert "13600000001" not in page and "@" not in page.split("<main")[1]  # training data only


def test_mentors_see_only_their_own_direct_mentees(app, client, imported, make_user):
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    mentee_client = join_under(app, client, "13600000003", "小新")
    # The mentee invites someone: a grand-mentee, not the mentor's business.
    mentee_client.get("/invite")
    with app.app_context():
        code = db.session.execute(select(TreeNode.invite_code).where(
            TreeNode.mentor_id.is_not(None))).scalar_one()
    Auth(app.test_client()).register("13600000004", name="孙辈", invite_code=code)
    page = client.get("/mentor").get_data(as_text=True)
    assert "小新" in page and "孙辈" not in page
    assert "孙辈" in mentee_client.get("/mentor").get_data(as_text=True)


def test_nudges_reach_the_mentee_at_most_daily(app, client, imported, make_user):
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    mentee = join_under(app, client, "13600000005", "小新")
    with app.app_context():
        mentee_id = db.session.scalar(select(User.id).where(User.phone == "+8613600000005"))
    token = csrf_token(client, "/mentor")
    assert client.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token}).status_code == 303
    assert "王姐" in mentee.get("/notifications").get_data(as_text=True)
    again = client.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token})
    assert again.status_code == 429 and "24 小时" in again.get_data(as_text=True)
    stranger = app.test_client()
    make_user("stranger@example.com")
    Auth(stranger).login("stranger@example.com")
    assert stranger.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": csrf_token(stranger, "/")}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
            Notification.kind == "nudge")) == 1
