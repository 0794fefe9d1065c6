"""Signing up through a mentor's link or code; the invite page and poster."""
import io

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.referrals.models import TreeNode
from tests.conftest import PASSWORD, Auth, csrf_token, make_app


def mentor_code(app, client, make_user) -> str:
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    client.get("/invite")  # the mentor's node and code are made on first visit
    with app.app_context():
        return db.session.execute(select(TreeNode.invite_code)).scalar_one()


def test_the_invite_link_makes_the_inviter_the_mentor(app, client, make_user):
    code = mentor_code(app, client, make_user)
    newcomer = app.test_client()
    response = newcomer.get(f"/join/{code.lower()}")
    assert response.status_code == 302 and f"code={code}" in response.headers["Location"]
    form = newcomer.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{code}"' in form
    Auth(newcomer).register("13700000001", name="小新", invite_code=code)
    with app.app_context():
        mentor = db.session.execute(select(User).where(User.email == "mentor@example.com")).scalar_one()
        mentee = db.session.execute(select(User).where(User.phone == "+8613700000001")).scalar_one()
        node = db.session.get(TreeNode, mentee.id)
        assert node.mentor_id == mentor.id and node.path == f"/{mentor.id}/{mentee.id}/"


def test_unknown_and_deactivated_codes_are_refused_clearly(app, client, make_user):
    code = mentor_code(app, client, make_user)
    newcomer = app.test_client()
    token = csrf_token(newcomer, "/register")
    data = {"login": "13700000002", "display_name": "小新", "password": PASSWORD, "language": "zh",
            "invite_code": "ZZZZZZZZ", "csrf_token": token}
    response = newcomer.post("/register", data=data)
    assert response.status_code == 400 and "不认识这个邀请码" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(db.update(User).where(User.email == "mentor@example.com").values(active=False))
        db.session.commit()
    response = newcomer.post("/register", data=dict(data, invite_code=code))
    assert response.status_code == 400 and "已经失效" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User).where(User.phone == "+8613700000002")).scalar_one_or_none() is None


def test_a_code_can_be_required(database_url, _schema, app):
    required = make_app(database_url, INVITE_REQUIRED=True)
    client = required.test_client()
    response = Auth(client).register("13700000003")
    assert response.status_code == 400 and "需要导师的邀请码" in response.get_data(as_text=True)


def test_without_a_code_a_newcomer_is_a_root_when_allowed(app, auth):
    auth.register("13700000004")
    with app.app_context():
        node = db.session.execute(select(TreeNode)).scalar_one()
        assert node.mentor_id is None and node.depth == 0


def test_invite_page_and_poster(app, client, make_user):
    from PIL import Image

    code = mentor_code(app, client, make_user)
    page = client.get("/invite").get_data(as_text=True)
    assert code in page and f"/join/{code}" in page
    poster = client.get("/invite/poster.png")
    assert poster.mimetype == "image/png" and Image.open(io.BytesIO(poster.data)).size == (1080, 1440)
