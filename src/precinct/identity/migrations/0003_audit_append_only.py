from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION precinct_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.seq IS NOT NULL THEN
    RAISE EXCEPTION 'audit entries are append-only (entry %% #%%)', OLD.id, OLD.seq;
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER identity_auditentry_append_only
  BEFORE UPDATE OR DELETE ON identity_auditentry
  FOR EACH ROW EXECUTE FUNCTION precinct_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS identity_auditentry_append_only ON identity_auditentry;
DROP FUNCTION IF EXISTS precinct_audit_append_only();
"""


def forwards(apps, schema_editor):
    # PostgreSQL refuses to change or delete a linked entry. (SQLite has no such guard: anyone who
    # can write the file can drop a trigger; there the chain's MAC key is the protection.)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)  # "%%" is a literal "%" once the driver has read it


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_audit_head")]
    operations = [migrations.RunPython(forwards, backwards)]
