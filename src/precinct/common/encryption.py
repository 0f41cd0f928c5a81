"""Field-level encryption of citizens' personal data (ADR 0022): pure functions, no Django.

A value is sealed with AES-256-GCM under the newest key of a :class:`KeyRing`, with a fresh random
96-bit nonce, and stored as text::

    v1:<key id>:<base64(nonce | ciphertext | tag)>

The associated data binds the value to its place — table, column and row id — and to the key id,
so a ciphertext copied into another row or column, or altered by one bit, does not open. The
plaintext is padded to a multiple of :data:`PAD` bytes, so that a telephone number and a mobile
number (or an 18- and a 15-digit identity number) have ciphertexts of the same length.

A key id is the first 8 hex digits of a SHA-256 of the key: it tells which key sealed a value
(for rotation) and reveals nothing of the key. The keys themselves live outside the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

VERSION = "v1"
PAD = 32  # plaintext bytes are padded to a multiple of this
NONCE = 12
KEY_BYTES = 32


class FieldKeyError(Exception):
    """A sealed value that cannot be opened, or cannot be sealed: the key is missing or wrong,
    or the stored value was changed or moved. ``field`` names the field (``app.Model.field``);
    the message says what is wrong, for the operator (it never holds the value)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message


# --- keys --------------------------------------------------------------------------------
def new_key() -> str:
    """A new field key: 32 random bytes, URL-safe base64. Keep it where the database is not."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def parse_key(text: str) -> bytes:
    """A key from its base64 text (URL-safe or standard); ``ValueError`` says what is wrong."""
    raw = text.strip().replace("+", "-").replace("/", "_")
    try:
        key = base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode())
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a field key is base64 of 32 random bytes (precinct keys new)") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"a field key is base64 of 32 random bytes, this one has {len(key)} (precinct keys new)"
        )
    return key


def derive_key(secret: str) -> bytes:
    """The development and test key, derived from the secret key (never used in production)."""
    return hmac.new(secret.encode(), b"precinct field encryption v1", hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"precinct field key id\x00" + key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    """The field keys, newest first: the newest seals, every one opens what it sealed."""

    keys: tuple[bytes, ...]
    ids: tuple[str, ...] = field(init=False)
    _aead: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise FieldKeyError("no field key is configured (PRECINCT_FIELD_KEY)")
        for k in self.keys:
            if len(k) != KEY_BYTES:
                raise FieldKeyError("a field key must be 32 bytes")
        ids = tuple(key_id(k) for k in self.keys)
        if len(set(ids)) != len(ids):
            raise FieldKeyError("the same field key is configured twice")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "_aead", {})

    @property
    def current(self) -> str:
        """The id of the key that seals new values."""
        return self.ids[0]

    def aead(self, kid: str) -> Any:
        """The AES-GCM cipher of key ``kid`` (made once), or None when no such key is here."""
        cipher = self._aead.get(kid)
        if cipher is None:
            if kid not in self.ids:
                return None
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            cipher = AESGCM(self.keys[self.ids.index(kid)])
            self._aead[kid] = cipher
        return cipher

    def mac(self, data: bytes, purpose: bytes) -> list[str]:
        """HMAC-SHA256 of ``data`` under a sub-key of every key (newest first), hex: for keyed
        digests that stay comparable while keys rotate."""
        out = []
        for k in self.keys:
            sub = hmac.new(k, b"precinct mac\x00" + purpose, hashlib.sha256).digest()
            out.append(hmac.new(sub, data, hashlib.sha256).hexdigest())
        return out


# --- values ------------------------------------------------------------------------------
def row_key(pk: object) -> str:
    """A row id as bound into the associated data: UUIDs in their canonical text, whichever way
    the driver gave them (32 hex digits from SQLite, a UUID from PostgreSQL)."""
    if isinstance(pk, uuid.UUID):
        return str(pk)
    text = str(pk)
    if len(text) in (32, 36):
        try:
            return str(uuid.UUID(text))
        except ValueError:
            pass
    return text


def associated_data(kid: str, table: str, column: str, row: str) -> bytes:
    return "\x00".join(("precinct-field", VERSION, kid, table, column, row)).encode()


def _pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding: 0x80, then zero bytes to a multiple of PAD."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % PAD)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise ValueError("bad padding")
    return end[:-1]


def is_sealed(text: str) -> bool:
    return text.startswith(VERSION + ":")


def token_key_id(text: str) -> str | None:
    """The id of the key that sealed ``text``, or None when it is not a sealed value."""
    parts = text.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == VERSION else None


def seal(ring: KeyRing, plaintext: str, *, table: str, column: str, row: str) -> str:
    kid = ring.current
    nonce = os.urandom(NONCE)
    body = ring.aead(kid).encrypt(
        nonce, _pad(plaintext.encode()), associated_data(kid, table, column, row)
    )
    return f"{VERSION}:{kid}:{base64.b64encode(nonce + body).decode()}"


def unseal(ring: KeyRing, text: str, *, table: str, column: str, row: str, field: str = "") -> str:
    """The plaintext of a sealed value, or :class:`FieldKeyError` saying why not."""
    from cryptography.exceptions import InvalidTag

    where = field or f"{table}.{column}"
    kid = token_key_id(text)
    if kid is None:
        raise FieldKeyError(
            f"row {row} holds a value that is not sealed (written around the encryption?)",
            field=where,
        )
    cipher = ring.aead(kid)
    if cipher is None:
        raise FieldKeyError(
            f"row {row} was sealed with field key {kid}, which is not configured "
            f"(configured: {', '.join(ring.ids)}); set PRECINCT_FIELD_KEY, or the old key in "
            "PRECINCT_FIELD_OLD_KEYS",
            field=where,
        )
    try:
        blob = base64.b64decode(text.split(":", 2)[2].encode(), validate=True)
        if len(blob) < NONCE + 16:
            raise ValueError("too short")
        padded = cipher.decrypt(
            blob[:NONCE], blob[NONCE:], associated_data(kid, table, column, row)
        )
        return _unpad(padded).decode()
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise FieldKeyError(
            f"row {row} does not open with field key {kid}: the stored value was changed, or "
            "moved here from another row or column",
            field=where,
        ) from exc
