from django.db import migrations

TABLES = ("merit_ledgertransaction", "merit_ledgerentry", "merit_monthclose")
CREATE = """
CREATE TRIGGER {table}_append_only
  BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION precinct_refuse_change();
"""
DROP = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(CREATE.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table))


class Migration(migrations.Migration):
    dependencies = [("merit", "0001_initial"), ("cases", "0002_case_event_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
