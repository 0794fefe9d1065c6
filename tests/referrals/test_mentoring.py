"""The mentor dashboard: only one's own direct mentees, only training data; nudges."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.transactions import unit_of_work
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
        with unit_of_work(app):
            from app.quizzes.models import Attempt
            for attempt in db.session.scalars(select(Attempt)):
                attempt.submitted_at -= timedelta(hours=1)
            db.session.commit()
    with unit_of_work(app):  # the second mentee joined long ago and never started
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
    with unit_of_work(app):
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
    with unit_of_work(app):
        mentee_id = db.session.scalar(select(User.id).where(User.phone == "+8613600000005"))
    token = csrf_token(client, "/mentor")
    assert client.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token}).status_code == 303
    assert "王姐" in mentee.get("/notifications").get_data(as_text=True)
    again = client.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token})
    # Refused on her own list, where the next step is, not on a generic error page.
    assert again.status_code == 429 and "24 小时" in again.get_data(as_text=True)
    assert "我的学员" in again.get_data(as_text=True) and "小新" in again.get_data(as_text=True)
    stranger = app.test_client()
    make_user("stranger@example.com")
    Auth(stranger).login("stranger@example.com")
    assert stranger.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": csrf_token(stranger, "/")}).status_code == 404
    with unit_of_work(app):
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
            Notification.kind == "nudge")) == 1


# Each mentee's real situation and the reminder that fits ---------------------------------

@pytest.fixture
def mentor(app, client, imported, make_user, tmp_path):
    """A signed-in mentor (王姐), under rules where Certified needs gamma and alpha."""
    from app.referrals import tiers
    from tests.certificates.test_course_end import RULES

    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    yield client
    tiers.reset_cache()


def user_id(app, phone: str) -> int:
    with unit_of_work(app):
        return db.session.scalar(select(User.id).where(User.phone == "+86" + phone))


def card(page: str, name: str) -> str:
    """One mentee's card on the mentor page."""
    return next(part for part in page.split('<li class="card mentee">') if f"<h2>{name}</h2>" in part)


def age_attempts(app, hours: int = 2) -> None:
    """Time passes: every attempt was submitted `hours` earlier (cooldowns run out)."""
    from app.quizzes.models import Attempt

    with unit_of_work(app):
        for attempt in db.session.scalars(select(Attempt)):
            attempt.submitted_at -= timedelta(hours=hours)
            attempt.started_at -= timedelta(hours=hours)
        db.session.commit()


def send(client, mentee_id: int, reminder: str | None):
    data = {"csrf_token": csrf_token(client, "/mentor")}
    if reminder is not None:
        data["reminder"] = reminder
    return client.post(f"/mentor/nudge/{mentee_id}", data=data)


def test_a_failed_quiz_calls_for_encouragement_and_she_reads_it(app, mentor):
    mentee = Learner(join_under(app, mentor, "13600000011", "小新"))
    mentee.read("gamma", "intro")
    mentee.submit(mentee.start_attempt_id(), WRONG)
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    assert "认证店主：已获得 0 / 2 张证书" in row
    assert "正在学：伽马课程 · “开始”的测验" in row
    assert 'name="reminder" value="encourage"' in row and "发送鼓励" in row
    assert send(mentor, user_id(app, "13600000011"), "encourage").status_code == 303
    assert "这次测验有点难" in mentee.client.get("/notifications").get_data(as_text=True)
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    assert "24 小时后才能再提醒" in row and "发送鼓励" not in row  # one a day, and it shows


def test_two_failures_show_the_cooldown_and_used_up_attempts_offer_another(app, mentor):
    mentee = Learner(join_under(app, mentor, "13600000012", "小新"))
    mentee.read("gamma", "intro")
    for _ in range(2):
        mentee.submit(mentee.start_attempt_id(), WRONG)
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    assert "同一个测验没通过两次" in row
    assert "测验没通过，正在等待：下一次作答" in row  # the 10-minute wait after the second failure
    age_attempts(app)
    mentee.submit(mentee.start_attempt_id(), WRONG)  # the third and last attempt
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    assert "测验机会已经用完" in row and "正在等待" not in row
    # Only a mentor who holds the course's certificate may give another attempt.
    assert "再给一次机会" not in row
    with unit_of_work(app):
        from app.certificates.models import Certificate
        from app.learning.models import Course

        db.session.add(Certificate(code="MENTOR-GAMMA-0000000000", user_id=db.session.scalar(
            select(User.id).where(User.email == "mentor@example.com")), learner_name="王姐",
            course_id=db.session.scalar(select(Course.id).where(Course.slug == "gamma")),
            course_title={"zh": "伽马课程"}))
        db.session.commit()
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    link = re.search(r'<a class="button" href="(/learners/\d+/quizzes)">再给一次机会</a>', row)
    assert link and mentor.get(link.group(1)).status_code == 200


def test_a_fresh_certificate_calls_for_congratulations(app, mentor):
    from tests.certificates.test_course_end import finish_gamma

    mentee = Learner(join_under(app, mentor, "13600000013", "小新"))
    mentee.read("gamma", "intro")
    finish_gamma(mentee)
    row = card(mentor.get("/mentor").get_data(as_text=True), "小新")
    assert "认证店主：已获得 1 / 2 张证书" in row and "发送祝贺" in row
    assert send(mentor, user_id(app, "13600000013"), "congratulate").status_code == 303
    assert "祝贺你拿到“伽马课程”证书" in mentee.client.get("/notifications").get_data(as_text=True)


def test_inactive_days_are_counted_and_a_stale_page_cannot_send_the_wrong_reminder(app, mentor):
    mentee = Learner(join_under(app, mentor, "13600000014", "小新"))
    join_under(app, mentor, "13600000015", "小旧")
    mentee.read("gamma", "intro")
    with unit_of_work(app):
        from app.learning.models import Enrolment

        for enrolment in db.session.scalars(select(Enrolment)):
            enrolment.last_activity_at -= timedelta(days=10)
        for node in db.session.scalars(select(TreeNode).where(TreeNode.mentor_id.is_not(None))):
            node.joined_at -= timedelta(days=12)
        db.session.commit()
    page = mentor.get("/mentor").get_data(as_text=True)
    assert "已经 10 天没学习了" in card(page, "小新") and "发送友好提醒" in card(page, "小新")
    assert "还没开始学习" in card(page, "小旧") and "邀请她开始学习" in card(page, "小旧")
    # A page opened before her situation changed: refused, nothing sent.
    stale = send(mentor, user_id(app, "13600000015"), "congratulate")
    assert stale.status_code == 409 and "情况已经变了" in stale.get_data(as_text=True)
    assert "请求有误" not in stale.get_data(as_text=True)  # her list, not a "bad request" page
    assert send(mentor, user_id(app, "13600000015"), "<script>").status_code == 400
    with unit_of_work(app):
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0
    assert send(mentor, user_id(app, "13600000015"), "start").status_code == 303
    assert send(mentor, user_id(app, "13600000014"), "keep_going").status_code == 303
    with unit_of_work(app):
        reminders = sorted(n.payload["reminder"] for n in db.session.scalars(select(Notification)))
    assert reminders == ["keep_going", "start"]


def test_two_reminders_sent_at_once_make_one(app, mentor, make_user, monkeypatch):
    """The mentee's row is locked while the day's reminders are counted: the second request
    waits for the first to commit, sees its reminder and is refused."""
    import threading
    import time

    from app.referrals import mentoring

    join_under(app, mentor, "13600000016", "小新")
    mentee_id = user_id(app, "13600000016")
    slow = mentoring.mentee_row

    def mentee_row_slowly(*args, **kwargs):
        time.sleep(0.4)  # between the count and the insert: where a race would slip in
        return slow(*args, **kwargs)

    clients = []
    for _ in range(2):  # the mentor on two phones
        clients.append(app.test_client())
        Auth(clients[-1]).login("mentor@example.com")
    tokens = [csrf_token(client, "/mentor") for client in clients]
    monkeypatch.setattr(mentoring, "mentee_row", mentee_row_slowly)
    codes, start = [], threading.Barrier(2)

    def send_one(client, token):
        start.wait()
        codes.append(client.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=send_one, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(codes) == [303, 429]
    with unit_of_work(app):
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 1


def test_mentors_behind_one_address_do_not_use_up_each_others_reminders(app, imported, make_user):
    """The hourly cap on reminders is per mentor: a shop's Wi-Fi or a carrier's shared address
    is one address for many mentors."""
    from app.extensions import limiter

    first, second = app.test_client(), app.test_client()
    for number, (login, person) in enumerate([("m1@example.com", first), ("m2@example.com", second)]):
        make_user(login, name=f"导师{number}")
        Auth(person).login(login)
    mentee = join_under(app, second, "13600000077", "小新")
    assert mentee is not None
    with unit_of_work(app):
        mentee_id = db.session.scalar(select(User.id).where(User.phone == "+8613600000077"))
    # The first mentor spends her hour's allowance (a script sending 200 reminders).
    token = csrf_token(first, "/mentor")
    for _ in range(200):
        first.post("/mentor/nudge/999999", data={"csrf_token": token})
    capped = first.post("/mentor/nudge/999999", data={"csrf_token": token})
    # It says when, from the limit itself: an hour's cap is not "wait a minute".
    assert capped.status_code == 429 and re.search(r"请在 (5\d|60) 分钟后再试", capped.get_data(as_text=True))
    token = csrf_token(second, "/mentor")
    assert second.post(f"/mentor/nudge/{mentee_id}", data={"csrf_token": token}).status_code == 303
    limiter.reset()


def test_sorting_by_progress_orders_every_page_not_each_page(app, client, imported, make_user):
    from app.learning.models import Lesson, LessonProgress
    from app.referrals.mentoring import mentee_rows

    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    for n in range(3):
        join_under(app, client, f"1360000009{n}", f"学员{n}")
    with unit_of_work(app):
        mentor_id = db.session.scalar(select(User.id).where(User.email == "mentor@example.com"))
        lessons = db.session.scalars(select(Lesson.id).order_by(Lesson.id)).all()
        for n in range(3):  # the most recently joined reads least: activity order is not progress
            user_id = db.session.scalar(select(User.id).where(User.phone == f"+861360000009{n}"))
            db.session.add_all(LessonProgress(user_id=user_id, lesson_id=lesson) for lesson in lessons[:3 - n])
        db.session.commit()
        first, _total = mentee_rows(mentor_id, sort="progress", page=1, per_page=2)
        second, _total = mentee_rows(mentor_id, sort="progress", page=2, per_page=2)
    names = [row.name for row in first + second]
    assert names == ["学员0", "学员1", "学员2"], names
