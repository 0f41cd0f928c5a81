"""Sealing a backup: it opens with its key only, whole, in order and unchanged."""

import io
import os

import pytest

from precinct.common import backup

KEY = backup.read_key(backup.new_key())
MANIFEST = {"format": 1, "vendor": "sqlite", "facts": {"tables": {"t": 3}}}


def _sealed(data: bytes) -> bytes:
    out = io.BytesIO()
    backup.seal(io.BytesIO(data), out, KEY, MANIFEST)
    return out.getvalue()


def _open(blob: bytes, key: bytes = KEY) -> bytes:
    return b"".join(backup.unseal(io.BytesIO(blob), key))


@pytest.mark.parametrize("size", [0, 1, backup.RECORD - 1, backup.RECORD, 3 * backup.RECORD + 7])
def test_what_is_sealed_opens_the_same(size: int) -> None:
    data = os.urandom(size // 2) + b"precinct " * (size // 18)  # some of it compressible
    blob = _sealed(data)
    assert _open(blob) == data
    manifest, _digest = backup.read_manifest(io.BytesIO(blob))
    assert manifest == MANIFEST


def test_the_plaintext_is_not_in_the_file() -> None:
    secret = b"13845671234 " * 1000
    assert b"13845671234" not in _sealed(secret)


def test_a_wrong_key_a_changed_byte_a_changed_manifest_or_a_cut_file_does_not_open() -> None:
    data = os.urandom(3 * backup.RECORD)  # random: three records and more
    blob = _sealed(data)
    with pytest.raises(backup.BackupError, match="does not open"):
        _open(blob, backup.read_key(backup.new_key()))
    changed = bytearray(blob)
    changed[-20] ^= 1
    with pytest.raises(backup.BackupError, match="does not open"):
        _open(bytes(changed))
    forged = blob.replace(b'"t": 3', b'"t": 4')
    assert forged != blob
    with pytest.raises(backup.BackupError, match="does not open"):
        _open(forged)
    first_record_end = blob.index(b'"vendor": "sqlite"}') + len(b'"vendor": "sqlite"}') + 8
    size = int.from_bytes(blob[first_record_end : first_record_end + 4], "big")
    cut = blob[: first_record_end + 4 + size]  # the last record dropped
    with pytest.raises(backup.BackupError, match="cut short"):
        _open(cut)
    with pytest.raises(backup.BackupError, match="data after"):
        _open(blob + b"x")
    with pytest.raises(backup.BackupError, match="not a precinct backup"):
        _open(b"PK\x03\x04" + blob)


def test_keys_are_32_bytes_of_base64() -> None:
    assert len(backup.read_key(backup.new_key())) == 32
    with pytest.raises(backup.BackupError):
        backup.read_key("c2hvcnQ=")
    with pytest.raises(backup.BackupError):
        backup.read_key("!!!")
