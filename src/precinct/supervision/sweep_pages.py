"""A page of the sweep: cases evaluated, their findings fingerprinted, compared with what is stored
and the differences written in bulk; a case recomputed on its own."""

import datetime as dt
import functools
import hashlib
import pickle
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from precinct.cases import services as cases
from precinct.common import bulk, transactions
from precinct.core import clock
from precinct.core.ids import uuid7
from precinct.identity import services as identity

from . import calendar, holidays
from .models import Finding, FindingDigest, Ticket
from .rules import PROBLEM_STATES, Case, CaseKind, Event, Settings, evaluate
from .rules import Finding as EngineFinding

WITHDRAWN = "withdrawn"  # a stored finding the timeline no longer produces (after a correction)
FINDING_FIELDS = (
    "title",
    "trigger_at",
    "due_at",
    "state",
    "met_at",
    "severity",
    "basis",
    "kind",
    "reason",
    "version",
    "unit_id",
)


def engine_settings(time_zone: str | None = None) -> Settings:
    """The engine's settings for a zone (the bureau's by default), with the holiday schedules
    entered so far (one small query tells whether they changed)."""
    holidays.refresh()
    return _engine_settings(time_zone or settings.TIME_ZONE, calendar.version())


@functools.lru_cache(maxsize=16)
def _engine_settings(time_zone: str, calendar_version: str) -> Settings:  # immutable: built once
    return Settings(
        tz=ZoneInfo(time_zone),
        is_holiday=calendar.is_holiday,
        calendar_years=calendar.known_years(),
        calendar_version=calendar_version,
    )


# --- findings kept current ----------------------------------------------------------------
def recompute_case(case_id: uuid.UUID, *, now: dt.datetime) -> int:
    """Bring a case's stored findings up to date; open a ticket for each new problem point.
    Returns how many findings changed. The caller owns the transaction."""
    cases.lock_case_for_recompute(case_id)  # one at a time per case, reading after the lock
    eng = engine_settings()
    page = cases.timelines_page(ids=[bulk.codec().uuid(case_id)], tz=eng.tz, row=Event)
    if not page:
        return 0
    return _sweep_page(page, now=now, eng=eng, ranged=False, locked=True).changed


@dataclass
class SweepOutcome:
    cases: int = 0
    findings: int = 0  # findings the swept cases have now
    inserted: int = 0
    updated: int = 0
    removed: int = 0  # deleted, or withdrawn when a ticket keeps them on record
    tickets: int = 0  # opened for new problem points
    retried: int = 0  # cases written to while being swept: recomputed one by one
    compared: int = 0  # cases whose fingerprint differed: compared with stored findings row by row
    caught_up: int = 0  # cases whose recompute after an event had died (``catch_up``)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.removed

    def add(self, other: "SweepOutcome") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_INSERT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "bureau_id",
    "case_id",
    "rule",
    "subject",
    *FINDING_FIELDS,
)
_TICKET_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "bureau_id",
    "finding_id",
    "case_id",
    "unit_id",
    "lead_officer_id",
    "state",
)
_DATETIMES = frozenset(("trigger_at", "due_at", "met_at"))
_STATE = FINDING_FIELDS.index("state")


def _stored_page(
    case_ids: list[Any], *, ranged: bool
) -> dict[Any, dict[tuple[str, str], tuple[Any, ...]]]:
    """Stored findings of the cases (all with raw ids from the first to the last when ``ranged``):
    per case, (rule, subject) -> (id, ticket id or None, values as FINDING_FIELDS, aware)."""
    c = bulk.codec()
    f_t, t_t = bulk.quote(Finding._meta.db_table), bulk.quote(Ticket._meta.db_table)
    cols = ", ".join(
        c.select_datetime(f"f.{n}")
        if n in _DATETIMES
        else c.select_id(f"f.{n}")
        if n == "unit_id"
        else f"f.{bulk.quote(n)}"
        for n in FINDING_FIELDS
    )
    read_at = c.datetime_reader()
    if ranged:
        span, params = "f.case_id >= %s AND f.case_id <= %s", [case_ids[0], case_ids[-1]]
    else:
        span, params = f"f.case_id IN ({', '.join('%s' for _ in case_ids)})", case_ids
    out: dict[Any, dict[tuple[str, str], tuple[Any, ...]]] = {}
    for (
        case_id, f_id, t_id, rule, subject,
        title, trigger_at, due_at, state, met_at, severity, basis, kind, reason, version, unit_id,
    ) in bulk.select(
        f"SELECT {c.select_id('f.case_id')}, {c.select_id('f.id')}, {c.select_id('t.id')}, "  # noqa: S608
        f"f.rule, f.subject, {cols} FROM {f_t} f "
        f"LEFT JOIN {t_t} t ON t.finding_id = f.id WHERE {span}",
        params,
    ):  # fmt: skip
        values = (
            title, read_at(trigger_at), read_at(due_at), state, read_at(met_at), severity,
            basis, kind, reason, version, unit_id,
        )  # fmt: skip
        out.setdefault(case_id, {})[(rule, subject)] = (f_id, t_id, values)
    return out


def _raw_values(values: tuple[Any, ...], c: bulk.Codec) -> tuple[Any, ...]:
    """FINDING_FIELDS values as the driver takes them."""
    title, trigger_at, due_at, state, met_at, *rest = values
    return (title, c.datetime(trigger_at), c.datetime(due_at), state, c.datetime(met_at), *rest)


def _stored_digests(case_ids: list[Any], *, ranged: bool) -> dict[Any, int]:
    """The fingerprints of the cases' findings as last written (raw case id -> digest)."""
    c = bulk.codec()
    table = bulk.quote(FindingDigest._meta.db_table)
    if ranged:
        span, params = "case_id >= %s AND case_id <= %s", [case_ids[0], case_ids[-1]]
    else:
        span, params = f"case_id IN ({', '.join('%s' for _ in case_ids)})", case_ids
    return dict(
        bulk.select(
            f"SELECT {c.select_id('case_id')}, digest FROM {table} WHERE {span}",  # noqa: S608
            params,
        )
    )


SWEEP_FORMAT = 1  # bump when what a finding row holds changes in a way the sources below miss


def _code_fingerprint() -> bytes:
    """The code that decides findings, as imported by this process: the engine and rule table,
    the holiday calendar and its data, the page read (every module of the cases services package),
    the row mapping and the engine's settings (this module), the sweep's run (sweep.py) and the
    supervision services they were split from.
    Read once at import, so a process still running old code never vouches for new code."""
    import chinese_calendar

    from precinct.cases import services as cases_services

    from . import rules as rules_package

    h = hashlib.blake2b(digest_size=16)
    h.update(str(SWEEP_FORMAT).encode())
    files = sorted(Path(rules_package.__file__).parent.glob("*.py"))
    files.append(Path(calendar.__file__))
    files += sorted(Path(cases_services.__file__).parent.glob("*.py"))  # timelines_page and all
    files += [Path(__file__), Path(__file__).with_name("sweep.py")]
    files.append(Path(__file__).with_name("services.py"))
    files.append(Path(chinese_calendar.__file__).parent / "constants.py")
    for path in files:
        h.update(path.name.encode() + path.read_bytes())
    return h.digest()


_CODE = _code_fingerprint()


@functools.lru_cache(maxsize=16)
def _engine_fingerprint(eng: Settings) -> bytes:
    """What, besides a case and the clock, decides its findings: the code (above) and the
    engine's settings. Any change makes every case's fingerprint differ."""
    settings_part = repr(
        (eng.tz.key, eng.immediate_grace, eng.warn_fraction, eng.warn_cap, eng.calendar_years,
         eng.calendar_version, [r.id for r in eng.rules])
    ).encode()  # fmt: skip
    return hashlib.blake2b(_CODE + settings_part, digest_size=16).digest()


def _digest(head: cases.CaseHead, in_force: int, fresh: list[EngineFinding], engine: bytes) -> int:
    """A stable 64-bit fingerprint of a case's findings as of some moment. The engine is a pure
    function of the case (number, kind, flags), its append-only events, the clock and the engine
    itself; the clock enters only through which events are in force and each finding's state.
    So two moments with the same fingerprint have the same findings, field for field."""
    key = (
        engine, head.number, head.kind, sorted(head.flags.items()), head.unit_id, head.version[1],
        in_force, [(f.rule, f.subject, f.state._value_) for f in fresh],
    )  # fmt: skip
    raw = hashlib.blake2b(pickle.dumps(key, protocol=5), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def _sweep_page(
    page: list[tuple[cases.CaseHead, list[Event]]],
    *,
    now: dt.datetime,
    eng: Settings,
    ranged: bool,
    locked: bool = False,
    deep: bool = False,
) -> SweepOutcome:
    """Evaluate a page of cases and write what differs from what is stored, in one transaction.
    A case whose findings fingerprint to what was last written is current and is left alone; the
    others are compared with their stored findings row by row. Unless the caller read them under
    the case lock (``locked``), cases written to since they were read are skipped here and
    recomputed on their own. ``deep``: compare every case row by row, fingerprint or not."""
    c = bulk.codec()
    out = SweepOutcome(cases=len(page))
    ids = [head.id for head, _t in page]
    digests = _stored_digests(ids, ranged=ranged)
    engine = _engine_fingerprint(eng)
    local_now = now.astimezone(eng.tz)  # the events' zone: cheap comparisons
    differ: list[tuple[cases.CaseHead, list[tuple[tuple[str, str], tuple[Any, ...], bool]], int]]
    differ = []
    for head, events in page:  # events: engine Events, built by the read
        fresh = evaluate(Case(head.number, CaseKind(head.kind), dict(head.flags)), events, now, eng)
        out.findings += len(fresh)
        in_force = sum(1 for e in events if e.at <= local_now)
        sig = _digest(head, in_force, fresh, engine)
        if not deep and digests.get(head.id) == sig:
            continue
        rows = [
            (
                (f.rule, f.subject),
                (
                    f.title, f.trigger_at, f.due_at, f.state.value, f.met_at, f.severity.value,
                    f.basis, f.kind.value, f.reason[:200], f.version, head.unit_id,
                ),
                f.state in PROBLEM_STATES,
            )
            for f in fresh
        ]  # fmt: skip
        differ.append((head, rows, sig))
    out.compared = len(differ)
    if not differ:
        return out
    if len(differ) * 2 > len(page):  # most of the page: one range read is cheaper
        stored = _stored_page(ids, ranged=ranged)
    else:
        stored = _stored_page([head.id for head, _r, _s in differ], ranged=False)
    stamp = c.datetime(clock.now())
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    deletes: list[Any] = []
    withdraws: list[tuple[Any, ...]] = []
    tickets: list[tuple[Any, ...]] = []
    new_digests: list[tuple[Any, ...]] = []
    touched: dict[Any, cases.CaseHead] = {}  # cases with something to write
    no_findings: dict[tuple[str, str], tuple[Any, ...]] = {}
    for head, rows, sig in differ:
        old = stored.get(head.id, no_findings)
        fresh_inserts = 0
        for key, values, problem in rows:
            have = old.get(key)
            if have is None:
                fid = c.uuid(uuid7())
                inserts.append(
                    (fid, stamp, stamp, head.bureau_id, head.id, *key, *_raw_values(values, c))
                )
                fresh_inserts += 1
                ticket = None
            else:
                fid, ticket, was = have
                if was != values:
                    updates.append((*_raw_values(values, c), stamp, fid))
            if ticket is None and problem:
                tickets.append(
                    (
                        c.uuid(uuid7()),
                        stamp,
                        stamp,
                        head.bureau_id,
                        fid,
                        head.id,
                        head.unit_id,
                        head.lead_officer_id,
                        "open",
                    )
                )
        if len(rows) - fresh_inserts != len(old):  # a stored one is not fresh
            seen = {key for key, _v, _p in rows}
            for key, (fid, ticket, was) in old.items():
                if key in seen:
                    continue
                if ticket is None:  # a correction can make a finding disappear
                    deletes.append(fid)
                elif was[_STATE] != WITHDRAWN:  # kept on record, withdrawn
                    withdraws.append((WITHDRAWN, stamp, fid))
        new_digests.append((head.id, head.bureau_id, sig))
        touched[head.id] = head
    retry: list[Any] = []
    with transactions.piece():
        stale: set[Any] = set()
        if not locked:
            current = cases.lock_cases(list(touched))
            stale = {k for k, head in touched.items() if current.get(k) != head.version}
        if stale:  # drop the rows planned for cases written to meanwhile
            retry = sorted(stale)
            inserts = [r for r in inserts if r[4] not in stale]  # r[4]: case id
            tickets = [r for r in tickets if r[5] not in stale]  # r[5]: case id
            gone = _finding_ids_of(stored, stale)
            updates = [r for r in updates if r[-1] not in gone]
            deletes = [r for r in deletes if r not in gone]
            withdraws = [r for r in withdraws if r[-1] not in gone]
            new_digests = [r for r in new_digests if r[0] not in stale]
        bulk.insert(Finding._meta.db_table, _INSERT_COLUMNS, inserts)
        bulk.update(Finding._meta.db_table, [*FINDING_FIELDS, "updated_at"], updates)
        bulk.update(Finding._meta.db_table, ["state", "updated_at"], withdraws)
        bulk.delete(Finding._meta.db_table, deletes)
        bulk.insert(Ticket._meta.db_table, _TICKET_COLUMNS, tickets)
        bulk.upsert(  # an overlapping sweep may write the same case's fingerprint
            FindingDigest._meta.db_table,
            ("case_id", "bureau_id", "digest"),
            new_digests,
            key="case_id",
        )
        out.inserted, out.updated = len(inserts), len(updates)
        out.removed, out.tickets = len(deletes) + len(withdraws), len(tickets)
        if tickets:
            identity.record_many(  # findings are derived data; the tickets they open are audited
                "create",
                object_type="supervision.ticket",
                items=[(str(c.key(t[0])), {"row": _ticket_row(t, c)}) for t in tickets],
                bureau_id=str(c.key(page[0][0].bureau_id)),
            )
    for case_id in retry:
        with transactions.piece():
            recompute_case(c.key(case_id), now=now)
    out.retried = len(retry)
    return out


def _ticket_row(raw: tuple[Any, ...], c: bulk.Codec) -> dict[str, Any]:
    """A ticket opened in bulk as the audit log shows rows (ids as UUID text)."""
    row = dict(zip(_TICKET_COLUMNS, raw, strict=True))
    return {
        "id": str(c.key(row["id"])),
        "bureau_id": str(c.key(row["bureau_id"])),
        "finding_id": str(c.key(row["finding_id"])),
        "case_id": str(c.key(row["case_id"])),
        "unit_id": str(c.key(row["unit_id"])),
        "lead_officer_id": str(c.key(row["lead_officer_id"])) if row["lead_officer_id"] else None,
        "state": row["state"],
    }


def _finding_ids_of(
    stored: dict[Any, dict[tuple[str, str], tuple[Any, ...]]], case_ids: set[Any]
) -> set[Any]:
    return {v[0] for k in case_ids for v in stored.get(k, {}).values()}
