"""Our credentials in a verifier we did not write: Digital Bazaar's @digitalbazaar/vc with the
eddsa-rdfc-2022 cryptosuite and @digitalbazaar/vc-bitstring-status-list (versions pinned in
tests/certificates/verifier/package-lock.json). Its document loader serves only our pinned
contexts and the status list this test fetched from the app; any other URL fails."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.certificates.credential import OB_CONTEXT, VC_CONTEXT
from tests.certificates.test_verification import _admin, _credential
from tests.conftest import csrf_token

VERIFIER = Path(__file__).with_name("verifier")
CONTEXTS = Path(__file__).resolve().parents[2] / "app" / "certificates" / "contexts"

pytestmark = pytest.mark.skipif(shutil.which("node") is None,
                                reason="Node.js is not installed: the third-party verifier is a Node package")


@pytest.fixture(scope="module")
def verifier():
    if not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").exists():
        npm = shutil.which("npm")
        assert npm, "node is installed but npm is not: cannot install the verifier"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=VERIFIER, check=True,
                       capture_output=True, timeout=600)

    def run(documents: dict, credentials: dict) -> dict:
        pinned = {VC_CONTEXT: json.loads((CONTEXTS / "credentials-v2.jsonld").read_text()),
                  OB_CONTEXT: json.loads((CONTEXTS / "ob-v3p0-context-3.0.3.json").read_text())}
        done = subprocess.run(["node", "verify.mjs"], cwd=VERIFIER, capture_output=True, text=True,
                              input=json.dumps({"documents": {**pinned, **documents},
                                                "credentials": credentials}), timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return run


def _status_list(app, credential):
    url = credential["credentialStatus"]["statusListCredential"]
    response = app.test_client().get(url.replace(app.config["PUBLIC_BASE_URL"], ""))
    assert response.status_code == 200
    return url, json.loads(response.get_data())


@pytest.mark.slow
def test_the_published_verifier_agrees_with_ours(app, certified, make_user, verifier):
    credential = _credential(app, certified)
    url, status_list = _status_list(app, credential)
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    added = json.loads(json.dumps(credential))
    added["credentialSubject"]["grade"] = "A+"
    results = verifier({url: status_list}, {"fresh": credential, "tampered": tampered,
                                            "added": added, "status list": status_list})
    assert results["fresh"]["verified"], results["fresh"]
    assert results["status list"]["verified"], results["status list"]
    assert not results["tampered"]["verified"] and "signature" in results["tampered"]["error"]
    # An added property must not verify: their canonicalisation runs in JSON-LD safe mode.
    assert not results["added"]["verified"] and "Safe mode" in results["added"]["error"]

    # Revoke: the copy downloaded before now fails on status, in their verifier too.
    admin = _admin(app, make_user)
    page = f"/admin/certificates/{certified}"
    admin.post(page, data={"action": "revoke", "reason": "Exam fraud",
                           "csrf_token": csrf_token(admin, page)})
    _, revoked_list = _status_list(app, credential)
    after = verifier({url: revoked_list}, {"old copy": credential, "status list": revoked_list})
    assert after["status list"]["verified"], after["status list"]
    assert not after["old copy"]["verified"] and after["old copy"]["revoked"] is True, after
