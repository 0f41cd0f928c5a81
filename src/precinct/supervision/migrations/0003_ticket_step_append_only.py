from django.db import migrations

CREATE = """
CREATE TRIGGER supervision_ticketstep_append_only
  BEFORE UPDATE OR DELETE ON supervision_ticketstep
  FOR EACH ROW EXECUTE FUNCTION precinct_refuse_change();
"""
DROP = "DROP TRIGGER IF EXISTS supervision_ticketstep_append_only ON supervision_ticketstep;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_withdrawn"), ("cases", "0002_case_event_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
