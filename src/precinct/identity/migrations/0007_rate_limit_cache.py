"""The rate limits' shared counters (ADR 0035): Django's database cache table, made by
``createcachetable`` for every DatabaseCache in the settings, so that `precinct db upgrade`
(and so `make run`), the tests' databases and a restored backup all have it. Written by hand:
keep it when the migrations are regenerated. Safe to run again (an existing table is left)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("identity", "0006_enrolment_codes")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
