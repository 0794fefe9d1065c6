"""The shop API: tokens, scopes, identical refusals, tier and certificates, OpenAPI fuzzing."""
from datetime import timedelta

import pytest
import schemathesis
from sqlalchemy import update

from app.transactions import unit_of_work
from app.accounts.models import User
from app.clock import utcnow
from app.api.models import ApiToken
from app.api.services import create_token
from app.extensions import db
from app.referrals import services as tree


@pytest.fixture
def shop(app, make_user):
    user_id = make_user("lin@example.com", name="小林")
    with unit_of_work(app):
        user = db.session.get(User, user_id)
        user.external_id = "shop-42"
        tree.ensure_node(user)
        db.session.commit()
        _token, tiers_token = create_token("shop", ["tiers:read"])
        _token, all_token = create_token("shop-all", ["tiers:read", "certificates:read"])
    return user_id, tiers_token, all_token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_tier_by_user_id_and_by_external_id(client, shop):
    user_id, token, _ = shop
    body = client.get(f"/api/v1/learners/{user_id}/tier", headers=bearer(token)).get_json()
    assert body["tier"]["key"] == "trainee" and body["tier"]["name"]["zh"] == "见习店主"
    assert body["earning_terms"]["commission"]["en"] == "Base commission"
    again = client.get("/api/v1/learners/by-external-id/shop-42/tier", headers=bearer(token)).get_json()
    assert again == body
    missing = client.get("/api/v1/learners/99999/tier", headers=bearer(token))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"



@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_staff_accounts_are_not_learners_to_the_shop(app, client, shop, make_user, role):
    """A trainer or an admin has no tier: the API says so (404 not_a_learner) on every
    learner endpoint, by id and by external id, instead of answering a trainee's tier."""
    _user, token, all_token = shop
    staff_id = make_user(f"{role}@example.com", role=role)
    with unit_of_work(app):
        db.session.get(User, staff_id).external_id = f"staff-{role}"
        db.session.commit()
    for url in (f"/api/v1/learners/{staff_id}/tier", f"/api/v1/learners/by-external-id/staff-{role}/tier",
                f"/api/v1/learners/{staff_id}/certificates"):
        response = client.get(url, headers=bearer(token if "tier" in url else all_token))
        body = response.get_json()
        assert response.status_code == 404, url
        assert body["error"] == "not_a_learner" and "not a learner" in body["message"]
        assert "tier" not in body

def test_refusals_are_identical_whatever_is_wrong_with_the_token(app, client, shop):
    user_id, token, _ = shop
    with unit_of_work(app):
        _t, expired = create_token("old", ["tiers:read"])
        _t, revoked = create_token("gone", ["tiers:read"])
        db.session.execute(update(ApiToken).where(ApiToken.name == "old").values(
            expires_at=utcnow() - timedelta(days=1)))
        db.session.execute(update(ApiToken).where(ApiToken.name == "gone").values(revoked_at=utcnow()))
        db.session.commit()
    url = f"/api/v1/learners/{user_id}/tier"
    answers = [client.get(url, headers=h) for h in (
        {}, bearer("sbk_nonsense"), bearer(expired), bearer(revoked), {"Authorization": "Basic eDp5"})]
    assert {r.status_code for r in answers} == {401}
    assert len({r.get_data() for r in answers}) == 1
    wrong_scope = client.get(f"/api/v1/learners/{user_id}/certificates", headers=bearer(token))
    assert wrong_scope.status_code == 403


def test_no_cookies_no_csrf_and_tokens_are_stored_hashed(app, client, shop):
    user_id, token, _ = shop
    response = client.get(f"/api/v1/learners/{user_id}/tier", headers=bearer(token))
    assert "Set-Cookie" not in response.headers
    with unit_of_work(app):
        stored = [t.token_hash for t in db.session.query(ApiToken)]
        assert token not in stored and all(len(h) == 64 for h in stored)


def test_certificates_for_the_shop(client, shop, certified, app):
    _user, _tiers, token = shop
    with unit_of_work(app):
        learner_id = db.session.query(User.id).filter(User.email == "learner@example.com").scalar()
    body = client.get(f"/api/v1/learners/{learner_id}/certificates", headers=bearer(token)).get_json()
    assert body["certificates"][0]["code"] == certified and body["certificates"][0]["status"] == "valid"


def test_cli_creates_and_revokes_tokens(runner, app):
    result = runner.invoke(args=["api", "create-token", "--name", "shop", "--scope", "tiers:read"])
    assert result.exit_code == 0 and "sbk_" in result.output
    prefix = result.output.strip().splitlines()[-1][:12]
    assert runner.invoke(args=["api", "revoke-token", prefix]).exit_code == 0


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.0") and "/api/v1/learners/{user_id}/tier" in document["paths"]


def test_api_fuzz_has_no_server_errors_or_schema_violations(app, shop):
    """schemathesis generates requests from the OpenAPI document for every operation and
    checks each response: no 5xx, status codes, content types and bodies as documented."""
    from hypothesis import HealthCheck, given, settings

    _user, _tiers, token = shop
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=bearer(token))

        check()
