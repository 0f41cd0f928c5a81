"""Pages through the real Django stack: sign in and out, lockout, CSRF, language, forms, roster."""

import io
import re

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import Workbook

from precinct.demo.services import DEMO_PASSWORD
from precinct.identity.models import AuditEntry
from precinct.jobs import services as jobs
from precinct.org import rules
from precinct.org.models import Officer, Unit


def _login(client: Client, username: str, password: str = DEMO_PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_sign_in_creates_a_new_session_and_is_audited(city) -> None:
    c = Client()
    c.get("/login/")
    before = c.cookies.get(settings.SESSION_COOKIE_NAME)
    r = _login(c, "leader")
    assert r.status_code == 302 and r["Location"] == "/"
    after = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    entry = AuditEntry.objects.filter(action="login").order_by("-at", "-id").first()
    assert entry.actor == "leader" and entry.ip == "127.0.0.1"
    assert c.get("/").status_code == 200


def test_passwords_are_hashed_with_argon2(city) -> None:
    assert city.user("leader").password.startswith("argon2")


def test_a_failed_sign_in_is_audited_and_explained(city) -> None:
    failures = AuditEntry.objects.filter(action="login_failed", actor="legal")
    assert not failures.exists()
    c = Client()
    r = _login(c, "legal", "wrong-password-123")
    # the form comes back, in Chinese (the default), saying what went wrong and what comes next
    html = r.content.decode()
    assert r.status_code == 200 and '<html lang="zh-hans">' in html
    assert '<p class="error" role="alert">用户名或密码错误。失败 5 次后账号将被锁定。</p>' in html
    assert 'value="legal"' in html and "wrong-password-123" not in html
    assert c.get("/").status_code == 302  # not signed in
    # and the audit log names the attempt: who, from where, never the password tried
    entry = failures.get()
    assert entry.ip == "127.0.0.1" and entry.object_type == "identity.user"
    assert entry.detail == {"username": "legal"}


def test_five_failures_lock_the_account_until_unlocked(city) -> None:
    c = Client()
    for _ in range(5):
        _login(c, "command", "not-the-password-1")
    r = _login(c, "command")  # even the right password is refused now
    assert r.status_code in (403, 429)
    assert AuditEntry.objects.filter(action="account_locked").exists()
    from axes.utils import reset

    reset(username="command")
    assert _login(Client(), "command").status_code == 302


def test_sign_out_needs_a_post_and_ends_the_session(city) -> None:
    c = Client()
    _login(c, "leader")
    assert c.get("/logout/").status_code in (403, 405)
    r = c.post("/logout/")
    assert r.status_code == 302
    assert c.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor="leader").exists()


def test_sessions_expire_after_30_idle_minutes(city, monkeypatch) -> None:
    """The idle timeout is Django's database session: each request stores a new expiry 30 minutes
    ahead (SESSION_COOKIE_AGE, SESSION_SAVE_EVERY_REQUEST) and a session past its expiry is not
    loaded. Time is moved forward where those read it (django.utils.timezone.now, and the
    project's clock for the access middleware's gates), no sleeping."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from precinct.core import clock

    real_now = clock.now  # the moved clock when PRECINCT_TODAY is set: the test follows it
    ahead = {"by": dt.timedelta(0)}
    monkeypatch.setattr(clock, "now", lambda: real_now() + ahead["by"])
    monkeypatch.setattr(timezone, "now", lambda: real_now() + ahead["by"])

    c = Client()
    assert _login(c, "leader").status_code == 302
    assert c.get("/").status_code == 200
    key = c.cookies[settings.SESSION_COOKIE_NAME].value
    # busy: a request every 29 minutes keeps the session past 30 minutes after signing in
    for minutes in (29, 58):
        ahead["by"] = dt.timedelta(minutes=minutes)
        assert c.get("/").status_code == 200, f"signed out {minutes} minutes after signing in"
    stored = Session.objects.get(session_key=key).expire_date
    assert abs(stored - (real_now() + dt.timedelta(minutes=58 + 30))) < dt.timedelta(minutes=1)
    # idle: 31 minutes after the last request the next one is sent to sign in
    ahead["by"] = dt.timedelta(minutes=58 + 31)
    r = c.get("/org/officers/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=/org/officers/"


def test_forms_without_csrf_token_are_refused(city) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(city.user("political"))
    officer = Officer.objects.first()
    r = c.post(f"/org/officers/{officer.pk}/edit/", {"name": "x"})
    assert r.status_code == 403


def test_chinese_by_default_and_switchable(city) -> None:
    c = city.client("leader")
    # Chinese even when the workstation's browser asks for English
    html = c.get("/org/officers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "民警" in html
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = c.get("/org/officers/").content.decode()
    assert '<html lang="en">' in html and "Officers" in html
    c.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert '<html lang="zh-hant">' in c.get("/").content.decode()


def test_officer_list_filters_and_htmx_partial(city) -> None:
    c = city.client("leader")
    one = Officer.objects.order_by("police_number")[3]
    full = c.get("/org/officers/", {"q": one.police_number}).content.decode()
    assert one.name in full and "<html" in full
    part = c.get(
        "/org/officers/", {"q": one.police_number}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert one.name in part and "<html" not in part
    row_link = re.compile(r'href="/org/officers/[0-9a-f-]{36}/"')
    patrol_young = c.get(
        "/org/officers/", {"post_type": "patrol", "age_band": "u30"}
    ).content.decode()
    assert row_link.findall(patrol_young) == []  # the patrol brigade is 55+
    patrol_old = c.get(
        "/org/officers/", {"post_type": "patrol", "age_band": "55+"}
    ).content.decode()
    assert len(row_link.findall(patrol_old)) == 50  # first page of 120


def _officer_form(**over):
    data = {
        "police_number": "199500",
        "name": "页面新警",
        "gender": "F",
        "birth_date": "1997-02-03",
        "hire_date": "2020-07-01",
        "rank": "一级警员",
        "post_type": "community",
        "status": "active",
        "party": "league",
        "position": "民警",
        "start": "2024-01-01",
    }
    data.update(over)
    return data


def test_create_officer_page_validates_and_saves(city) -> None:
    c = city.client("political")
    unit = Unit.objects.get(code="DS02")
    bad = c.post("/org/officers/new/", _officer_form(unit=str(unit.pk), police_number="12"))
    assert bad.status_code == 200 and "必须是 6 位数字" in bad.content.decode()  # translated
    assert not Officer.objects.filter(name="页面新警").exists()
    r = c.post("/org/officers/new/", _officer_form(unit=str(unit.pk)))
    assert r.status_code == 302
    officer = Officer.objects.get(police_number="199500")
    assert officer.current_unit == unit


def test_edit_officer_page(city) -> None:
    c = city.client("chief")
    officer = Officer.objects.filter(current_unit_id=city.user("chief").unit_id).last()
    data = {
        f: getattr(officer, f)
        for f in (
            "police_number",
            "name",
            "gender",
            "birth_date",
            "hire_date",
            "rank",
            "post_type",
            "party",
        )
    }
    data["status"] = "second_line"
    r = c.post(f"/org/officers/{officer.pk}/edit/", data)
    assert r.status_code == 302
    officer.refresh_from_db()
    assert officer.status == "second_line"


def test_roster_import_page_lists_bad_rows_and_writes_nothing(city) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append([label for _f, label in rules.ROSTER_COLUMNS])
    ws.append(
        [
            "199600",
            "好行",
            "男",
            "1990-01-01",
            "2012-01-01",
            "一级警司",
            "刑警",
            "在职",
            "群众",
            "XY01",
            "民警",
            None,
        ]
    )
    ws.append(
        [
            "199601",
            "坏行",
            "男",
            "1990-01-01",
            "2012-01-01",
            "上将",
            "刑警",
            "在职",
            "群众",
            "XY01",
            "民警",
            None,
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "roster.xlsx"
    c = city.client("political")
    assert c.post("/org/roster/import/", {"file": buf}).status_code == 302  # a job
    jobs.work()
    html = c.get("/org/roster/import/").content.decode()
    assert 'class="job-errors"' in html and "<td>3</td><td>警衔</td>" in html
    assert not Officer.objects.filter(police_number__in=["199600", "199601"]).exists()


def test_roster_export_is_a_real_workbook(city) -> None:
    r = city.client("chief").get("/org/roster/export.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    assert (
        ws.max_row - 1 == Officer.objects.filter(current_unit_id=city.user("chief").unit_id).count()
    )


def test_officer_detail_view_is_audited(city) -> None:
    c = city.client("legal")
    officer = Officer.objects.first()
    assert c.get(f"/org/officers/{officer.pk}/").status_code == 200
    assert AuditEntry.objects.filter(
        action="view", object_id=str(officer.pk), actor="legal"
    ).exists()


@pytest.mark.parametrize(
    "username",
    ["leader", "political", "legal", "command", "chief", "officer", "sysadmin", "auditor"],
)
def test_every_role_has_a_home_page(city, username) -> None:
    r = city.client(username).get("/")
    assert r.status_code == 200


def test_auditor_verifies_the_chain_from_the_page(city) -> None:
    c = city.client("auditor")
    html = c.post("/audit/verify/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="verify-result"' in html and "<html" not in html
    assert c.get("/audit/", {"actor": "test"}).status_code == 200


def _age_failures(username: str, minutes: int) -> None:
    """Move an account's recorded failures back in time, as if minutes had passed."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessAttemptExpiration
    from django.utils import timezone

    delta = dt.timedelta(minutes=minutes)
    AccessAttempt.objects.filter(username=username).update(attempt_time=timezone.now() - delta)
    for exp in AccessAttemptExpiration.objects.filter(access_attempt__username=username):
        exp.expires_at -= delta
        exp.save()


def test_failures_spread_over_more_than_15_minutes_do_not_lock(city) -> None:
    for _ in range(4):
        _login(Client(), "command", "not-the-password-1")
    _age_failures("command", 16)
    _login(Client(), "command", "not-the-password-1")  # a fifth failure, but outside the window
    assert _login(Client(), "command").status_code == 302


def test_a_lock_outlasts_the_window_of_its_failures(city) -> None:
    """The lock holds for its own time (tests/integration/test_lockout.py), however old the
    failures that made it."""
    for _ in range(5):
        _login(Client(), "legal", "not-the-password-1")
    _age_failures("legal", 60 * 24)
    assert _login(Client(), "legal").status_code in (403, 429)


def test_sysadmin_unlocks_an_account_from_the_admin(city) -> None:
    for _ in range(5):
        _login(Client(), "political", "not-the-password-1")
    assert _login(Client(), "political").status_code in (403, 429)
    admin = city.client("sysadmin")
    user = city.user("political")
    r = admin.post(
        "/admin/identity/user/", {"action": "unlock", "_selected_action": [str(user.pk)]}
    )
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="account_unlocked", object_id=str(user.pk)).exists()
    assert _login(Client(), "political").status_code == 302


def test_catalogs_are_compiled_and_complete() -> None:
    import gettext
    from pathlib import Path

    import precinct

    base = Path(precinct.__file__).parent / "locale"
    for lang in ("zh_Hans", "zh_Hant"):
        po = (base / lang / "LC_MESSAGES" / "django.po").read_text()
        entries = po.count('\nmsgid "') - 1  # minus the header
        assert '\nmsgstr ""\n\n' not in po.split("\n\n", 1)[1], f"{lang}: untranslated entries"
        with open(base / lang / "LC_MESSAGES" / "django.mo", "rb") as fh:
            mo = gettext.GNUTranslations(fh)
        assert len(mo._catalog) - 1 >= entries, f"{lang}: django.mo is stale, run `make messages`"


def _entries(po: str) -> list[dict[str, str]]:
    """A catalogue's entries (not the header): their context, id and translation, each joined
    from its quoted lines; the flags."""
    out = []
    for block in po.split("\n\n")[1:]:
        entry: dict[str, str] = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
                key, _, rest = line.partition(" ")
                entry[key] = rest[1:-1]
            elif line.startswith('"') and key:
                entry[key] += line[1:-1]
        if "msgid" in entry:
            out.append(entry)
    return out


def test_the_english_catalogue_changes_only_the_brand() -> None:
    """English is the source language: its catalogue translates nothing but the brand. A fuzzy
    guess taken over from a neighbouring word once made "Yes" read "Years" and "Exported"
    read "Imported"."""
    from pathlib import Path

    import precinct

    po = (Path(precinct.__file__).parent / "locale/en/LC_MESSAGES/django.po").read_text()
    changed = {
        e["msgid"]: e.get("msgstr", e.get("msgstr[0]", ""))
        for e in _entries(po)
        if e.get("msgstr", e.get("msgstr[0]", ""))
    }
    assert changed == {"precinct": "Precinct"}


def test_every_translation_keeps_the_placeholders_of_its_source() -> None:
    import re
    from pathlib import Path

    import precinct

    named = re.compile(r"%\((\w+)\)[sd]")
    for lang in ("zh_Hans", "zh_Hant"):
        po = (
            Path(precinct.__file__).parent / "locale" / lang / "LC_MESSAGES/django.po"
        ).read_text()
        for e in _entries(po):
            if "python-format" not in e["flags"]:
                continue
            shown = e.get("msgstr", e.get("msgstr[0]", ""))
            assert set(named.findall(shown)) == set(named.findall(e["msgid"])), (lang, e["msgid"])
        assert "fuzzy" not in po.split("\n\n", 1)[1], f"{lang}: a fuzzy guess is left"


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def _edit_with_photo(client: Client, officer, content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        f: getattr(officer, f)
        for f in (
            "police_number",
            "name",
            "gender",
            "birth_date",
            "hire_date",
            "rank",
            "post_type",
            "status",
            "party",
        )
    }
    data["photo"] = SimpleUploadedFile(name, content)
    return client.post(f"/org/officers/{officer.pk}/edit/", data)


def test_a_photo_is_uploaded_and_served_only_within_scope(city, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path
    chief = city.client("chief")
    officer = Officer.objects.filter(current_unit_id=city.user("chief").unit_id).first()
    assert _edit_with_photo(chief, officer, PNG, "me.png").status_code == 302
    r = chief.get(f"/org/officers/{officer.pk}/photo")
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r.content == PNG
    officer.refresh_from_db()
    assert officer.photo.name.endswith(".png") and "me" not in officer.photo.name
    other_chief_view = city.client("officer").get(f"/org/officers/{officer.pk}/photo")
    assert other_chief_view.status_code == 404 or officer.pk == city.user("officer").officer_id
    assert city.client("sysadmin").get(f"/org/officers/{officer.pk}/photo").status_code == 403


def test_a_file_that_is_not_an_image_is_refused(city, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path
    officer = Officer.objects.filter(current_unit_id=city.user("chief").unit_id).first()
    r = _edit_with_photo(city.client("chief"), officer, b"<script>alert(1)</script>", "x.png")
    assert r.status_code == 200 and "JPEG" in r.content.decode()
    officer.refresh_from_db()
    assert not officer.photo
    assert list(tmp_path.iterdir()) == []


def test_an_oversized_photo_is_refused(city, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path
    officer = Officer.objects.filter(current_unit_id=city.user("chief").unit_id).first()
    big = PNG + b"\0" * (3 * 1024 * 1024)
    r = _edit_with_photo(city.client("chief"), officer, big, "big.png")
    assert r.status_code == 200 and "2 MB" in r.content.decode()
    assert list(tmp_path.iterdir()) == []


def test_an_idle_session_expires(city) -> None:
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    c = Client()
    _login(c, "leader")
    assert c.get("/").status_code == 200
    key = c.cookies[settings.SESSION_COOKIE_NAME].value
    idle = timezone.now() - dt.timedelta(minutes=1)  # 31 minutes after the last request
    Session.objects.filter(session_key=key).update(expire_date=idle)
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
