"""Bitstring Status List: every certificate's bit, the signed list, revocation that reaches a
copy downloaded before it, and the codes people type."""
import gzip
import json
import threading

import pytest
from sqlalchemy import select

from app.transactions import unit_of_work
from app.certificates import status
from app.certificates.models import Certificate, StatusList
from app.extensions import db
from tests.certificates.test_verification import _admin, _credential
from tests.conftest import csrf_token


def test_positions_are_a_bijection_of_the_whole_list():
    key = b"k" * 32
    positions = {status.permute(key, value) for value in range(status.SIZE)}
    assert len(positions) == status.SIZE and max(positions) == status.SIZE - 1
    # Neighbouring certificates land far apart, and another key gives another order.
    first = [status.permute(key, value) for value in range(16)]
    assert first != sorted(first)
    assert first != [status.permute(b"x" * 32, value) for value in range(16)]


def test_the_encoding_is_the_specs():
    bits = status.bitstring([0, 9, status.SIZE - 1])
    assert len(bits) * 8 == status.SIZE == 131_072
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01  # index 0 is the leftmost bit
    encoded = status.encode(bits)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert status.decode(encoded) == bits
    assert status.encode(bits) == encoded  # same bits, same text


@pytest.mark.parametrize("encoded", [
    "zabc", "u!!!", "u" + "A" * 10, 42, None,
    # A zip bomb: 64 MB of zeros compresses to a few kilobytes.
    "u" + __import__("base64").urlsafe_b64encode(gzip.compress(bytes(64 << 20))).decode().rstrip("="),
    # Too short to be a list.
    status.encode(b"\x00" * 100),
])
def test_unreadable_lists_are_refused_without_unzipping_a_bomb(encoded):
    with pytest.raises(ValueError):
        status.decode(encoded)


def _status_of(app, credential):
    entry = credential["credentialStatus"]
    response = app.test_client().get(entry["statusListCredential"].removeprefix(app.config["PUBLIC_BASE_URL"]))
    return entry, response


def test_every_credential_carries_its_entry_and_the_list_is_signed_and_cached(app, certified):
    from app.certificates.credential import VC_CONTEXT, verify_signature

    credential = _credential(app, certified)
    entry, response = _status_of(app, credential)
    base = app.config["PUBLIC_BASE_URL"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"] == f"{base}/status/1"
    assert entry["id"] == f"{base}/status/1#{entry['statusListIndex']}"
    assert response.status_code == 200 and response.mimetype == "application/vc"
    assert "max-age=300" in response.headers["Cache-Control"] and response.headers["ETag"]
    assert app.test_client().get("/status/1", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    listed = json.loads(response.get_data())
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    with unit_of_work(app):
        assert verify_signature(listed, contexts=[VC_CONTEXT]).ok
        assert not status.revoked_in(listed["credentialSubject"], int(entry["statusListIndex"]))
    assert app.test_client().get("/status/2").status_code == 404
    assert app.test_client().get("/status/99999999999").status_code == 404


def test_revoking_flips_the_bit_and_an_old_copy_then_fails(app, certified, make_user, runner, tmp_path):
    old_copy = _credential(app, certified)
    entry, before = _status_of(app, old_copy)
    path = tmp_path / "downloaded-before.json"
    path.write_text(json.dumps(old_copy))
    assert runner.invoke(args=["certificates", "verify", str(path)]).exit_code == 0

    admin = _admin(app, make_user)
    page = f"/admin/certificates/{certified}"
    token = csrf_token(admin, page)
    admin.post(page, data={"action": "revoke", "reason": "Exam fraud", "csrf_token": token})

    _, after = _status_of(app, old_copy)
    assert after.headers["ETag"] != before.headers["ETag"]
    listed = json.loads(after.get_data())
    bits = status.decode(listed["credentialSubject"]["encodedList"])
    assert [i for i in range(status.SIZE) if status.bit_is_set(bits, i)] == [int(entry["statusListIndex"])]
    # The holder's credential is not re-signed: the same bytes as before.
    assert _credential(app, certified) == old_copy
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code != 0 and "REVOKED" in result.output and "Exam fraud" in result.output
    assert "Status list" in result.output

    # Re-issuing gives a new certificate with a new bit; the old bit stays set.
    admin.post(page, data={"action": "reissue", "csrf_token": token})
    with unit_of_work(app):
        fresh = db.session.scalar(select(Certificate.code).where(Certificate.generation == 2))
    new_entry = _credential(app, fresh)["credentialStatus"]
    assert new_entry["statusListIndex"] != entry["statusListIndex"]
    fresh_path = tmp_path / "fresh.json"
    fresh_path.write_text(json.dumps(_credential(app, fresh)))
    assert runner.invoke(args=["certificates", "verify", str(fresh_path)]).exit_code == 0


def test_a_status_list_that_was_not_signed_by_us_is_not_believed(app, certified, runner, tmp_path):
    """The verifier reads the list from the database and checks the list's own signature:
    a list row someone rewrote (all bits clear, no valid proof) does not pass."""
    credential = _credential(app, certified)
    _status_of(app, credential)  # signs and stores the list
    with unit_of_work(app):
        row = db.session.get(StatusList, 1)
        forged = json.loads(json.dumps(row.credential))
        forged["credentialSubject"]["encodedList"] = status.encode(status.bitstring([1, 2, 3]))
        row.credential = forged
        db.session.commit()
    path = tmp_path / "c.json"
    path.write_text(json.dumps(credential))
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code != 0 and "status list's own signature" in result.output


def test_a_forged_status_entry_is_refused(app, certified, runner, tmp_path):
    credential = _credential(app, certified)
    credential["credentialStatus"]["statusListCredential"] = "https://evil.example/status/1"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(credential))
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code != 0 and "INVALID" in result.output  # the signature no longer holds


def test_two_revocations_at_once_in_one_list_both_reach_the_list(app, quiz_learner, make_user):
    """Each revocation re-signs the list under a row lock: the second waits for the first and
    reads its bit (without the lock, the last to commit would publish only its own)."""
    from app.certificates.services import issue_certificate, revoke
    from app.learning.models import Course, Enrolment

    ids = [make_user(f"learner{i}@example.com") for i in range(2)]
    with unit_of_work(app):
        course_id = db.session.scalar(select(Course.id).where(Course.grants_certificate.is_(True)).limit(1))
        for user_id in ids:
            db.session.add(Enrolment(user_id=user_id, course_id=course_id, completed_at=db.func.now()))
        db.session.commit()
        certificates = [issue_certificate(user_id, course_id).id for user_id in ids]
    barrier = threading.Barrier(2)
    errors = []

    def revoke_one(certificate_id):
        try:
            barrier.wait()
            with unit_of_work(app):
                revoke(db.session.get(Certificate, certificate_id), "test", None)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=revoke_one, args=(c,)) for c in certificates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    with unit_of_work(app):
        listed = db.session.get(StatusList, 1).credential
        secret = db.session.get(StatusList, 1).secret
    bits = status.decode(listed["credentialSubject"]["encodedList"])
    for certificate_id in certificates:
        assert status.bit_is_set(bits, status.permute(secret, (certificate_id - 1) % status.SIZE))


def test_certificates_loaded_in_bulk_get_their_list_when_first_read(app, certified):
    """Demo data and rows from before status lists have no list row: the first GET creates
    it aside (a GET never writes through its own transaction) and serves the credential."""
    with unit_of_work(app):
        db.session.query(StatusList).delete()
        db.session.commit()
    client = app.test_client()
    page = client.get(f"/verify/{certified}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Valid certificate" in page.get_data(as_text=True)
    credential = _credential(app, certified)
    assert client.get(_path(credential)).status_code == 200


def _path(credential):
    return "/" + credential["credentialStatus"]["statusListCredential"].split("/", 3)[3]
