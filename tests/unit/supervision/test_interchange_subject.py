"""An event about a person without its ``subject`` is refused, naming the event (issue 17)."""

import copy

import pytest

from precinct.supervision.rules import InterchangeError, parse
from precinct.supervision.rules.interchange import EVENT_TYPES, PERSON_EVENTS, parse_raw
from tests.unit.supervision.test_interchange import GOOD


@pytest.mark.parametrize("etype", ["detained", "summoned", "arrested", "family_notified"])
def test_a_person_event_without_subject_is_refused(etype: str) -> None:
    doc = copy.deepcopy(GOOD)
    doc["events"][0]["type"] = etype
    if etype == "family_notified":
        doc["events"][0]["measure"] = "detention"
    del doc["events"][0]["subject"]
    with pytest.raises(
        InterchangeError, match=rf"^event 1 \({etype}\): field 'subject' is missing"
    ):
        parse(doc)
    with pytest.raises(InterchangeError, match=r"event 1"):
        parse_raw(doc)


def test_the_fourth_event_is_named_by_its_position() -> None:
    doc = copy.deepcopy(GOOD)
    del doc["events"][3]["subject"]
    with pytest.raises(InterchangeError, match=r"^event 4 \(family_notified\): field 'subject'"):
        parse(doc)


def test_case_level_events_need_no_subject() -> None:
    doc = {
        "case": {"id": "XZ-1", "kind": "administrative"},
        "events": [
            {"type": "report_received", "at": "2026-03-02T09:00:00+08:00"},
            {"type": "case_accepted", "at": "2026-03-02T09:30:00+08:00"},
            {"type": "decision_made", "at": "2026-03-05T09:30:00+08:00"},
        ],
    }
    _case, events = parse(doc)
    assert [e.subject for e in events] == [None, None, None]


def test_person_events_are_event_types_of_the_format() -> None:
    assert set(EVENT_TYPES) >= PERSON_EVENTS
