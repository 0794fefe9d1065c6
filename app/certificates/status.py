"""Revocation that travels with the credential: W3C Bitstring Status List v1.0.

Every certificate owns one bit in a published, signed BitstringStatusListCredential of
131,072 bits (the spec's minimum, so that one fetch tells nobody which holder is being
checked). Revoking sets the bit and re-signs the list, never the holder's credential: a copy
downloaded before the revocation then fails in any verifier that checks status.

Where a certificate's bit is: certificate ids are dense, so list n holds ids
(n-1)·SIZE+1 … n·SIZE, and the position inside the list is the id put through a keyed
permutation (a small Feistel network, key kept in the list's row). Positions are unique by
construction, need no allocation under concurrency, and reveal nothing about issue order.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
import secrets
import zlib
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.exceptions import ServiceUnavailable

from ..clock import utcnow
from ..database import request_writes, write_aside
from ..extensions import db
from ..urls import public_url
from .models import Certificate, StatusList

SIZE = 131_072  # 2**17 bits: Bitstring Status List's minimum length for herd privacy
PURPOSE = "revocation"
_HALF_BITS = 9  # the permutation works on 18 bits and walks cycles back into 17
_ROUNDS = 6
MAX_ENCODED_BYTES = 1_000_000  # refused before unzipping
MAX_LIST_BYTES = 1 << 20  # 8 million entries: unzipping stops there (no zip bomb)


# --- where a certificate's bit is (pure) ---------------------------------------------------

def permute(key: bytes, value: int) -> int:
    """A keyed bijection of range(SIZE): a balanced Feistel network on 18 bits, repeated
    until the result falls back inside 17 bits (cycle walking keeps it a bijection)."""
    mask = (1 << _HALF_BITS) - 1
    while True:
        left, right = value >> _HALF_BITS, value & mask
        for round_number in range(_ROUNDS):
            digest = hmac.new(key, bytes([round_number]) + right.to_bytes(2, "big"),
                              hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:2], "big") & mask)
        value = (left << _HALF_BITS) | right
        if value < SIZE:
            return value


def list_number_of(certificate_id: int) -> int:
    return (certificate_id - 1) // SIZE + 1


def encode(bits: bytes) -> str:
    """The spec's encodedList: multibase base64url (prefix "u", no padding) of the GZIP'd
    bitstring. mtime=0 keeps the same bits the same bytes."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bits, mtime=0)).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an encodedList; ValueError for anything that is not one."""
    if not isinstance(encoded, str) or not encoded.startswith("u") or len(encoded) > MAX_ENCODED_BYTES:
        raise ValueError("encodedList is not multibase base64url")
    try:
        raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    except (ValueError, TypeError):
        raise ValueError("encodedList is not multibase base64url") from None
    # Bounded inflate: a zip bomb stops at one byte more than the largest list we accept.
    try:
        bits = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_LIST_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"encodedList is not GZIP data: {error}") from None
    if len(bits) > MAX_LIST_BYTES:
        raise ValueError("the status list is larger than any list this verifier reads")
    if len(bits) < SIZE // 8:
        raise ValueError(f"the status list is shorter than {SIZE} bits")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    # Index 0 is the leftmost bit of the first byte (the spec's order).
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def bitstring(positions) -> bytes:
    bits = bytearray(SIZE // 8)
    for index in positions:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


# --- lists in the database -------------------------------------------------------------

def list_url(number: int) -> str:
    return public_url("certificates.status_list", number=number)


@dataclass(frozen=True)
class Entry:
    list_number: int
    index: int

    def as_credential_status(self) -> dict:
        url = list_url(self.list_number)
        return {"id": f"{url}#{self.index}", "type": "BitstringStatusListEntry",
                "statusPurpose": PURPOSE, "statusListIndex": str(self.index),
                "statusListCredential": url}


def _new_list_statement(number: int):
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    return insert(StatusList).values(id=number, purpose=PURPOSE, secret=secrets.token_bytes(32),
                                     revision=0, created_at=utcnow()).on_conflict_do_nothing()


def ensure_list(certificate_id: int) -> None:
    """Create the list a new certificate's bit lives in, inside the issuing transaction
    (a twin created concurrently is not an error)."""
    db.session.execute(_new_list_statement(list_number_of(certificate_id)))


def _list(number: int):
    """The list's row (id, secret, credential, revision), also when it was created aside
    after this transaction's snapshot was taken."""
    query = select(StatusList.id, StatusList.secret, StatusList.credential,
                   StatusList.revision).where(StatusList.id == number)
    row = db.session.execute(query).first()
    if row is None:
        with db.engine.connect() as connection:
            row = connection.execute(query).first()
    return row


def _fill(statement) -> bool:
    """Fill in a cache row: in this transaction where it writes anyway (commands, POSTs that
    write), else aside (a GET never writes through its own transaction)."""
    if request_writes():
        db.session.execute(statement)
        return True
    return write_aside(statement)


def _secret_of(number: int) -> bytes | None:
    """The list's permutation key; the list is created now if certificates that predate it
    (bulk-loaded demo data) need it while they are being read."""
    row = _list(number)
    if row is None and _fill(_new_list_statement(number)):
        row = _list(number)
    return row.secret if row is not None else None


def entry_of(certificate: Certificate) -> Entry:
    number = list_number_of(certificate.id)
    secret = _secret_of(number)
    if secret is None:  # the database would not take the row now: never a credential without its status
        raise ServiceUnavailable("the certificate's status list is not available yet")
    return Entry(number, permute(secret, (certificate.id - 1) % SIZE))


def _revoked_positions(status_list: StatusList) -> list[int]:
    first = (status_list.id - 1) * SIZE + 1
    ids = db.session.scalars(select(Certificate.id).where(
        Certificate.id.between(first, first + SIZE - 1), Certificate.revoked_at.is_not(None)))
    return [permute(status_list.secret, (certificate_id - 1) % SIZE) for certificate_id in ids]


def _signed_list_credential(status_list: StatusList) -> dict:
    from .credential import VC_CONTEXT, _iso, did_key, issuer_key, sign

    key = issuer_key()
    url = list_url(status_list.id)
    now = utcnow()
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did_key(key.public_key()),
        "validFrom": _iso(now),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": PURPOSE,
                              "encodedList": encode(bitstring(_revoked_positions(status_list)))},
    }
    return sign(document, key, now)


def refresh(certificate: Certificate) -> None:
    """Re-sign the list holding this certificate's bit, in the caller's transaction (a
    revocation). The row lock makes two revocations in one list take turns, so the second
    reads the first one's bit (READ COMMITTED reads what committed before each statement)."""
    number = list_number_of(certificate.id)
    db.session.execute(_new_list_statement(number))
    status_list = db.session.execute(
        select(StatusList).where(StatusList.id == number).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    status_list.credential = _signed_list_credential(status_list)
    status_list.revision += 1
    status_list.updated_at = utcnow()


def published(number: int) -> tuple[dict, int] | None:
    """The signed list credential and its revision, or None for a list that does not
    exist. A list never signed yet (created by issuing) is signed now and kept aside."""
    status_list = _list(number)
    if status_list is None:
        return None
    if status_list.credential is None:
        from sqlalchemy import update

        credential = _signed_list_credential(status_list)
        # A revocation racing this one wins: only an unsigned row is filled in.
        _fill(update(StatusList).where(StatusList.id == number,
                                             StatusList.credential.is_(None))
                    .values(credential=credential, updated_at=utcnow()))
        return credential, status_list.revision
    return status_list.credential, status_list.revision


def revoked_in(credential_subject: dict, index: int) -> bool:
    """Whether the bit at index is set in a list credential's subject (ValueError when the
    list cannot be read)."""
    if not 0 <= index < SIZE:
        raise ValueError("statusListIndex is outside the list")
    bits = decode(credential_subject.get("encodedList"))
    if index // 8 >= len(bits):
        raise ValueError("statusListIndex is outside the list")
    return bit_is_set(bits, index)
