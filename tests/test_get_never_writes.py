"""GET never writes: the whole suite runs with a guard that fails any INSERT, UPDATE or
DELETE a GET or HEAD makes in its own transaction (GET_WRITES_FORBIDDEN, set by conftest)."""
import pytest
from sqlalchemy import func, select, update

from app.transactions import unit_of_work
from app.accounts.models import User
from app.database import WriteDuringRead, write_aside
from app.extensions import db
from app.referrals.models import TreeNode
from tests.conftest import Auth


def test_the_guard_fails_a_get_that_writes(app):
    @app.route("/_writes_on_get")
    def writes():
        db.session.execute(update(User).values(display_name="x"))
        return "no"

    @app.route("/_writes_aside")
    def writes_aside():
        return "yes" if write_aside(update(User).where(User.id < 0).values(display_name="x")) else "no"

    client = app.test_client()
    with pytest.raises(WriteDuringRead, match="GET /_writes_on_get wrote: UPDATE users"):
        client.get("/_writes_on_get")
    assert client.get("/_writes_aside").get_data(as_text=True) == "yes"  # the sanctioned way


def test_pages_of_an_account_without_a_tree_node_make_none(app, make_user):
    """Accounts made before the tree got their node on a first GET of /tier; now every road
    that makes an account places it, the migration gave the old ones theirs, and a GET only
    shows a stand-in."""
    user_id = make_user("old@example.com")
    with unit_of_work(app):
        db.session.execute(TreeNode.__table__.delete().where(TreeNode.user_id == user_id))
        db.session.commit()
    client = app.test_client()
    Auth(client).login("old@example.com")
    assert client.get("/tier").status_code == 200
    assert client.get("/invite").status_code == 404
    with unit_of_work(app):
        assert db.session.scalar(select(func.count()).select_from(TreeNode).where(
            TreeNode.user_id == user_id)) == 0


def test_an_api_get_records_token_use_aside_and_at_most_every_few_minutes(app, make_user):
    from app.api.models import ApiToken
    from app.api.services import create_token

    user_id = make_user("p@example.com")
    with unit_of_work(app):
        token = create_token("shop", ["tiers:read"])[1]
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/learners/{user_id}/tier", headers=headers).status_code == 200
    with unit_of_work(app):
        first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    assert client.get(f"/api/v1/learners/{user_id}/tier", headers=headers).status_code == 200
    with unit_of_work(app):
        assert db.session.scalar(select(ApiToken.last_used_at)) == first  # not every call
