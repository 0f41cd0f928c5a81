"""Callers' telephone numbers sealed at rest (ADR 0022): the column becomes text (the sealed form
is longer), every number already there is sealed for its row, and the Idempotency-Keys' body
digests become keyed. Reversed, the numbers are written back in plaintext (the digests stay keyed:
a retry of a request made before the reversal is then refused as another body)."""

from django.db import migrations

import precinct.common.fields
from precinct.common import fields

INTAKE_BODY = b"command intake body"  # as precinct.command.services.keying


def key_digests(apps, schema_editor):
    # The plain SHA-256 of a body can be reversed by trying every number (the rest of the body is
    # in the incident row): each becomes an HMAC of itself under the newest field key.
    conn = schema_editor.connection
    ring = fields.keyring()
    table = conn.ops.quote_name(apps.get_model("command", "IntakeKey")._meta.db_table)
    last = None
    with conn.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, body_digest FROM {table} "
                + ("" if last is None else "WHERE id > %s ")
                + "ORDER BY id LIMIT 1000",
                [] if last is None else [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(
                f"UPDATE {table} SET body_digest = %s WHERE id = %s",
                [(ring.mac(digest.encode(), INTAKE_BODY)[0], pk) for pk, digest in rows],
            )
            last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("command", "0002_crewshift")]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="caller_phone",
            field=precinct.common.fields.EncryptedCharField(
                blank=True, max_length=24, verbose_name="caller phone"
            ),
        ),
        migrations.RunPython(
            fields.migration_step("command", "Incident", "caller_phone", forward=True),
            fields.migration_step("command", "Incident", "caller_phone", forward=False),
        ),
        migrations.RunPython(key_digests, migrations.RunPython.noop),
    ]
