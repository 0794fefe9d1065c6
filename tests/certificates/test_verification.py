"""Public verification page, PDF, poster, signed credential and revocation."""
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.transactions import unit_of_work
from app.accounts.models import User
from app.certificates.models import Certificate
from app.extensions import db
from tests.conftest import Auth, csrf_token

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def test_verify_page_shows_the_facts_without_login(app, certified):
    page = app.test_client().get(f"/verify/{certified}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Valid certificate" in text and "小林" in text and "Gamma course" in text
    assert certified in text and "SmallB Academy" in text
    zh = app.test_client().get(f"/verify/{certified}", headers={"Accept-Language": "zh"})
    assert "有效证书" in zh.get_data(as_text=True) and "伽马课程" in zh.get_data(as_text=True)


def test_unknown_codes_get_the_same_404(client):
    first = client.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAA")
    second = client.get("/verify/zzzz")
    assert first.status_code == second.status_code == 404
    # Alike but for the request's own id (the support reference) and the form's token.
    strip = lambda r: re.sub(r"[0-9a-f]{32}", "", r.get_data(as_text=True).split('name="csrf_token"')[0])  # noqa: E731
    assert strip(first) == strip(second)
    for suffix in (".pdf", ".png", ".json"):
        assert client.get(f"/verify/nope{suffix}").status_code == 404


def test_verify_is_rate_limited(client):
    codes = [client.get(f"/verify/guess{i}").status_code for i in range(61)]
    assert codes[:60] == [404] * 60 and codes[60] == 429


def test_the_learners_name_is_escaped(app, certified):
    with unit_of_work(app):
        db.session.execute(update(Certificate).values(learner_name='<script>alert(1)</script>'))
        db.session.commit()
    text = app.test_client().get(f"/verify/{certified}").get_data(as_text=True)
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_pdf_is_a4_landscape_deterministic_cached_and_readable(app, certified):
    from pypdf import PdfReader

    client = app.test_client()
    first = client.get(f"/verify/{certified}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert client.get(f"/verify/{certified}.pdf").data == first.data
    assert client.get(f"/verify/{certified}.pdf", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    reader = PdfReader(io.BytesIO(first.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    text = reader.pages[0].extract_text()
    assert certified in text and "小林" in text and "伽马课程" in text


def test_pdf_embeds_its_cjk_font_when_one_is_installed(app, certified):
    from pypdf import PdfReader

    from app.fonts import CJK_CANDIDATES

    if not any(Path(p).exists() for p in CJK_CANDIDATES):
        pytest.skip("no embeddable CJK font installed (Debian: fonts-wqy-zenhei)")
    reader = PdfReader(io.BytesIO(app.test_client().get(f"/verify/{certified}.pdf").data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get("/FontFile2")
                if "/DescendantFonts" in f.get_object() else f.get_object().get("/FontDescriptor", {}).get("/FontFile2")
                for f in fonts.values()]
    assert any(embedded)


def test_other_scripts_render_too(app, certified):
    from pypdf import PdfReader

    with unit_of_work(app):
        db.session.execute(update(Certificate).values(learner_name="Ольга Zoë 小林"))
        db.session.commit()
    reader = PdfReader(io.BytesIO(app.test_client().get(f"/verify/{certified}.pdf").data))
    assert "Ольга Zoë 小林" in reader.pages[0].extract_text()


def test_poster_is_a_phone_sized_png(app, certified):
    from PIL import Image

    response = app.test_client().get(f"/verify/{certified}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1080, 1440)
    assert response.headers["ETag"]


def _credential(app, code):
    response = app.test_client().get(f"/verify/{code}.json")
    assert response.mimetype == "application/vc"  # VC 2.0's media type
    return json.loads(response.get_data())


@pytest.mark.parametrize("schema", ["ob_v3p0_achievementcredential_schema.json",
                                    "achievementcredential.schema.json"])
def test_credential_validates_against_the_1edtech_schema(app, certified, schema):
    import jsonschema

    path = CONFORMANCE / "openbadges3" / schema
    if not path.exists():
        pytest.skip("shared/conformance is not beside the project")
    validator = jsonschema.Draft201909Validator(json.loads(path.read_text()),
                                                format_checker=jsonschema.FormatChecker())
    errors = list(validator.iter_errors(_credential(app, certified)))
    assert errors == []


def test_pinned_contexts_are_the_conformance_copies():
    ours = Path(__file__).parents[2] / "app" / "certificates" / "contexts"
    theirs = CONFORMANCE / "contexts"
    if not theirs.exists():
        pytest.skip("shared/conformance is not beside the project")
    for name in ("credentials-v2.jsonld", "ob-v3p0-context-3.0.3.json"):
        assert (ours / name).read_bytes() == (theirs / name).read_bytes()


def test_signature_verifies_and_tampering_is_detected(app, certified):
    from app.certificates.credential import verify_signature

    credential = _credential(app, certified)
    with unit_of_work(app):
        assert verify_signature(credential).ok
        for tamper in (lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Mallory"),
                       lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
                       lambda c: c["proof"][0].update(created="2020-01-01T00:00:00Z"),
                       lambda c: c["credentialSubject"]["achievement"].update(name="Other")):
            changed = json.loads(json.dumps(credential))
            tamper(changed)
            assert not verify_signature(changed).ok


def test_cli_verifies_offline_and_refuses_tampered_files(app, certified, runner, tmp_path):
    credential = _credential(app, certified)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(credential))
    result = runner.invoke(args=["certificates", "verify", str(good)])
    assert result.exit_code == 0 and "VALID" in result.output
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(credential))
    result = runner.invoke(args=["certificates", "verify", str(bad)])
    assert result.exit_code != 0 and "INVALID" in result.output


def _admin(app, make_user):
    make_user("admin@example.com", role="admin")
    client = app.test_client()
    Auth(client).login("admin@example.com")
    return client


def test_admin_revokes_with_a_reason_and_everything_says_so(app, certified, make_user, runner, tmp_path):
    from pypdf import PdfReader

    admin = _admin(app, make_user)
    url = f"/admin/certificates/{certified}"
    token = csrf_token(admin, url)
    refused = admin.post(url, data={"action": "revoke", "reason": " ", "csrf_token": token})
    assert refused.status_code == 400
    assert admin.post(url, data={"action": "revoke", "reason": "Exam fraud", "csrf_token": token}).status_code == 303
    public = app.test_client()
    page = public.get(f"/verify/{certified}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Revoked on" in page
    credential = json.loads(public.get(f"/verify/{certified}.json").get_data())
    assert "validUntil" not in credential  # the status list says it; the credential is as issued
    assert "REVOKED" in PdfReader(io.BytesIO(public.get(f"/verify/{certified}.pdf").data)).pages[0].extract_text()
    path = tmp_path / "c.json"
    path.write_text(json.dumps(credential))
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code != 0 and "REVOKED" in result.output and "Exam fraud" in result.output


def test_reissue_is_an_explicit_admin_action(app, certified, make_user):
    admin = _admin(app, make_user)
    url = f"/admin/certificates/{certified}"
    token = csrf_token(admin, url)
    assert admin.post(url, data={"action": "reissue", "csrf_token": token}).status_code == 400
    admin.post(url, data={"action": "revoke", "reason": "Name misspelt", "csrf_token": token})
    response = admin.post(url, data={"action": "reissue", "csrf_token": token})
    assert response.status_code == 303
    with unit_of_work(app):
        rows = db.session.scalars(select(Certificate).order_by(Certificate.generation)).all()
        assert [(c.generation, c.valid) for c in rows] == [(1, False), (2, True)]
        assert rows[1].code != certified


def test_only_admins_manage_certificates(app, client, certified, make_user):
    assert client.get(f"/admin/certificates/{certified}").status_code == 403
    assert app.test_client().get(f"/admin/certificates/{certified}").status_code == 302


def test_renamed_learner_keeps_the_issued_name(app, certified):
    with unit_of_work(app):
        db.session.execute(update(User).values(display_name="Someone Else"))
        db.session.commit()
    assert "小林" in app.test_client().get(f"/verify/{certified}").get_data(as_text=True)


def test_anything_the_signature_does_not_cover_is_refused_with_its_path(app, certified):
    """JSON-LD canonicalisation drops undefined terms, so an added `"grade": "A+"` would
    still verify: verification refuses any property the contexts do not define, anywhere
    (safe mode), and names where it is."""
    from app.certificates.credential import verify_signature

    credential = _credential(app, certified)
    additions = {
        "credentialSubject.grade": lambda c: c["credentialSubject"].update(grade="A+"),
        "bonus": lambda c: c.update(bonus="yes"),
        "credentialSubject.achievement.level": lambda c: c["credentialSubject"]["achievement"].update(level=9),
        "issuer.rating": lambda c: c["issuer"].update(rating=5),
        "proof.note": lambda c: c["proof"][0].update(note="trust me"),
        # What pyld does not report as dropped, yet is not what was signed:
        "@context": lambda c: c.update({"@context": c["@context"] + [{"grade": None}],
                                        "grade": "A+"}),
        "credentialSubject.@index": lambda c: c["credentialSubject"].update({"@index": "x"}),
        "@foo": lambda c: c.update({"@foo": "bar"}),
        "credentialSubject.achievement.description": lambda c: c["credentialSubject"][
            "achievement"].update(description=None),
        "name2": lambda c: c.update(name2=None),
    }
    with unit_of_work(app):
        assert verify_signature(credential).ok
        for path, add in additions.items():
            changed = json.loads(json.dumps(credential))
            add(changed)
            result = verify_signature(changed)
            assert not result.ok and path in result.reason, (path, result.reason)
