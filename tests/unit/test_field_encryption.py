"""Sealing one field value (ADR 0022): it opens with its key, in its own table, column and row
only; a changed value, a missing key or a moved value is refused with the field named."""

import base64
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from precinct.common import encryption as enc

OLD = enc.parse_key(enc.new_key())
NEW = enc.parse_key(enc.new_key())
RING = enc.KeyRing((OLD,))
PLACE = {"table": "command_incident", "column": "caller_phone", "row": str(uuid.uuid4())}


def _seal(text: str, ring: enc.KeyRing = RING, **place: str) -> str:
    return enc.seal(ring, text, **{**PLACE, **place})


def _open(token: str, ring: enc.KeyRing = RING, **place: str) -> str:
    return enc.unseal(ring, token, field="command.Incident.caller_phone", **{**PLACE, **place})


@given(st.text(max_size=80))
def test_what_is_sealed_opens_the_same(text: str) -> None:
    assert _open(_seal(text)) == text


def test_a_sealed_value_holds_no_plaintext_and_never_repeats() -> None:
    a, b = _seal("13845671234"), _seal("13845671234")
    assert a != b  # a fresh nonce each time
    assert "13845671234" not in a and b"13845671234" not in base64.b64decode(a.split(":")[2])
    assert a.startswith(f"v1:{RING.current}:") and enc.token_key_id(a) == RING.current


def test_numbers_of_different_lengths_seal_to_the_same_length() -> None:
    lengths = {len(_seal(t)) for t in ("110", "045112345678", "13845671234", "230402198001011234")}
    assert len(lengths) == 1


@pytest.mark.parametrize(
    "place",
    [
        {"row": str(uuid.uuid4())},  # another row
        {"column": "summary"},  # another column
        {"table": "cases_caseperson", "column": "id_number"},  # another table
    ],
)
def test_a_value_moved_elsewhere_does_not_open(place: dict[str, str]) -> None:
    token = _seal("13845671234")
    with pytest.raises(enc.FieldKeyError, match="moved here from another row or column") as exc:
        _open(token, **place)
    assert exc.value.field == "command.Incident.caller_phone"
    assert "13845671234" not in str(exc.value)


def test_a_changed_value_does_not_open() -> None:
    token = _seal("13845671234")
    head, body = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(body))
    for i in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        bad = raw.copy()
        bad[i] ^= 1
        with pytest.raises(enc.FieldKeyError, match="changed"):
            _open(f"{head}:{base64.b64encode(bytes(bad)).decode()}")
    with pytest.raises(enc.FieldKeyError):
        _open(f"{head}:{body[:-8]}")  # cut short
    with pytest.raises(enc.FieldKeyError):
        _open(f"{head}:!!not base64!!")


def test_a_wrong_or_missing_key_names_the_field_and_the_keys() -> None:
    token = _seal("13845671234")
    with pytest.raises(enc.FieldKeyError) as exc:
        _open(token, ring=enc.KeyRing((NEW,)))
    message = str(exc.value)
    assert message.startswith("command.Incident.caller_phone: ")
    assert enc.key_id(OLD) in message and enc.key_id(NEW) in message
    assert "PRECINCT_FIELD_KEY" in message
    with pytest.raises(enc.FieldKeyError, match="no field key"):
        enc.KeyRing(())


def test_plaintext_where_a_sealed_value_belongs_is_refused() -> None:
    with pytest.raises(enc.FieldKeyError, match="not sealed"):
        _open("13845671234")


def test_while_keys_rotate_the_newest_seals_and_every_key_opens_its_own() -> None:
    old_token = _seal("13845671234")
    both = enc.KeyRing((NEW, OLD))
    assert both.current == enc.key_id(NEW)
    new_token = _seal("13900001111", ring=both)
    assert enc.token_key_id(new_token) == enc.key_id(NEW)
    assert _open(old_token, ring=both) == "13845671234"
    assert _open(new_token, ring=both) == "13900001111"
    with pytest.raises(enc.FieldKeyError, match="not configured"):
        _open(new_token, ring=RING)  # the old ring alone cannot read what the new key sealed


def test_keys_are_32_bytes_of_base64() -> None:
    key = enc.new_key()
    assert len(enc.parse_key(key)) == 32
    assert enc.parse_key(key.rstrip("=")) == enc.parse_key(key)  # padding optional
    standard = base64.b64encode(enc.parse_key(key)).decode()
    assert enc.parse_key(standard) == enc.parse_key(key)  # standard alphabet too
    for bad in ("", "change-me", base64.b64encode(b"x" * 16).decode()):
        with pytest.raises(ValueError, match="32 random bytes"):
            enc.parse_key(bad)
    with pytest.raises(enc.FieldKeyError, match="twice"):
        enc.KeyRing((OLD, OLD))


def test_a_key_id_tells_keys_apart_and_reveals_nothing_of_the_key() -> None:
    assert enc.key_id(OLD) != enc.key_id(NEW) and len(enc.key_id(OLD)) == 8
    assert enc.key_id(OLD) not in OLD.hex()


def test_row_ids_bind_the_same_whichever_way_the_driver_gives_them() -> None:
    pk = uuid.uuid4()
    assert enc.row_key(pk) == enc.row_key(pk.hex) == enc.row_key(str(pk)) == str(pk)
    assert enc.row_key(42) == "42"


def test_keyed_digests_differ_per_key_and_purpose() -> None:
    both = enc.KeyRing((NEW, OLD))
    a = both.mac(b"body", b"intake")
    assert len(a) == 2 and a[1] == RING.mac(b"body", b"intake")[0]
    assert a[0] != a[1] and both.mac(b"body", b"other") != a
