"""Every link that leaves the site comes from PUBLIC_BASE_URL: a request naming another
Host gets nothing that points there (credentials, QR pages, invite links, the API)."""
import json

from sqlalchemy import select

from app.transactions import unit_of_work
from app.api.services import create_token
from app.certificates.models import Certificate
from app.extensions import db
from tests.conftest import Auth, client_at, csrf_token

EVIL = "evil.example"


HOST = {"Host": EVIL}


def test_no_page_or_credential_points_at_the_host_a_request_names(app, certified, make_user):
    app.config["PUBLIC_BASE_URL"] = "https://academy.example.com"
    evil = client_at(app, f"http://{EVIL}")
    make_user("mentor@example.com")
    Auth(evil).login("mentor@example.com")
    bodies = {
        "credential": evil.get(f"/verify/{certified}.json").get_data(as_text=True),
        "verify page": evil.get(f"/verify/{certified}").get_data(as_text=True),
        "invite": evil.get("/invite").get_data(as_text=True),
    }
    credential = json.loads(bodies["credential"])
    assert credential["id"].startswith("https://academy.example.com/verify/")
    for name, url in (("status list", credential["credentialStatus"]["statusListCredential"]),
                      ("achievement", credential["credentialSubject"]["achievement"]["id"]),
                      ("issuer", credential["issuer"]["url"])):
        assert url.startswith("https://academy.example.com/"), name
        path = url.removeprefix("https://academy.example.com")
        bodies[name] = evil.get(path, headers={"Accept": "application/ld+json"}).get_data(as_text=True)
        bodies[name + " page"] = evil.get(path).get_data(as_text=True)
    bodies["verify form"] = evil.get("/verify").get_data(as_text=True)
    with unit_of_work(app):
        token = create_token("shop", ["certificates:read"])[1]
        db.session.commit()
        learner_id = db.session.scalar(select(Certificate.user_id))
    bodies["api"] = evil.get(f"/api/v1/learners/{learner_id}/certificates",
                             headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    for name, body in bodies.items():
        assert EVIL not in body, name
    assert "https://academy.example.com/verify/" in bodies["api"]
    assert "https://academy.example.com/join/" in bodies["invite"]


def test_trusted_hosts_refuse_other_hosts(app, client):
    app.config["TRUSTED_HOSTS"] = ["academy.example.com"]
    refused = client.get("/login", headers=HOST)
    assert refused.status_code == 400 and "请求有误" in refused.get_data(as_text=True)
    assert client.get("/login", headers={"Host": "academy.example.com"}).status_code == 200


def test_handover_links_ignore_the_host(app, make_user):
    app.config["PUBLIC_BASE_URL"] = "https://academy.example.com"
    make_user("admin@example.com", role="admin")
    learner = make_user("+8613800138000")
    admin = client_at(app, f"http://{EVIL}")
    Auth(admin).login("admin@example.com")
    page = f"/admin/users/{learner}"
    response = admin.post(f"{page}/reset-link", data={
        "reason": "lost phone", "csrf_token": csrf_token(admin, page)})
    body = response.get_data(as_text=True)
    assert "https://academy.example.com/password/reset/" in body and EVIL not in body
