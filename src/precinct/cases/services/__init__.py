"""Case use cases: the scoped case list, the append-only timeline, corrections.

One module per seam; this package keeps every public name, so callers import ``services`` as before.
"""

from .figures import accepted_counts, first_accepted
from .pages import (
    CaseHead,
    TimelineRow,
    bulk_load,
    case_count,
    case_id_bounds,
    cases_with_events_between,
    event_count,
    lock_cases,
    timelines_page,
)
from .records import (
    CASE_CHANGED,
    CASE_EVENT_RECORDED,
    CaseData,
    case_by_number,
    cases_with_findings_due,
    event_by_content,
    event_rows,
    get_case,
    lock_case,
    lock_case_for_recompute,
    mark_findings_due,
    persons,
    record_event,
    scope_cases,
    timeline,
    upsert_case,
    upsert_person,
)

__all__ = [
    "CASE_CHANGED",
    "CASE_EVENT_RECORDED",
    "CaseData",
    "CaseHead",
    "TimelineRow",
    "accepted_counts",
    "bulk_load",
    "case_by_number",
    "case_count",
    "case_id_bounds",
    "cases_with_events_between",
    "cases_with_findings_due",
    "event_by_content",
    "event_count",
    "event_rows",
    "first_accepted",
    "get_case",
    "lock_case",
    "lock_case_for_recompute",
    "lock_cases",
    "mark_findings_due",
    "persons",
    "record_event",
    "scope_cases",
    "timeline",
    "timelines_page",
    "upsert_case",
    "upsert_person",
]
