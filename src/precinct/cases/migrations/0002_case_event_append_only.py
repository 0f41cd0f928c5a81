from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION precinct_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_append_only
  BEFORE UPDATE OR DELETE ON cases_caseevent
  FOR EACH ROW EXECUTE FUNCTION precinct_refuse_change();
"""
DROP = "DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent;"


def forwards(apps, schema_editor):
    # PostgreSQL refuses to change or delete a recorded event: a correction is a new event.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
