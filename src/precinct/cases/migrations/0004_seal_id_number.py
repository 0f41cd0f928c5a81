"""Identity numbers of the people in cases sealed at rest (ADR 0022): the column becomes text (the
sealed form is longer) and every number already there is sealed for its row; reversed, the
numbers are written back in plaintext."""

from django.db import migrations

import precinct.common.fields
from precinct.common import fields


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_corrections_index")]

    operations = [
        migrations.AlterField(
            model_name="caseperson",
            name="id_number",
            field=precinct.common.fields.EncryptedCharField(
                blank=True, max_length=32, verbose_name="identity number"
            ),
        ),
        migrations.RunPython(
            fields.migration_step("cases", "CasePerson", "id_number", forward=True),
            fields.migration_step("cases", "CasePerson", "id_number", forward=False),
        ),
    ]
