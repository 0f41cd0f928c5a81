"""The case interchange format (JSON), read strictly: every problem names the event and field."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .model import FLAGS, Case, CaseKind, Event

MEASURES = ("summons", "detention", "arrest", "surveillance", "admin_detention")

# event type -> required attributes and their kinds ("int", "bool", "str", or a tuple of choices)
EVENT_TYPES: dict[str, dict[str, Any]] = {
    # intake
    "report_received": {},
    "case_accepted": {},
    "case_filed": {},
    "case_not_filed": {},
    "complainant_notified": {},
    "case_transferred": {},
    # attendance
    "summoned": {},
    "compelled": {},
    "continued_questioning": {},
    "questioning_ended": {},
    # criminal measures
    "detained": {},
    "delivered_to_detention_centre": {},
    "interrogated": {},
    "detention_extended": {"days": "int"},
    "arrest_requested": {},
    "arrest_approved": {},
    "arrest_refused": {},
    "arrest_receipt_sent": {},
    "arrested": {},
    "released": {},
    "custody_extended": {"months": "int"},
    "custody_extension_requested": {},
    "bail_started": {},
    "bail_ended": {},
    "surveillance_started": {},
    "surveillance_ended": {},
    "measure_change_requested": {},
    "measure_change_decided": {},
    # family
    "family_notified": {"measure": MEASURES},
    "notice_exempted": {"measure": MEASURES, "reason": "str"},
    # prosecution
    "transferred_for_prosecution": {},
    "returned_for_supplementary_investigation": {},
    "resubmitted": {},
    "case_withdrawn": {},
    "parties_notified": {},
    # property
    "property_seized": {},
    "property_handed_over": {},
    "property_found_unrelated": {},
    "property_returned": {},
    "account_frozen": {},
    "freeze_renewed": {},
    "freeze_released": {},
    "items_registered": {},
    "items_decided": {},
    # expert
    "expert_opinion_commissioned": {},  # a precinct addition (ADR 0014): A08 excludes the time
    "expert_opinion_received": {},
    "expert_opinion_notified": {},
    # administrative
    "case_extended": {"days": "int"},
    "items_seized": {},
    "seizure_extended": {"days": "int"},
    "items_released": {},
    "penalty_notice_given": {},
    "decision_made": {},
    "decision_served": {},
    "admin_detention_decided": {},
    "delivered_to_detention_house": {},
    "on_the_spot_penalty": {},
    "penalty_filed": {},
    "fast_track": {},
    "coercive_measure_on_the_spot": {},
    "measure_approved": {},
    "mediated": {},
}
# Events that happen to a person (attendance, coercive measures, the family's notice, an
# administrative detention, the notice before a penalty): the format's ``subject`` names the person,
# and without it the event would be filed under the case as a whole and its deadlines run for
# nobody in particular. Refused, naming the event.
PERSON_EVENTS = frozenset(
    {
        "summoned",
        "compelled",
        "continued_questioning",
        "questioning_ended",
        "detained",
        "delivered_to_detention_centre",
        "interrogated",
        "detention_extended",
        "arrest_requested",
        "arrest_approved",
        "arrest_refused",
        "arrest_receipt_sent",
        "arrested",
        "released",
        "custody_extended",
        "custody_extension_requested",
        "bail_started",
        "bail_ended",
        "surveillance_started",
        "surveillance_ended",
        "measure_change_requested",
        "measure_change_decided",
        "family_notified",
        "notice_exempted",
        "admin_detention_decided",
        "delivered_to_detention_house",
        "penalty_notice_given",
    }
)
OPTIONAL_ATTRS = {
    "av_recorded": "bool",
    "designated_residence": "bool",
    "single_officer": "bool",
    "hours": (12, 24, 48),
    "note": "str",
    "corrects": "int",
}
OUT_OF_ORDER_TOLERANCE = dt.timedelta(minutes=1)


class InterchangeError(ValueError):
    """Bad input; the message names the event (by position and type) and the field."""


def _where(i: int | None, e: Mapping[str, Any] | None) -> str:
    if i is None:
        return "case"
    kind = e.get("type") if isinstance(e, Mapping) else None
    return f"event {i + 1}" + (f" ({kind})" if isinstance(kind, str) else "")


def parse_time(value: Any, where: str, field: str = "at") -> dt.datetime:
    if not isinstance(value, str):
        raise InterchangeError(f"{where}: field '{field}' must be an ISO-8601 time with an offset")
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InterchangeError(
            f"{where}: field '{field}' is not an ISO-8601 time: {value!r}"
        ) from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise InterchangeError(f"{where}: field '{field}' has no UTC offset: {value!r}")
    if not 1990 <= t.year <= 2100:
        raise InterchangeError(f"{where}: field '{field}' is outside 1990–2100: {value!r}")
    return t


def _check_attr(where: str, name: str, kind: Any, value: Any) -> None:
    ok = (
        (kind == "int" and isinstance(value, int) and not isinstance(value, bool) and value > 0)
        or (kind == "bool" and isinstance(value, bool))
        or (kind == "str" and isinstance(value, str) and value.strip() != "")
        or (isinstance(kind, tuple) and value in kind)
    )
    if not ok:
        wanted = (
            f"one of {', '.join(map(str, kind))}"
            if isinstance(kind, tuple)
            else {
                "int": "a positive whole number",
                "bool": "true or false",
                "str": "non-empty text",
            }[kind]
        )
        raise InterchangeError(f"{where}: field '{name}' must be {wanted}, not {value!r}")


def parse(document: Any) -> tuple[Case, list[Event]]:
    """Read one case document, with corrections applied: an event with ``corrects: N`` replaces
    the N-th event of the document (1-based), which then no longer counts."""
    case, events = parse_raw(document)
    replaced = {int(e.attrs["corrects"]) - 1 for e in events if "corrects" in e.attrs}
    return case, [e for e in events if e.seq not in replaced]


def parse_raw(document: Any) -> tuple[Case, list[Event]]:
    """Read one case document as written (corrected events included). Rejects unknown event
    types, missing or ill-typed fields, an event about a person without its ``subject``, times
    without an offset, events out of order by more than a minute and corrections that point
    nowhere."""
    if not isinstance(document, Mapping):
        raise InterchangeError("the document must be a JSON object with 'case' and 'events'")
    raw_case = document.get("case")
    if not isinstance(raw_case, Mapping):
        raise InterchangeError("case: field 'case' is missing or not an object")
    case_id = raw_case.get("id")
    if not isinstance(case_id, str) or not case_id.strip() or len(case_id) > 64:
        raise InterchangeError("case: field 'id' must be text of 1–64 characters")
    try:
        kind = CaseKind(str(raw_case.get("kind")))
    except ValueError:
        raise InterchangeError(
            "case: field 'kind' must be 'criminal' or 'administrative'"
        ) from None
    raw_flags = raw_case.get("flags", {}) or {}
    if not isinstance(raw_flags, Mapping):
        raise InterchangeError("case: field 'flags' must be an object")
    for name, value in raw_flags.items():
        if name not in FLAGS:
            raise InterchangeError(f"case: unknown flag '{name}' (known: {', '.join(FLAGS)})")
        if not isinstance(value, bool):
            raise InterchangeError(f"case: flag '{name}' must be true or false")
    case = Case(case_id.strip(), kind, dict(raw_flags))

    raw_events = document.get("events")
    if not isinstance(raw_events, list):
        raise InterchangeError("case: field 'events' must be a list")
    events: list[Event] = []
    latest: dt.datetime | None = None
    for i, raw in enumerate(raw_events):
        where = _where(i, raw if isinstance(raw, Mapping) else None)
        if not isinstance(raw, Mapping):
            raise InterchangeError(f"{where}: must be an object")
        etype = raw.get("type")
        if not isinstance(etype, str) or not etype:
            raise InterchangeError(f"{where}: field 'type' is missing")
        if etype not in EVENT_TYPES:
            raise InterchangeError(f"{where}: unknown event type '{etype}'")
        at = parse_time(raw.get("at"), where)
        if latest is not None and at < latest - OUT_OF_ORDER_TOLERANCE:
            raise InterchangeError(
                f"{where}: field 'at' is {at.isoformat()}, more than a minute before an earlier "
                f"event ({latest.isoformat()}): events must be in time order"
            )
        latest = at if latest is None else max(latest, at)
        subject = raw.get("subject")
        if subject is not None and (
            not isinstance(subject, str) or not subject.strip() or len(subject) > 64
        ):
            raise InterchangeError(f"{where}: field 'subject' must be text of 1–64 characters")
        if subject is None and etype in PERSON_EVENTS:
            raise InterchangeError(
                f"{where}: field 'subject' is missing: a {etype} event is about a person, and "
                "'subject' names who (e.g. \"p1\")"
            )
        attrs: dict[str, Any] = {}
        required = EVENT_TYPES[etype]
        for name, kind_ in required.items():
            if name not in raw:
                raise InterchangeError(f"{where}: field '{name}' is missing")
            _check_attr(where, name, kind_, raw[name])
            attrs[name] = raw[name]
        for name, value in raw.items():
            if name in {"type", "at", "subject"} or name in required:
                continue
            if name not in OPTIONAL_ATTRS:
                raise InterchangeError(f"{where}: unknown field '{name}'")
            _check_attr(where, name, OPTIONAL_ATTRS[name], value)
            attrs[name] = value
        if "corrects" in attrs and not 1 <= attrs["corrects"] <= i:
            raise InterchangeError(f"{where}: field 'corrects' must name an earlier event (1–{i})")
        events.append(Event(etype, at, subject.strip() if subject else None, attrs, seq=i))
    return case, events
