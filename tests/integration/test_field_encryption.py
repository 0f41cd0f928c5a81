"""Citizens' numbers sealed at rest (ADR 0022), on SQLite and on PostgreSQL: the rows hold no
plaintext (intake, the demo's bulk load, party records), values open only in their own row and
column, a wrong key is a clear 503 naming the field, keys rotate while old values still open, the
migrations seal what was there and their reverse opens it, a backup keeps the values sealed, and
SQLite zeroes what is deleted."""

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from precinct.cases import services as cases
from precinct.cases.models import Case, CasePerson
from precinct.command import services as command
from precinct.command.models import Incident, IntakeKey
from precinct.common import backup, bulk, encryption, fields
from precinct.ops.checks import field_key_problems

PHONE = "13845671234"
ID_NUMBER = "230402198001011234"
BODY = {
    "category": "dispute",
    "priority": 2,
    "lat": 47.3499,
    "lon": 130.2977,
    "address": "向阳区红军路12号",
    "summary": "邻里纠纷，双方在楼道争吵",
    "caller_phone": PHONE,
}
PHONE_FIELD = fields.encrypted(Incident, "caller_phone")
ID_FIELD = fields.encrypted(CasePerson, "id_number")


def _intake(client: Client, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        "/api/v1/incidents",
        body or BODY,
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def _raw(field: fields.EncryptedCharField, pk: Any) -> str:
    with connection.cursor() as c:
        c.execute(
            f"SELECT {field.column} FROM {field.model._meta.db_table} WHERE id = %s",
            [bulk.codec().uuid(uuid.UUID(str(pk)))],
        )
        return c.fetchone()[0]


def _set_raw(field: fields.EncryptedCharField, pk: Any, value: str) -> None:
    with connection.cursor() as c:
        c.execute(
            f"UPDATE {field.model._meta.db_table} SET {field.column} = %s WHERE id = %s",
            [value, bulk.codec().uuid(uuid.UUID(str(pk)))],
        )


def _plaintext_rows(field: fields.EncryptedCharField) -> int:
    with connection.cursor() as c:
        c.execute(
            f"SELECT COUNT(*) FROM {field.model._meta.db_table} "
            f"WHERE {field.column} <> '' AND {field.column} NOT LIKE 'v1:%%'",
            [],
        )
        return c.fetchone()[0]


def _person(bureau_id: Any, id_number: str = ID_NUMBER, key: str = "p-enc") -> CasePerson:
    case = Case.objects.filter(bureau_id=bureau_id).order_by("number").first()
    cases.upsert_person(case=case, key=key, name="张三", id_number=id_number)
    return CasePerson.objects.get(case=case, key=key)


def identity_user(username: str) -> Any:
    from precinct.identity.models import User

    return User.objects.get(username=username)


def _other_key() -> bytes:
    return encryption.parse_key(encryption.new_key())


# --- at rest ------------------------------------------------------------------------------
def test_the_rows_hold_no_plaintext_number_and_the_app_reads_it_back(city) -> None:
    made = _intake(city.client("command"))
    assert made.status_code == 201 and made.json()["caller_phone"] == PHONE
    raw = _raw(PHONE_FIELD, made.json()["id"])
    assert raw.startswith(f"v1:{fields.keyring().current}:") and PHONE not in raw
    assert Incident.objects.get(pk=made.json()["id"]).caller_phone == PHONE
    person = _person(city.bureau_id)
    raw = _raw(ID_FIELD, person.pk)
    assert raw.startswith("v1:") and ID_NUMBER not in raw and "1234" not in raw
    assert CasePerson.objects.get(pk=person.pk).id_number == ID_NUMBER
    # the demo's bulk load sealed its history too, each number for its own row
    assert Incident.objects.exclude(caller_phone="").count() > 1000
    assert _plaintext_rows(PHONE_FIELD) == 0 and _plaintext_rows(ID_FIELD) == 0
    some = Incident.objects.filter(received_by="demo").exclude(caller_phone="").first()
    assert some is not None and len(some.caller_phone) == 11


def test_the_body_an_idempotency_key_is_bound_to_is_a_keyed_digest(city) -> None:
    from precinct.command import rules

    made = _intake(city.client("command")).json()
    stored = IntakeKey.objects.get(incident_id=made["id"]).body_digest
    plain = rules.body_digest({**BODY, "source": "call_110"})  # the body as the API read it
    assert stored != plain  # a plain hash could be reversed number by number
    assert stored == fields.keyring().mac(plain.encode(), b"command intake body")[0]


def test_an_untouched_sealed_value_is_written_back_as_it_was(city) -> None:
    made = _intake(city.client("command")).json()
    before = _raw(PHONE_FIELD, made["id"])
    incident = Incident.objects.get(pk=made["id"])
    incident.summary = "改"
    incident.save()
    assert _raw(PHONE_FIELD, made["id"]) == before  # never opened, never sealed again
    incident.caller_phone = "13900001111"
    incident.save()
    assert _raw(PHONE_FIELD, made["id"]) != before
    assert Incident.objects.get(pk=made["id"]).caller_phone == "13900001111"


def test_writes_that_cannot_seal_are_refused(city) -> None:
    with pytest.raises(TypeError, match="sealed row by row"), transaction.atomic():
        Incident.objects.filter(bureau_id=city.bureau_id).update(caller_phone=PHONE)
    with pytest.raises(TypeError, match="sealed row by row"), transaction.atomic():
        list(Incident.objects.filter(caller_phone=PHONE))
    walk_in = _intake(city.client("command"), {**BODY, "caller_phone": ""}).json()
    assert _raw(PHONE_FIELD, walk_in["id"]) == ""  # no number: stored empty, found by it
    assert Incident.objects.filter(caller_phone="", pk=walk_in["id"]).exists()
    sealed = Incident.objects.exclude(caller_phone="").values_list("pk", "caller_phone").first()
    assert isinstance(sealed[1], fields.Sealed)
    with pytest.raises(TypeError):
        str(sealed[1])
    assert len(PHONE_FIELD.open_raw(sealed[1], sealed[0])) == 11


# --- tampering, moving, keys --------------------------------------------------------------
def test_a_changed_or_moved_value_is_refused_naming_the_field(city) -> None:
    c = city.client("command")
    a, b = _intake(c).json()["id"], _intake(c, {**BODY, "caller_phone": "13911112222"}).json()["id"]
    sealed_a = _raw(PHONE_FIELD, a)
    _set_raw(PHONE_FIELD, b, sealed_a)  # another row
    with pytest.raises(encryption.FieldKeyError, match="moved here") as exc:
        _ = Incident.objects.get(pk=b).caller_phone
    assert exc.value.field == "command.Incident.caller_phone" and PHONE not in str(exc.value)
    person = _person(city.bureau_id)
    _set_raw(ID_FIELD, person.pk, sealed_a)  # another table and column
    with pytest.raises(encryption.FieldKeyError, match=r"cases\.CasePerson\.id_number"):
        _ = CasePerson.objects.get(pk=person.pk).id_number
    flipped = sealed_a[:-6] + ("A" if sealed_a[-6] != "A" else "B") + sealed_a[-5:]
    _set_raw(PHONE_FIELD, a, flipped)  # one character changed
    with pytest.raises(encryption.FieldKeyError, match="changed"):
        _ = Incident.objects.get(pk=a).caller_phone
    _set_raw(PHONE_FIELD, a, PHONE)  # plaintext written around the field
    with pytest.raises(encryption.FieldKeyError, match="not sealed"):
        _ = Incident.objects.get(pk=a).caller_phone


def test_a_wrong_key_is_a_clear_503_naming_the_field_never_plaintext_or_a_trace(
    city, settings
) -> None:
    _intake(city.client("command"))
    person = _person(city.bureau_id)
    settings.FIELD_KEYS = (_other_key(),)
    api = city.client("command").get("/api/v1/incidents?limit=5")
    assert api.status_code == 503
    assert api.json()["field"] == "command.Incident.caller_phone" and PHONE not in api.text
    masked = city.client("leader").get("/api/v1/incidents?limit=5")
    assert masked.status_code == 503 and "Traceback" not in masked.text
    page = city.client("legal").get(f"/supervision/cases/{person.case_id}/")
    assert page.status_code == 503
    text = page.content.decode()
    assert "cases.CasePerson.id_number" in text and "Traceback" not in text
    assert ID_NUMBER not in text
    # the board shows no numbers: it never opens them, and works on
    assert city.client("command").get("/command/board.json").status_code == 200
    problems = field_key_problems()  # what `precinct serve` refuses to start with
    assert problems and "not configured" in problems[0]


def test_keys_rotate_while_old_values_still_open(city, settings, capsys) -> None:
    from precinct.identity.models import AuditEntry

    old = settings.FIELD_KEYS
    new = _other_key()
    before = _person(city.bureau_id, key="p-old")
    settings.FIELD_KEYS = (new, *old)
    made = _intake(city.client("command")).json()
    assert encryption.token_key_id(_raw(PHONE_FIELD, made["id"])) == encryption.key_id(new)
    assert CasePerson.objects.get(pk=before.pk).id_number == ID_NUMBER  # sealed under the old key
    phones = sum(fields.key_usage(PHONE_FIELD).values())
    assert fields.key_usage(PHONE_FIELD)[encryption.key_id(new)] == 1
    settings.FIELD_KEYS = (new,)  # the old key dropped before the rotation: status says so
    with pytest.raises(SystemExit) as exit_:
        call_command("keys", "status")
    assert exit_.value.code == 1 and "KEY MISSING" in capsys.readouterr().out
    settings.FIELD_KEYS = (new, *old)
    call_command("keys", "rotate-fields", "--batch", "700")
    assert "sealed again under key" in capsys.readouterr().out
    assert fields.key_usage(PHONE_FIELD) == {encryption.key_id(new): phones}
    assert set(fields.key_usage(ID_FIELD)) == {encryption.key_id(new)}
    assert AuditEntry.objects.filter(action="field_keys_rotated").exists()
    settings.FIELD_KEYS = (new,)  # the old key gone: everything opens under the new one
    call_command("keys", "status")
    assert field_key_problems() == []
    for pk, sealed in Incident.objects.exclude(caller_phone="").values_list("pk", "caller_phone"):
        assert PHONE_FIELD.open_raw(sealed, pk).startswith("1")
    assert CasePerson.objects.get(pk=before.pk).id_number == ID_NUMBER


# --- masking ------------------------------------------------------------------------------
def test_full_numbers_only_for_the_roles_that_need_them(city) -> None:
    made = _intake(city.client("command")).json()
    assert made["caller_phone"] == PHONE  # the command centre calls back
    seen = city.client("leader").get("/api/v1/incidents?limit=1").json()[0]
    assert seen["caller_phone"] == "138****1234"
    person = _person(city.bureau_id)
    legal = city.client("legal").get(f"/supervision/cases/{person.case_id}/").content.decode()
    leader = city.client("leader").get(f"/supervision/cases/{person.case_id}/").content.decode()
    assert ID_NUMBER in legal
    assert ID_NUMBER not in leader and "2304**********1234" in leader


# --- migrations, backups, SQLite files ----------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_migrations_seal_what_was_there_and_their_reverse_opens_it(city_committed) -> None:
    from precinct.command import rules
    from precinct.core import clock
    from precinct.identity import services as identity
    from precinct.org import services as org

    bureau_id = org.first_bureau().pk
    person = _person(bureau_id)
    n = Incident.objects.exclude(caller_phone="").count()
    earlier = Incident.objects.filter(received_by="demo").first()
    executor = MigrationExecutor(connection)
    executor.migrate([("command", "0002_crewshift"), ("cases", "0003_corrections_index")])
    assert _raw(ID_FIELD, person.pk) == ID_NUMBER
    c = bulk.codec()
    stamp = c.datetime(clock.now())
    bulk.insert(  # an Idempotency-Key taken before the upgrade, with the plain digest of then
        "command_intakekey",
        ["id", "created_at", "updated_at", "bureau_id", "key", "body_digest", "incident_id"],
        [(c.uuid(uuid.uuid4()), stamp, stamp, c.uuid(bureau_id), "before-upgrade",
          rules.body_digest(BODY), c.uuid(earlier.pk))],
    )  # fmt: skip
    with connection.cursor() as c:
        c.execute("SELECT caller_phone FROM command_incident WHERE caller_phone <> ''")
        plain = [r[0] for r in c.fetchall()]
    assert len(plain) == n and all(p.isdigit() and len(p) == 11 for p in plain)
    executor = MigrationExecutor(connection)
    executor.migrate([("command", "0003_seal_caller_phone"), ("cases", "0004_seal_id_number")])
    assert _plaintext_rows(PHONE_FIELD) == 0 and _plaintext_rows(ID_FIELD) == 0
    executor = MigrationExecutor(connection)  # on to the newest: later tests use this database
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert CasePerson.objects.get(pk=person.pk).id_number == ID_NUMBER
    assert sorted(i.caller_phone for i in Incident.objects.exclude(caller_phone="")) == sorted(
        plain
    )
    # a retry of that request after the upgrade still finds its incident
    scope = identity.scope_for(identity_user("command"))
    with transaction.atomic():
        again, created = command.intake(
            scope, body=BODY, key="before-upgrade", now=clock.now(), today=clock.today("UTC")
        )
    assert again.pk == earlier.pk and not created


def test_a_backup_keeps_the_numbers_sealed_and_its_restore_needs_the_field_key(
    city, tmp_path
) -> None:
    from tests.integration.test_backup import _scratch_target

    # the backup reads what is committed: the demo's history
    incident = Incident.objects.filter(received_by="demo").exclude(caller_phone="").first()
    key = backup.read_key(backup.new_key())
    manifest = backup.create(tmp_path / "b.backup", key, connection=connection)
    sealed = manifest["facts"]["sealed"]
    assert set(sealed) == {
        "cases_caseperson.id_number",
        "command_incident.caller_name",
        "command_incident.caller_phone",
        "identity_otpdevice.secret",  # the authenticators' TOTP secrets
    }
    assert backup.field_keys_needed(manifest) == {fields.keyring().current}
    target, drop = _scratch_target(tmp_path)
    try:
        restored = backup.restore(tmp_path / "b.backup", key, to=target)
        assert restored["facts"]["sealed"] == sealed
        sql = "SELECT caller_phone FROM command_incident WHERE id = "
        if connection.vendor == "sqlite":
            db = sqlite3.connect(target[len("sqlite:///") :])
            row = db.execute(sql + "?", [incident.pk.hex]).fetchone()
            db.close()
        else:
            import psycopg

            with psycopg.connect(target) as db:
                row = db.execute(sql + "%s", [incident.pk]).fetchone()
        assert incident.caller_phone not in row[0]
        assert PHONE_FIELD.open_raw(row[0], incident.pk) == incident.caller_phone  # same key
        other = encryption.KeyRing((_other_key(),))
        with pytest.raises(encryption.FieldKeyError, match="not configured"):
            encryption.unseal(
                other, row[0], table="command_incident", column="caller_phone", row=str(incident.pk)
            )
    finally:
        drop()


def _scan_after_delete(path: Path, init_command: str) -> list[str]:
    """Write numbers, checkpoint, overwrite some with sealed values and delete others (as the
    sealing migration and a deletion do), checkpoint, and return the numbers still in the file."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(init_command)
    db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, phone TEXT, note TEXT)")
    numbers = [f"139{uuid.uuid4().int % 10**8:08d}" for _ in range(200)]
    db.execute("BEGIN")
    for n in numbers:
        db.execute("INSERT INTO people (phone, note) VALUES (?, ?)", (n, "x" * 30))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("UPDATE people SET phone = 'v1:0123abcd:' || hex(randomblob(48)) WHERE id % 20 = 0")
    db.execute("DELETE FROM people WHERE id % 20 = 1")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    gone = [n for i, n in enumerate(numbers, start=1) if i % 20 in (0, 1)]
    data = path.read_bytes() + (
        Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b""
    )
    return [n for n in gone if n.encode() in data]


def test_sqlite_zeroes_deleted_and_overwritten_numbers(db, tmp_path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("secure_delete is SQLite's")
    init = connection.settings_dict["OPTIONS"]["init_command"]
    assert "secure_delete=ON" in init
    with connection.cursor() as c:
        c.execute("PRAGMA secure_delete")
        assert c.fetchone()[0] == 1
    assert _scan_after_delete(tmp_path / "on.sqlite3", init) == []
    # the same with secure_delete off leaves them there: the scan can fail
    off = init.replace("secure_delete=ON", "secure_delete=OFF")
    assert len(_scan_after_delete(tmp_path / "off.sqlite3", off)) == 20
