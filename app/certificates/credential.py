"""Open Badges 3.0 AchievementCredential, signed as a W3C Data Integrity proof.

Cryptosuite eddsa-rdfc-2022: both the credential (without its proof) and the proof options
are canonicalised with RDFC-1.0 (URDNA2015, via pyld, contexts pinned on disk), hashed with
SHA-256, and the concatenated hashes are signed with the issuer's Ed25519 key. The issuer is
a did:key, so anyone can check the signature offline from the credential alone.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from pyld import jsonld

from ..urls import public_url

log = logging.getLogger(__name__)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_CONTEXT_FILES = {VC_CONTEXT: "credentials-v2.jsonld", OB_CONTEXT: "ob-v3p0-context-3.0.3.json"}
_ED25519_MULTICODEC = b"\xed\x01"
CRYPTOSUITE = "eddsa-rdfc-2022"


@lru_cache(maxsize=None)
def _context_text(name: str) -> str:
    return (Path(__file__).with_name("contexts") / name).read_text(encoding="utf-8")


def _document_loader(url: str, _options=None):
    name = _CONTEXT_FILES.get(url)
    if name is None:  # never the network: an unknown context is an invalid credential here
        raise jsonld.JsonLdError(f"unknown JSON-LD context {url}", "loading document failed")
    # A fresh parse each time: pyld may change the document it is given.
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(_context_text(name))}


def _canonical(document: dict) -> bytes:
    nquads = jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                         "documentLoader": _document_loader})
    return nquads.encode("utf-8")


# --- keys -------------------------------------------------------------------------------

def did_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "did:key:z" + base58.b58encode(_ED25519_MULTICODEC + raw).decode()


def public_key_from_did(did: str) -> Ed25519PublicKey:
    if not did.startswith("did:key:z"):
        raise ValueError("not a did:key")
    raw = base58.b58decode(did[len("did:key:z"):].split("#")[0])
    if raw[:2] != _ED25519_MULTICODEC or len(raw) != 34:
        raise ValueError("not an Ed25519 did:key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _load_private_key(value: str) -> Ed25519PrivateKey:
    if value.strip().startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode(), password=None)
    elif os.path.isfile(value):
        key = serialization.load_pem_private_key(Path(value).read_bytes(), password=None)
    else:
        import base64
        key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("CERTIFICATE_SIGNING_KEY must be an Ed25519 private key")
    return key


def issuer_key() -> Ed25519PrivateKey:
    """The configured key (CERTIFICATE_SIGNING_KEY: PEM, a PEM file, or a base64 seed), else a
    key made once from the CSPRNG and kept in instance/issuer-ed25519.pem."""
    configured = current_app.config.get("CERTIFICATE_SIGNING_KEY")
    if configured:
        return _load_private_key(configured)
    path = Path(current_app.instance_path) / "issuer-ed25519.pem"
    if not path.exists():
        if current_app.config["SMALLB_ENV"] == "production":
            log.warning("CERTIFICATE_SIGNING_KEY is not set: generating %s. Every app server "
                        "must share one key; set CERTIFICATE_SIGNING_KEY in production.", path)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


# --- credential -------------------------------------------------------------------------

def _iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


ACHIEVEMENT_DESCRIPTION = "SmallB Academy course certificate · 小B学院课程结业证书"
CRITERIA = ("Read every lesson and passed every module quiz of the course. · "
            "读完课程全部课文并通过每个单元的测验。")


def bilingual(title: dict) -> str:
    return " · ".join(t for t in (title.get("zh"), title.get("en")) if t)


def achievement(course_id: int, title: dict) -> dict:
    """The Achievement a course's certificate attests (also published on its own at its id)."""
    return {
        "id": public_url("certificates.achievement", course_id=course_id),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": bilingual(title),
        "description": ACHIEVEMENT_DESCRIPTION,
        "criteria": {"narrative": CRITERIA},
    }


def issuer_profile(issuer_did: str) -> dict:
    return {"id": issuer_did, "type": ["Profile"], "name": current_app.config["ISSUER_NAME"],
            "url": public_url("certificates.issuer")}


def unsigned_credential(certificate, url: str, issuer_did: str) -> dict:
    """What the certificate says, as it said it when issued: the same document (and, Ed25519
    being deterministic, the same signature) every time. A revocation changes the status
    list, not this."""
    from .status import entry_of

    name = bilingual(certificate.course_title)
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(issuer_did),
        "validFrom": _iso(certificate.issued_at),
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": certificate.learner_name}],
            "achievement": achievement(certificate.course_id, certificate.course_title),
        },
    }
    credential["credentialStatus"] = entry_of(certificate).as_credential_status()
    return credential


def _hash_data(document: dict, proof_options: dict) -> bytes:
    options = dict(proof_options, **{"@context": document["@context"]})
    return hashlib.sha256(_canonical(options)).digest() + hashlib.sha256(_canonical(document)).digest()


def sign(document: dict, key: Ed25519PrivateKey, created) -> dict:
    did = did_key(key.public_key())
    proof = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": _iso(created),
             "verificationMethod": f"{did}#{did.split(':')[-1]}",
             "proofPurpose": "assertionMethod"}
    signature = key.sign(_hash_data(document, proof))
    # A list: the 1EdTech schema requires `proof` to be an array.
    return dict(document, proof=[dict(proof, proofValue="z" + base58.b58encode(signature).decode())])


def signed_credential(certificate, url: str) -> dict:
    key = issuer_key()
    document = unsigned_credential(certificate, url, did_key(key.public_key()))
    return sign(document, key, certificate.issued_at)


@dataclass
class Verification:
    ok: bool
    reason: str  # in English, for logs and the CLI
    issuer: str | None = None
    kind: str = "valid"  # what went wrong, for messages in the reader's language
    detail: str = ""  # the JSON paths, for kind "unsigned"


def unsigned_parts(document: dict, contexts: list[str] | None = None) -> list[str]:
    """JSON paths of what the signature does not cover: properties the credential's JSON-LD
    contexts do not define (canonicalisation drops them silently, so `"grade": "A+"` added
    to a signed credential would still verify) and types that are not absolute IRIs once
    expanded. Empty when everything in the document is signed (JSON-LD "safe mode")."""
    shape = list(_shape_problems(document, contexts or [VC_CONTEXT, OB_CONTEXT]))
    if shape:
        return shape
    dropped: set[str] = set()
    try:
        expanded = jsonld.expand(document, {"documentLoader": _document_loader},
                                 on_property_dropped=dropped.add)
    except jsonld.JsonLdError as error:
        return [f"(the document cannot be read as JSON-LD: {error})"]
    paths = [path for path in _paths_of(document, dropped)]
    relative_types: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            types = node.get("@type", [])
            for value in [types] if isinstance(types, str) else types:
                if isinstance(value, str) and ":" not in value:
                    relative_types.append(f"type {value}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(expanded)
    return sorted(set(paths)) + sorted(set(relative_types))


MAX_DEPTH = 12  # ours are 5 deep
MAX_NODES = 40  # objects in one document; ours have about 10


def _shape_problems(node, contexts: list[str], prefix: str = "", depth: int = 0, count=None):
    """What JSON-LD would read without signing it, or read differently, or what would make
    reading it cost more than a credential may: a context other than the pinned ones (an
    inline one can define any new term), JSON-LD keywords (@nest, @index, @direction … change
    or hide meaning), keys that are not terms (`_:x` and `prefix:x` keys are kept by expansion
    yet never signed), blank-node ids (a web of them makes canonicalisation exponential), nulls
    (dropped before signing), and documents deeper or larger than any credential we issue."""
    count = count if count is not None else [0]
    if depth > MAX_DEPTH:
        yield f"{prefix or '(document)'} (nested deeper than any credential)"
        return
    if not prefix and (not isinstance(node, dict) or node.get("@context") != contexts):
        yield "@context (only the pinned VC 2.0 and Open Badges 3.0 contexts, as issued)"
    if isinstance(node, dict):
        count[0] += 1
        if count[0] > MAX_NODES:
            yield f"{prefix or '(document)'} (more objects than any credential)"
            return
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if key.startswith("@") and not (key == "@context" and not prefix):
                yield path
            elif ":" in key:
                yield path
            elif value is None:
                yield path
            elif key == "id" and isinstance(value, str) and value.startswith("_:"):
                yield path
            elif key != "@context":
                yield from _shape_problems(value, contexts, path, depth + 1, count)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _shape_problems(value, contexts, f"{prefix}[{index}]", depth + 1, count)


def _paths_of(node, keys: set[str], prefix: str = ""):
    """Where in the JSON each of these keys stands (a.b[0].c)."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if key in keys:
                yield path
            yield from _paths_of(value, keys, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths_of(value, keys, f"{prefix}[{index}]")


def verify_signature(credential: dict, contexts: list[str] | None = None) -> Verification:
    """Check the Data Integrity proof alone (no database): was it signed by its issuer's key,
    and does the signature cover everything in it?"""
    if not isinstance(credential, dict):
        return Verification(False, "not a JSON object", kind="unreadable")
    try:
        shape = list(_shape_problems(credential, contexts or [VC_CONTEXT, OB_CONTEXT]))
    except RecursionError:
        shape = ["(document) (nested too deeply to read)"]
    if shape:
        return Verification(False, "not covered by the signature (undefined in the "
                                   "credential's contexts): " + ", ".join(shape),
                            kind="unsigned", detail=", ".join(shape))
    document = copy.deepcopy(credential)
    proof = document.pop("proof", None)
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if isinstance(proof, dict) and "@context" in proof:
        return Verification(False, "not covered by the signature: proof.@context",
                            kind="unsigned", detail="proof.@context")
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof" \
            or proof.get("cryptosuite") != CRYPTOSUITE:
        return Verification(False, f"no {CRYPTOSUITE} DataIntegrityProof", kind="no_proof")
    issuer = document.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    method = str(proof.get("verificationMethod", ""))
    if not isinstance(issuer_id, str) or not issuer_id or method.split("#")[0] != issuer_id:
        return Verification(False, "the proof's key is not the issuer's", kind="wrong_key")
    try:
        unsigned = unsigned_parts(document, contexts) + [
            "proof." + path for path in unsigned_parts(
                {"@context": document.get("@context"), **{k: v for k, v in proof.items()}},
                contexts)]
    except RecursionError:
        return Verification(False, "the credential is nested too deeply to read", issuer_id,
                            kind="unreadable")
    if unsigned:
        return Verification(False, "not covered by the signature (undefined in the "
                                   "credential's contexts): " + ", ".join(unsigned), issuer_id,
                            kind="unsigned", detail=", ".join(unsigned))
    value = str(proof.get("proofValue", ""))
    try:
        public_key = public_key_from_did(issuer_id)
        signature = base58.b58decode(value[1:]) if value.startswith("z") else b""
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        public_key.verify(signature, _hash_data(document, options))
    except InvalidSignature:
        return Verification(False, "the signature does not match: the credential was changed "
                                   "or signed by someone else", issuer_id, kind="mismatch")
    except (ValueError, jsonld.JsonLdError) as error:
        return Verification(False, f"cannot check the proof: {error}", issuer_id,
                            kind="unreadable")
    return Verification(True, "signature valid", issuer_id)
