"""Signing up through a mentor's link or code; the invite page and poster."""
import io

from sqlalchemy import select

from app.transactions import unit_of_work
from app.accounts.models import User
from app.extensions import db
from app.referrals.models import TreeNode
from tests.conftest import PASSWORD, Auth, csrf_token, make_app


def mentor_code(app, client, make_user) -> str:
    make_user("mentor@example.com", name="王姐")
    Auth(client).login("mentor@example.com")
    client.get("/invite")  # the mentor's node and code are made on first visit
    with unit_of_work(app):
        return db.session.execute(select(TreeNode.invite_code)).scalar_one()


def test_the_invite_link_makes_the_inviter_the_mentor(app, client, make_user):
    code = mentor_code(app, client, make_user)
    newcomer = app.test_client()
    response = newcomer.get(f"/join/{code.lower()}")
    assert response.status_code == 302 and f"code={code}" in response.headers["Location"]
    form = newcomer.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{code}"' in form
    Auth(newcomer).register("13700000001", name="小新", invite_code=code)
    with unit_of_work(app):
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
    with unit_of_work(app):
        db.session.execute(db.update(User).where(User.email == "mentor@example.com").values(active=False))
        db.session.commit()
    response = newcomer.post("/register", data=dict(data, invite_code=code))
    assert response.status_code == 400 and "已经失效" in response.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.execute(select(User).where(User.phone == "+8613700000002")).scalar_one_or_none() is None


def test_a_code_can_be_required(database_url, _schema, app):
    required = make_app(database_url, INVITE_REQUIRED=True)
    client = required.test_client()
    response = Auth(client).register("13700000003")
    assert response.status_code == 400 and "需要导师的邀请码" in response.get_data(as_text=True)


def test_without_a_code_a_newcomer_is_a_root_when_allowed(app, auth):
    auth.register("13700000004")
    with unit_of_work(app):
        node = db.session.execute(select(TreeNode)).scalar_one()
        assert node.mentor_id is None and node.depth == 0


def test_invite_page_and_poster(app, client, make_user):
    from PIL import Image

    code = mentor_code(app, client, make_user)
    page = client.get("/invite").get_data(as_text=True)
    assert code in page and f"/join/{code}" in page
    poster = client.get("/invite/poster.png")
    assert poster.mimetype == "image/png" and Image.open(io.BytesIO(poster.data)).size == (1080, 1440)


WECHAT = ("Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 "
          "MMWEBSDK/20240301 MMWEBID/2585 MicroMessenger/8.0.48.2580(0x28003035) WeChat/arm64 "
          "Weixin NetType/WIFI Language/zh_CN ABI/arm64")


def test_the_invite_page_shares_in_one_tap(app, client, make_user):
    import html
    import re

    code = mentor_code(app, client, make_user)
    page = client.get("/invite").get_data(as_text=True)
    link = f"http://localhost/join/{code}"
    # The link in a read-only field that wraps and can be selected by hand; the copy button
    # is hidden until share.js makes it work.
    assert re.search(r'<textarea id="invite-link" class="copy-field invite-link" readonly[^>]*>'
                     + re.escape(link) + "</textarea>", page)
    assert re.search(r'<button type="button" class="button primary" data-copy="invite-link"[^>]*hidden>复制链接',
                     page)
    assert "/assets/" in page and "share.js" in page
    # A message ready to send, in both languages, each with the link.
    texts = {lang: html.unescape(text) for lang, text in re.findall(
        r'<textarea id="invite-text-(zh|en)"[^>]*>([^<]+)</textarea>', page)}
    assert set(texts) == {"zh", "en"} and all(text.endswith(link) for text in texts.values())
    assert "我在小B学院学开店" in texts["zh"] and "I'm learning to sell" in texts["en"]
    assert page.index("invite-text-zh") < page.index("invite-text-en")  # her language first
    # The poster shown, and saved with one tap.
    assert '<img src="/invite/poster.png"' in page
    assert re.search(r'href="/invite/poster.png" download="invite-poster-\w+\.png">保存海报', page)


def test_the_invite_page_in_english_puts_english_first(app, client, make_user):
    make_user("en@example.com", name="Lin", locale="en")
    Auth(client).login("en@example.com")
    page = client.get("/invite").get_data(as_text=True)
    assert page.index("invite-text-en") < page.index("invite-text-zh") and "Copy link" in page


def test_in_wechat_the_poster_is_long_pressed_not_downloaded(app, client, make_user):
    mentor_code(app, client, make_user)
    response = client.get("/invite", headers={"User-Agent": WECHAT})
    page = response.get_data(as_text=True)
    assert '<img src="/invite/poster.png"' in page and "长按海报" in page
    assert "download=" not in page and "保存海报" not in page
    assert "User-Agent" in response.headers["Vary"]


def test_an_account_made_on_the_command_line_has_its_place_in_the_tree(app, runner):
    result = runner.invoke(args=["users", "create", "--login", "ops@example.com", "--name", "Ops",
                                 "--role", "admin", "--password", "long-enough-secret-9"])
    assert result.exit_code == 0, result.output
    with unit_of_work(app):
        user = db.session.execute(select(User).where(User.email == "ops@example.com")).scalar_one()
        node = db.session.get(TreeNode, user.id)
        assert node is not None and node.mentor_id is None and node.path == f"/{user.id}/"
        assert node.invite_code


def test_a_sign_up_whose_placing_fails_leaves_no_account(app, client, make_user):
    """The placing runs inside the registration's transaction: when it refuses, nothing of the
    sign-up is committed, so nobody is ever left without a place in the tree."""
    from app.accounts.errors import account_errors
    from app.accounts.signals import user_registered

    code = mentor_code(app, client, make_user)

    def refuse(_app, **_event):
        raise account_errors("self_invite")

    newcomer = app.test_client()
    with user_registered.connected_to(refuse):
        response = Auth(newcomer).register("13700000005", name="小新", invite_code=code)
    assert response.status_code == 400 and "不能邀请自己" in response.get_data(as_text=True)
    with unit_of_work(app):
        assert db.session.execute(select(User).where(User.phone == "+8613700000005")).scalar_one_or_none() is None
        assert db.session.execute(select(db.func.count()).select_from(TreeNode)).scalar() == 1
