"""The console script and configuration, run as a user would: in subprocesses."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import CHILD_TIMEOUT_S, child_env

PRECINCT = [sys.executable, "-m", "precinct.cli"]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = child_env(PRECINCT_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        args, capture_output=True, text=True, env=full, timeout=CHILD_TIMEOUT_S, check=False
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = _run([*PRECINCT, "--help"], tmp_path).stdout
    for name in ("db", "serve", "demo", "token", "audit", "keys"):
        assert f"  {name} " in out


def test_production_refuses_a_default_secret_or_debug(tmp_path: Path) -> None:
    check = [sys.executable, "-c", "import precinct.config.settings"]
    r = _run(check, tmp_path, PRECINCT_ENV="production")
    assert r.returncode != 0 and "PRECINCT_SECRET_KEY" in r.stderr
    r = _run(check, tmp_path, PRECINCT_ENV="production", PRECINCT_SECRET_KEY="change-me")
    assert r.returncode != 0 and "PRECINCT_SECRET_KEY" in r.stderr
    strong = "k" * 12 + "Zq8!x" * 8
    r = _run(
        check, tmp_path, PRECINCT_ENV="production", PRECINCT_SECRET_KEY=strong, PRECINCT_DEBUG="1"
    )
    assert r.returncode != 0 and "PRECINCT_DEBUG" in r.stderr
    r = _run(check, tmp_path, PRECINCT_ENV="production", PRECINCT_SECRET_KEY=strong)
    assert r.returncode != 0 and "PRECINCT_AUDIT_KEY" in r.stderr
    audit = "a" * 16 + "Yp3#" * 6
    r = _run(
        check,
        tmp_path,
        PRECINCT_ENV="production",
        PRECINCT_SECRET_KEY=strong,
        PRECINCT_AUDIT_KEY=audit,
    )
    assert r.returncode != 0 and "PRECINCT_FIELD_KEY must be set" in r.stderr
    keys = {"PRECINCT_SECRET_KEY": strong, "PRECINCT_AUDIT_KEY": audit}
    r = _run(check, tmp_path, PRECINCT_ENV="production", PRECINCT_FIELD_KEY="change-me", **keys)
    assert r.returncode != 0 and "32 random bytes" in r.stderr and "change-me" not in r.stderr
    made = _run([*PRECINCT, "keys", "new"], tmp_path, PRECINCT_ENV="production")  # no key yet
    assert made.returncode == 0 and "key id" in made.stderr, made.stderr
    field = made.stdout.strip()
    assert len(base64.urlsafe_b64decode(field)) == 32
    r = _run(check, tmp_path, PRECINCT_ENV="production", PRECINCT_FIELD_KEY=field, **keys)
    assert r.returncode == 0, r.stderr
    # a moved clock is for tests and training: production refuses it
    r = _run(check, tmp_path, PRECINCT_ENV="production", PRECINCT_FIELD_KEY=field,
             PRECINCT_TODAY="2028-02-29", **keys)  # fmt: skip
    assert r.returncode != 0 and "PRECINCT_CLOCK_SHIFT_DAYS" in r.stderr


def test_a_moved_clock_lives_on_its_day_and_hands_it_to_children(tmp_path: Path) -> None:
    """PRECINCT_TODAY moves the project's clock and Django's by whole days; a process started
    from it inherits the same shift, so both live on the same day."""
    code = (
        "import os, subprocess, sys; from django.utils import timezone; "
        "from precinct.core import clock; "
        "print(clock.today('Asia/Shanghai'), timezone.now().astimezone(clock.zoneinfo.ZoneInfo("
        "'Asia/Shanghai')).date(), os.environ['PRECINCT_CLOCK_SHIFT_DAYS']); sys.stdout.flush(); "
        "subprocess.run([sys.executable, '-c', 'from precinct.core import clock; "
        'print(clock.today("Asia/Shanghai"))\'], check=True)'
    )
    moved = {"PRECINCT_CLOCK_SHIFT_DAYS": ""}  # not the shift this run may live on itself
    r = _run([*PRECINCT, "shell", "-c", code], tmp_path, PRECINCT_TODAY="2028-02-29", **moved)
    assert r.returncode == 0, r.stderr
    first, second = [ln for ln in r.stdout.splitlines() if ln.startswith("20")][:2]
    assert first.split()[:2] == ["2028-02-29", "2028-02-29"] and int(first.split()[2]) > 0
    assert second == "2028-02-29"
    r = _run([*PRECINCT, "shell", "-c", "print(1)"], tmp_path, PRECINCT_TODAY="29/02/2028", **moved)
    assert r.returncode != 0 and "PRECINCT_TODAY must be a date" in r.stderr


def test_development_keeps_a_generated_secret_out_of_the_repo(tmp_path: Path) -> None:
    r = _run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; import precinct.config.settings as m; print(m.SECRET_KEY)",
        ],
        tmp_path,
    )
    key = (tmp_path / "secret.key").read_text()
    assert r.stdout.strip() == key and len(key) >= 50


def test_the_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    r = _run([*PRECINCT, "serve", "--port", "8799"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 2 and "precinct db upgrade" in r.stderr
    r = _run(
        [sys.executable, "-c", "import precinct.config.asgi"], tmp_path, PRECINCT_DATABASE_URL=db
    )
    assert r.returncode != 0 and "precinct db upgrade" in r.stderr


@pytest.mark.slow
def test_upgrade_demo_token_and_verify_from_the_shell(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert _run([*PRECINCT, "db", "upgrade"], tmp_path, PRECINCT_DATABASE_URL=db).returncode == 0
    r = _run([*PRECINCT, "db", "status"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 0 and "up to date" in r.stdout
    r = _run(
        [
            *PRECINCT,
            "demo",
            "load",
            "--seed",
            "3",
            "--criminal",
            "20",
            "--administrative",
            "60",
            "--merit-months",
            "1",
            "--incident-days",
            "1",
        ],
        tmp_path,
        PRECINCT_DATABASE_URL=db,
    )
    assert r.returncode == 0, r.stderr
    assert "leader" in r.stdout and "auditor" in r.stdout
    r = _run([*PRECINCT, "demo", "load", "--if-empty"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 0 and "nothing loaded" in r.stderr
    r = _run([*PRECINCT, "keys", "status"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 0 and "command.Incident.caller_phone: " in r.stdout, r.stderr
    other = {"PRECINCT_DATABASE_URL": db, "PRECINCT_SECRET_KEY": "another-secret-" + "k" * 40}
    r = _run([*PRECINCT, "serve", "--port", "8798"], tmp_path, **other)  # another field key
    assert r.returncode == 2 and "PRECINCT_FIELD_KEY" in r.stderr and "Traceback" not in r.stderr
    r = _run([*PRECINCT, "token", "create", "legal"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 0 and r.stdout.strip().startswith("pct_")
    r = _run([*PRECINCT, "token", "create", "nobody"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 2 and "nobody" in r.stderr and "Traceback" not in r.stderr
    r = _run([*PRECINCT, "audit", "verify"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 0 and "chain intact" in r.stdout
    sqlite = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
            "c.execute(\"update identity_auditentry set actor='x' where seq=10\"); c.commit(); "
            "print(c.execute('pragma journal_mode').fetchone()[0])",
            str(tmp_path / "cli.sqlite3"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sqlite.stdout.strip() == "wal"
    r = _run([*PRECINCT, "audit", "verify"], tmp_path, PRECINCT_DATABASE_URL=db)
    assert r.returncode == 1 and "#10" in r.stdout


def test_demo_is_deterministic_per_seed(tmp_path: Path) -> None:
    dumps = []
    for name in ("a", "b"):
        db = f"sqlite:///{tmp_path / name}.sqlite3"
        _run([*PRECINCT, "db", "upgrade"], tmp_path, PRECINCT_DATABASE_URL=db)
        _run(
            [
                *PRECINCT,
                "demo",
                "load",
                "--seed",
                "11",
                "--criminal",
                "20",
                "--administrative",
                "60",
                "--merit-months",
                "1",
                "--incident-days",
                "1",
            ],
            tmp_path,
            PRECINCT_DATABASE_URL=db,
        )
        code = (
            "from precinct.org.models import Officer, Assignment; "
            "print([(str(o.pk), o.police_number, o.name, o.birth_date) for o in Officer.objects.order_by('pk')[:50]]); "
            "print(Officer.objects.count(), Assignment.objects.count()); "
            "from precinct.cases.models import Case; "
            "print(list(Case.objects.order_by('number').values_list('number', 'title', 'kind')[:30]))"
        )
        dumps.append(
            _run([*PRECINCT, "shell", "-c", code], tmp_path, PRECINCT_DATABASE_URL=db).stdout
        )
    assert dumps[0] == dumps[1] and "[(" in dumps[0]
