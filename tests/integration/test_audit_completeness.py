"""Issue 18 V8: what the log did not hold. A refused access (403 by the access rules or by a
service, 404 for a record outside the caller's scope or missing), every file that leaves the
system (roster, session pack, bonus workbook, figures, statistics, a job's file, a dossier, a
campaign report) and the API's reads of officers each leave an entry; an anonymous visitor sent
to the sign-in page does not (the sign-in itself is audited)."""

import hashlib
import re
import uuid

import pytest
from django.utils.translation import override

from precinct.identity import labels
from precinct.identity.models import AuditEntry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _new(before: set, **match) -> list[AuditEntry]:
    return [e for e in AuditEntry.objects.filter(**match) if e.pk not in before]


def _ids() -> set:
    return set(AuditEntry.objects.values_list("pk", flat=True))


def _outsider(city) -> uuid.UUID:
    """An officer of the bureau the station's unit chief does not reach."""
    from precinct.org import services as org
    from precinct.org.models import Officer

    mine = org.scope_officers(city.scope("chief")).values_list("pk", flat=True)
    return Officer.objects.filter(bureau_id=city.bureau_id).exclude(pk__in=mine).first().pk


def _insider(city) -> uuid.UUID:
    from precinct.org import services as org

    return org.scope_officers(city.scope("chief")).first().pk


# --- refusals ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("officer", "/audit/", 403),  # a page the role may not open (the access rules)
        ("officer", "/api/v1/audit", 403),  # the same over the API
        ("chief", "/org/officers/{outsider}/", 404),  # a record outside scope (a service says so)
        ("chief", "/api/v1/officers/{outsider}", 404),  # the same over the API
        ("chief", f"/org/officers/{uuid.UUID(int=7)}/", 404),  # a record that does not exist
        ("leader", "/merit/months/1999-13/", 404),  # a view raising Http404 itself
    ],
)
def test_it_records_a_signed_in_users_refused_access(city, username, url, status) -> None:
    url = url.format(outsider=_outsider(city))
    c = city.client(username)
    before = _ids()
    assert c.get(url).status_code == status
    action = "access_denied" if status == 403 else "not_found"
    entries = _new(before, action=action)
    assert len(entries) == 1, [(e.action, e.detail) for e in _new(before)]
    entry = entries[0]
    assert entry.actor == username and entry.role == city.user(username).role
    assert entry.detail["path"] == url and entry.detail["method"] == "GET"
    assert entry.object_type == "page"


def test_it_records_a_refused_write_once(city) -> None:
    c = city.client("officer")
    before = _ids()
    r = c.post("/audit/verify/")
    assert r.status_code == 403
    entries = _new(before, action="access_denied")
    assert len(entries) == 1 and entries[0].detail["method"] == "POST"


def test_an_anonymous_visitor_sent_to_sign_in_leaves_no_entry(city, client) -> None:
    before = _ids()
    assert client.get("/audit/").status_code == 302
    assert client.get("/api/v1/officers").status_code == 401
    assert not _new(before)


def test_the_audit_search_finds_a_refused_probe_of_an_officer(city) -> None:
    """The auditor who looks up an officer by police number sees who probed his record."""
    from precinct.org.models import Officer

    outsider = _outsider(city)
    assert city.client("chief").get(f"/org/officers/{outsider}/").status_code == 404
    number = Officer.objects.get(pk=outsider).police_number
    rows = city.client("auditor").get("/audit/", {"q": number}).context["rows"]
    assert any(r.entry.action == "not_found" and r.entry.actor == "chief" for r in rows)


# --- files leaving the system --------------------------------------------------------------------
def _month(city) -> str:
    from precinct.merit.models import MonthClose

    return MonthClose.objects.filter(bureau_id=city.bureau_id).order_by("-month").first().month


def _award(city) -> str:
    from precinct.merit.models import AwardProposal

    return str(AwardProposal.objects.filter(bureau_id=city.bureau_id).first().pk)


def _campaign(city) -> str:
    from precinct.campaigns.models import Campaign

    return str(Campaign.objects.filter(bureau_id=city.bureau_id).first().pk)


def _job(city) -> str:
    from precinct.jobs.models import Job

    job = Job.objects.create(
        bureau_id=city.bureau_id, kind="merit.pack", key="t", state="done",
        actor={"username": "political"}, file=b"PK\x03\x04 a workbook",
        file_name="sanyi-test.xlsx", content_type=XLSX,
    )  # fmt: skip
    return str(job.pk)


DOWNLOADS = [
    ("leader", "/org/roster/export.xlsx", lambda city: {}),
    ("political", "/merit/months/{month}/bonus.xlsx", lambda city: {"month": _month(city)}),
    ("leader", "/merit/months/{month}/pack.xlsx", lambda city: {"month": _month(city)}),
    ("leader", "/merit/awards/{award}/dossier.pdf", lambda city: {"award": _award(city)}),
    ("command", "/command/figures.xlsx?from=2020-01-01&to=2020-01-31", lambda city: {}),
    ("leader", "/stats/export/", lambda city: {}),
    ("leader", "/campaigns/{campaign}/report/", lambda city: {"campaign": _campaign(city)}),
    ("political", "/jobs/{job}/file", lambda city: {"job": _job(city)}),
]


@pytest.mark.parametrize(("username", "url", "args"), DOWNLOADS)
def test_every_file_that_leaves_the_system_is_recorded_once(city, username, url, args) -> None:
    url = url.format(**args(city))
    c = city.client(username)
    before = _ids()
    r = c.get(url)
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    content = r.content
    entries = _new(before)
    assert [e.action for e in entries] == ["download"], [(e.action, e.detail) for e in entries]
    entry = entries[0]
    name = re.search(r'filename="([^"]+)"', r["Content-Disposition"])[1]
    assert entry.actor == username and entry.object_type == "file"
    assert entry.detail == {
        "path": url,
        "file_name": name,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


# --- the API's reads of officers -----------------------------------------------------------------
def test_an_api_list_of_officers_is_one_entry_naming_its_rows(city) -> None:
    c = city.client("leader")
    before = _ids()
    r = c.get("/api/v1/officers", {"page_size": 7, "post_type": "patrol"})
    assert r.status_code == 200
    items = r.json()["items"]
    entries = _new(before)
    assert [e.action for e in entries] == ["export"]
    entry = entries[0]
    assert entry.object_type == "org.officer" and entry.actor == "leader"
    assert entry.detail["rows"] == len(items) == 7
    assert entry.detail["total"] == r.json()["total"]
    assert entry.detail["post_type"] == "patrol" and entry.detail["page"] == 1
    assert entry.detail["officers"] == [i["id"] for i in items]
    assert entry.bureau_id == str(city.bureau_id)


def test_an_api_read_of_an_officer_and_his_postings_is_recorded(city) -> None:
    officer = _insider(city)
    chief = city.client("chief")
    before = _ids()
    assert chief.get(f"/api/v1/officers/{officer}").status_code == 200
    assert chief.get(f"/api/v1/officers/{officer}/assignments").status_code == 200
    entries = _new(before)
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("view", "org.officer", str(officer))
    ] * 2


def test_an_api_list_of_secondments_is_recorded(city) -> None:
    c = city.client("leader")
    before = _ids()
    r = c.get("/api/v1/secondments", {"page_size": 5})
    assert r.status_code == 200
    entries = _new(before)
    assert [(e.action, e.object_type) for e in entries] == [("export", "org.secondment")]
    assert entries[0].detail["rows"] == len(r.json()["items"])


# --- the log in words ----------------------------------------------------------------------------
NEW_ACTIONS = ["access_denied", "not_found", "download"]


def test_the_new_entries_read_as_words_in_every_language() -> None:
    """Each new action has its own label; the details a refusal, a download and an API list
    record are named in words and their values (a method, a post type) too."""
    latin = re.compile(r"[A-Za-z]")
    with override("en"):
        shown = {code: labels.action_label(code) for code in labels.ACTION_LABELS}
        assert len(set(shown.values())) == len(shown)
        assert all(shown[c] != str(labels.OTHER_ACTION) for c in NEW_ACTIONS)
    for language in ("zh-hans", "zh-hant"):
        with override(language):
            for code in NEW_ACTIONS:
                assert not latin.search(labels.action_label(code)), (language, code)
            for kind in ("page", "file"):
                assert not latin.search(labels.object_label(kind)), (language, kind)
            refusal = labels.detail_lines("page", {"path": "/audit/", "method": "POST"})
            download = labels.detail_lines(
                "file", {"path": "/x", "file_name": "a.xlsx", "bytes": 5, "sha256": "ab"}
            )
            listed = labels.detail_lines(
                "org.officer",
                {"rows": 1, "total": 9, "page": 1, "post_type": "patrol", "age_band": "u30",
                 "status": "active", "q": "王", "officers": ["x"]},
            )  # fmt: skip
            for line in refusal + download + listed:
                assert not latin.search(line.label), (language, line.label)
            assert not latin.search(refusal[1].after.text), (language, refusal[1].after.text)
            values = {x.label: x.after.text for x in listed}
            assert all(not latin.search(v) for v in values.values()), (language, values)
