"""The admin tree view: search, navigation, audited reassignment, anomaly flags."""
from datetime import datetime, timedelta

from sqlalchemy import select

from app.transactions import unit_of_work
from app.accounts.models import User
from app.extensions import db
from app.referrals import services as tree
from app.referrals.anomalies import most_in_one_hour
from app.referrals.models import MentorChange, TreeNode
from tests.conftest import Auth, csrf_token


def build(app, make_user):
    ids = [make_user(f"u{i}@example.com", name=f"成员{i}") for i in range(4)]
    admin_id = make_user("admin@example.com", role="admin")
    with unit_of_work(app):
        nodes = [tree.ensure_node(db.session.get(User, i)) for i in ids]
        tree.reassign_mentor(ids[1], ids[0], "setup", None)
        tree.reassign_mentor(ids[2], ids[1], "setup", None)
        codes = [db.session.get(TreeNode, i).invite_code for i in ids]
        assert nodes
    client = app.test_client()
    Auth(client).login("admin@example.com")
    return ids, codes, client, admin_id


def test_search_and_navigate(app, make_user):
    ids, codes, client, _ = build(app, make_user)
    assert "成员2" in client.get("/admin/tree?q=成员2").get_data(as_text=True)
    assert f"/admin/tree/{ids[1]}" in client.get(f"/admin/tree?q={codes[1].lower()}").get_data(as_text=True)
    assert "成员0" in client.get("/admin/tree").get_data(as_text=True)  # a root
    page = client.get(f"/admin/tree/{ids[2]}").get_data(as_text=True)
    assert f"/admin/tree/{ids[0]}" in page and f"/admin/tree/{ids[1]}" in page  # the chain
    page = client.get(f"/admin/tree/{ids[0]}").get_data(as_text=True)
    assert "成员1" in page and "<dd>2</dd>" in page  # subtree size


def test_reassign_is_audited_and_cycles_are_refused(app, make_user):
    ids, codes, client, admin_id = build(app, make_user)
    url = f"/admin/tree/{ids[0]}/mentor"
    token = csrf_token(client, f"/admin/tree/{ids[0]}")
    refused = client.post(url, data={"mentor": codes[2], "reason": "try", "csrf_token": token})
    assert refused.status_code == 400 and "循环" in refused.get_data(as_text=True)
    done = client.post(f"/admin/tree/{ids[3]}/mentor", data={"mentor": codes[0], "reason": "asked by shop", "csrf_token": token})
    assert done.status_code == 303
    with unit_of_work(app):
        change = db.session.execute(select(MentorChange).where(MentorChange.user_id == ids[3])).scalar_one()
        assert (change.to_mentor_id, change.changed_by_id, change.reason) == (ids[0], admin_id, "asked by shop")


def test_reparent_in_one_action(app, make_user):
    ids, codes, client, _ = build(app, make_user)
    token = csrf_token(client, f"/admin/tree/{ids[1]}")
    assert client.post(f"/admin/tree/{ids[1]}/reparent", data={"reason": "left", "csrf_token": token}).status_code == 303
    with unit_of_work(app):
        assert db.session.get(TreeNode, ids[2]).mentor_id == ids[0]


def test_burst_window():
    start = datetime(2026, 11, 1, 10)
    assert most_in_one_hour([start + timedelta(minutes=m) for m in (0, 10, 59, 61, 200)]) == 3
    assert most_in_one_hour([]) == 0


def test_burst_signups_are_flagged(app, make_user):
    ids, codes, client, _ = build(app, make_user)
    with unit_of_work(app):
        mentor = db.session.get(TreeNode, ids[3])
        for n in range(21):
            user = User(email=f"burst{n}@example.com", display_name="b", password_hash="-")
            db.session.add(user)
            db.session.flush()
            tree.place_user(user, mentor)
        db.session.commit()
    assert "1 小时内" in client.get(f"/admin/tree/{ids[3]}").get_data(as_text=True)


def test_learners_cannot_see_the_tree(client, learner):
    assert client.get("/admin/tree").status_code == 403
