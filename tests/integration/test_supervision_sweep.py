"""The sweep: periodic (only the cases time can change) against full, parallel against one
process, and cases written to while a sweep runs."""

import datetime as dt

import pytest

from precinct.cases import services as cases
from precinct.cases.models import Case
from precinct.cases.rules import EventContent
from precinct.common import bulk
from precinct.core import clock
from precinct.supervision import services, sweep_pages
from precinct.supervision.models import Finding, SweepRun, Ticket

LATER = dt.timedelta(days=40)


def test_the_periodic_sweep_misses_nothing_a_full_sweep_would_find(city) -> None:
    later = clock.now() + LATER
    periodic = services.sweep(now=later)
    assert 0 < periodic.cases < cases.case_count()  # only the cases time can change
    assert periodic.changed > 0  # pending findings went due soon or overdue
    full = services.sweep(now=later, full=True)
    assert full.cases == cases.case_count()
    assert full.changed == 0 and full.tickets == 0
    runs = list(SweepRun.objects.filter(as_of=later).values_list("full", flat=True))
    assert sorted(runs) == [False, True]


def test_an_event_dated_after_the_last_sweep_comes_into_force(city) -> None:
    """An event recorded ahead of time is not in force until the clock passes it; the periodic
    sweep then takes its case even if the case had no open finding."""
    later = clock.now() + LATER
    services.sweep(now=later)
    open_cases = Finding.objects.filter(state__in=("pending", "due_soon")).values("case_id")
    case_id = Case.objects.filter(kind="criminal").exclude(pk__in=open_cases).first().pk
    event_at = later + dt.timedelta(days=1)
    cases.record_event(
        case=Case.objects.get(pk=case_id),
        content=EventContent("bail_started", event_at, "p-late", {}),
        recorded_by="test",
    )
    before = Finding.objects.filter(case_id=case_id, subject="p-late").count()
    services.sweep(now=event_at + dt.timedelta(hours=1))
    assert before == 0
    assert Finding.objects.filter(case_id=case_id, rule="C16", subject="p-late").exists()


def test_a_case_written_to_while_it_is_swept_is_recomputed_not_overwritten(
    city, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """Between the sweep's read and its write, a writer records an event and the bus recomputes
    the case: the sweep must not write its stale view over that (it would delete the new
    finding); it recomputes the case instead."""
    later = clock.now() + LATER
    raw = bulk.codec().uuid(Case.objects.filter(kind="criminal").order_by("pk").first().pk)
    first = cases.timelines_page(ids=[raw])[0][0]
    case_id = bulk.codec().key(first.id)
    real_page = cases.timelines_page
    written = []

    def page_then_write(**kwargs):
        page = real_page(**kwargs)
        if not written and any(head.id == first.id for head, _t in page):
            written.append(True)  # a writer gets in after the sweep's read, once
            with django_capture_on_commit_callbacks(execute=True):
                cases.record_event(
                    case=Case.objects.get(pk=case_id),
                    content=EventContent(
                        "bail_started", clock.now() - dt.timedelta(days=1), "p-race", {}
                    ),
                    recorded_by="test",
                )
        return page

    monkeypatch.setattr(cases, "timelines_page", page_then_write)
    outcome = services.sweep(now=later, full=True)
    monkeypatch.undo()
    assert outcome.retried == 1
    assert Finding.objects.filter(case_id=case_id, rule="C16", subject="p-race").exists()
    assert services.sweep(now=later, full=True).changed == 0


@pytest.mark.django_db(transaction=True)
def test_a_parallel_sweep_writes_what_one_process_would(city_committed) -> None:
    later = clock.now() + LATER
    parallel = services.sweep(now=later, full=True, workers=2, page=50)
    assert parallel.cases == cases.case_count() and parallel.changed > 0
    again = services.sweep(now=later, full=True, workers=1)
    assert again.changed == 0 and again.findings == parallel.findings
    # every problem point has its ticket, opened once
    problems = Finding.objects.filter(state__in=("late", "overdue", "violated"))
    assert Ticket.objects.filter(finding__in=problems).count() == problems.count()


def test_a_full_sweep_skips_cases_whose_findings_fingerprint_as_stored(city) -> None:
    """Nothing changed: every case is evaluated, none is compared row by row, nothing written.
    Time passing changes some cases: those, and only those, are compared and written."""
    later = clock.now() + LATER
    first = services.sweep(now=later, full=True)
    again = services.sweep(now=later, full=True)
    assert again.cases == cases.case_count() and again.findings == first.findings
    assert again.compared == 0 and again.changed == 0
    # just past the next due time still to come: at least that finding goes overdue
    next_due = (
        Finding.objects.filter(state__in=["pending", "due_soon"], due_at__gt=later)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    assert next_due is not None
    moved_at = next_due + dt.timedelta(minutes=1)
    moved = services.sweep(now=moved_at, full=True)
    assert 0 < moved.compared < moved.cases
    assert moved.updated > 0 and moved.compared >= len(
        set(Finding.objects.filter(updated_at__gte=clock.now()).values_list("case_id", flat=True))
    )
    assert services.sweep(now=moved_at, deep=True).changed == 0


def test_a_deep_sweep_repairs_findings_changed_behind_the_sweeps_back(city) -> None:
    later = clock.now() + LATER
    services.sweep(now=later, full=True)
    victim = Finding.objects.filter(state="overdue").first()
    Finding.objects.filter(pk=victim.pk).update(state="met")  # not through precinct
    assert services.sweep(now=later, full=True).changed == 0  # the fingerprint still matches
    deep = services.sweep(now=later, deep=True)
    assert deep.compared == deep.cases and deep.updated == 1
    victim.refresh_from_db()
    assert victim.state == "overdue"


def test_the_recompute_on_a_new_event_keeps_the_fingerprint_current(
    city, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """An event recomputes its case through the same path: the fingerprint it leaves matches, so
    the next full sweep need not compare that case. The clock stands still: otherwise a finding
    of the demo city that falls due between the two sweeps (some fall due minutes after the
    city is loaded) would change, and the test would depend on how long ago that was."""
    from precinct.supervision.models import FindingDigest

    frozen = clock.now()
    monkeypatch.setattr(clock, "now", lambda: frozen)
    services.sweep(now=frozen, full=True)  # every case current as of the frozen moment
    case = Case.objects.filter(kind="criminal").first()
    before = FindingDigest.objects.get(case=case).digest
    n_before = Finding.objects.filter(case=case).count()
    with django_capture_on_commit_callbacks(execute=True):
        cases.record_event(
            case=case,
            content=EventContent("detained", frozen - dt.timedelta(minutes=1), "P-新", {}),
            recorded_by="t",
        )
    assert Finding.objects.filter(case=case).count() > n_before  # the detention's deadlines
    assert FindingDigest.objects.get(case=case).digest != before
    out = services.sweep(now=frozen, full=True)
    assert out.compared == 0 and out.changed == 0


def test_a_correction_recorded_during_the_page_read_is_not_overwritten(
    city, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """A correction lands between the statements that read a page: the sweep must end with the
    findings of the corrected timeline (a deep comparison afterwards changes nothing)."""
    from precinct.cases.models import CaseEvent

    later = clock.now() + LATER
    services.sweep(now=later, full=True)
    wrong = CaseEvent.objects.filter(type="detained", case__kind="criminal").order_by("pk").first()
    real_select = bulk.select
    done = []

    def select(sql, params=()):
        if not done and "attrs FROM" in sql and "caseevent" in sql:
            done.append(True)  # just before the page's events are read
            with django_capture_on_commit_callbacks(execute=True):
                cases.record_event(
                    case=wrong.case,
                    content=EventContent(
                        "detained", wrong.at + dt.timedelta(hours=30), wrong.subject or None, {}
                    ),
                    recorded_by="test",
                    corrects=wrong.pk,
                )
        return real_select(sql, params)

    monkeypatch.setattr(bulk, "select", select)
    services.sweep(now=later, full=True)
    monkeypatch.undo()
    assert done
    assert services.sweep(now=later, deep=True).changed == 0


def test_overlapping_sweeps_write_the_same_fingerprint_without_colliding(city, monkeypatch) -> None:
    """Two sweeps that both found no fingerprint for a case both write one: the second updates."""
    later = clock.now() + LATER
    services.sweep(now=later, full=True)
    monkeypatch.setattr(sweep_pages, "_stored_digests", lambda ids, ranged: {})
    out = services.sweep(now=later + dt.timedelta(days=1), full=True)
    assert out.compared == out.cases


def test_a_stopped_clock_stays_put_between_sweeps(city, django_capture_on_commit_callbacks) -> None:
    """A public-order case waiting for an expert opinion: full sweeps days apart, then a deep
    sweep, change nothing (the finding used to carry a due time that moved with the clock, which
    the fingerprints could not see: the deep sweep found it stale)."""
    from precinct.org.models import Unit

    station = Unit.objects.get(pk=city.user("chief").unit_id)
    filed = clock.now() - dt.timedelta(days=10)
    doc = {
        "case": {"id": "XZ-STOP-1", "kind": "administrative", "unit": station.code},
        "events": [
            {"type": "case_filed", "at": filed.isoformat()},
            {
                "type": "expert_opinion_commissioned",
                "at": (filed + dt.timedelta(days=2)).isoformat(),
            },
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.import_document(bureau_id=city.bureau_id, document=doc)
    later = clock.now() + dt.timedelta(days=1)
    services.sweep(now=later, full=True)
    a08 = Finding.objects.get(case_id=outcome.case_id, rule="A08")
    assert a08.state == "pending" and a08.due_at is None and "clock stopped" in a08.reason
    services.sweep(now=later + dt.timedelta(days=3), full=True)
    assert services.sweep(now=later + dt.timedelta(days=3), deep=True).changed == 0


def test_the_next_sweep_recomputes_a_case_whose_recompute_died(city) -> None:
    """The event is committed, then the process dies before the recompute that runs on commit
    (here: the on-commit reaction never runs). The case has no open finding and the event is
    dated before the last sweep, so the periodic sweep would not take it; the mark written with
    the event makes it (and the mark is cleared)."""
    later = clock.now() + LATER
    services.sweep(now=later)
    open_cases = Finding.objects.filter(state__in=("pending", "due_soon")).values("case_id")
    case = Case.objects.filter(kind="criminal").exclude(pk__in=open_cases).first()
    assert not case.findings_due
    cases.record_event(  # outside django_capture_on_commit_callbacks: the recompute never runs
        case=case,
        content=EventContent("bail_started", later - dt.timedelta(days=2), "p-lost", {}),
        recorded_by="test",
    )
    case.refresh_from_db()
    assert case.findings_due
    assert not Finding.objects.filter(case_id=case.pk, subject="p-lost").exists()
    outcome = services.sweep(now=later + dt.timedelta(hours=1))
    assert outcome.caught_up == 1
    assert Finding.objects.filter(case_id=case.pk, rule="C16", subject="p-lost").exists()
    case.refresh_from_db()
    assert not case.findings_due
    assert services.sweep(now=later + dt.timedelta(hours=2)).caught_up == 0


def test_a_recompute_clears_the_mark_and_a_failed_one_keeps_it(
    city, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    case = Case.objects.filter(kind="criminal").first()
    with django_capture_on_commit_callbacks(execute=True):
        cases.record_event(
            case=case,
            content=EventContent("bail_started", clock.now() - dt.timedelta(days=1), "p-ok", {}),
        )
    case.refresh_from_db()
    assert not case.findings_due

    def fails(*args, **kwargs):
        raise RuntimeError("the reaction failed")

    monkeypatch.setattr(sweep_pages, "_sweep_page", fails)
    with django_capture_on_commit_callbacks(execute=True):
        cases.record_event(
            case=case,
            content=EventContent("bail_started", clock.now() - dt.timedelta(days=1), "p-no", {}),
        )
    case.refresh_from_db()
    assert case.findings_due  # the reaction's transaction rolled back, the mark with it
