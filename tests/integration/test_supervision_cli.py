"""`precinct supervision check` as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

from tests.support import CHILD_TIMEOUT_S, child_env
from tests.unit.supervision.test_interchange import GOOD

PRECINCT = [sys.executable, "-m", "precinct.cli", "supervision", "check"]


def _run(tmp_path: Path, doc: object, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    env = child_env(PRECINCT_VAR_DIR=str(tmp_path), PRECINCT_ENV="test")
    return subprocess.run(
        [*PRECINCT, str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )


def test_json_findings_sorted_by_due(tmp_path: Path) -> None:
    r = _run(tmp_path, GOOD, "--at", "2026-03-06T08:00:00+08:00", "--json")
    assert r.returncode == 0, r.stderr
    findings = json.loads(r.stdout)["findings"]
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["C02"]["state"] == "met"
    assert by_rule["C03"]["state"] == "met"
    assert by_rule["C05"] == {
        "rule": "C05",
        "subject": "p1",
        "trigger_at": "2026-03-02T09:30:00+08:00",
        "due_at": "2026-03-06T00:00:00+08:00",
        "state": "overdue",
        "met_at": None,
        "severity": "high",
        "basis": "CPL 91; 规定 129",
        "kind": "deadline",
        "title": "拘留后提请批捕",
    }
    dues = [f["due_at"] for f in findings]
    assert dues == sorted(dues)


def test_a_readable_table_without_json(tmp_path: Path) -> None:
    r = _run(tmp_path, GOOD, "--at", "2026-03-06T08:00:00+08:00")
    assert r.returncode == 0 and "C05" in r.stdout and "overdue" in r.stdout
    assert "problem point" in r.stdout


def test_bad_input_exits_2_with_the_event_and_field_and_no_traceback(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(GOOD))
    doc["events"][1]["at"] = "2026-03-02T15:00:00"
    r = _run(tmp_path, doc, "--json")
    assert r.returncode == 2
    assert "event 2 (delivered_to_detention_centre): field 'at' has no UTC offset" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_not_json_and_a_bad_at_are_reported(tmp_path: Path) -> None:
    r = _run(tmp_path, "{not json", "--json")
    assert r.returncode == 2 and "not JSON" in r.stderr and "Traceback" not in r.stderr
    r = _run(tmp_path, GOOD, "--at", "yesterday")
    assert r.returncode == 2 and "--at" in r.stderr and "Traceback" not in r.stderr
