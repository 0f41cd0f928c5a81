"""The case interchange format is read strictly; every error names the event and the field."""

import copy

import pytest

from precinct.supervision.rules import InterchangeError, parse

GOOD = {
    "case": {"id": "XS-2026-0042", "kind": "criminal", "flags": {"major": False, "gang": False}},
    "events": [
        {"type": "detained", "at": "2026-03-02T09:30:00+08:00", "subject": "p1"},
        {
            "type": "delivered_to_detention_centre",
            "at": "2026-03-02T15:00:00+08:00",
            "subject": "p1",
        },
        {
            "type": "interrogated",
            "at": "2026-03-02T16:00:00+08:00",
            "subject": "p1",
            "av_recorded": True,
        },
        {
            "type": "family_notified",
            "at": "2026-03-02T16:30:00+08:00",
            "subject": "p1",
            "measure": "detention",
        },
    ],
}


def test_the_example_of_the_specification_reads() -> None:
    case, events = parse(GOOD)
    assert case.id == "XS-2026-0042" and case.kind.value == "criminal"
    assert [e.type for e in events][:3] == [
        "detained",
        "delivered_to_detention_centre",
        "interrogated",
    ]
    assert events[2].get("av_recorded") is True and events[3].get("measure") == "detention"


def _broken(path: tuple, value: object) -> dict:
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("events", 0, "type"),
            "detained_forever",
            "event 1 (detained_forever): unknown event type 'detained_forever'",
        ),
        (
            ("events", 1, "at"),
            "2026-03-02T15:00:00",
            "event 2 (delivered_to_detention_centre): field 'at' has no UTC offset",
        ),
        (("events", 1, "at"), KeyError, "event 2 (delivered_to_detention_centre): field 'at'"),
        (("events", 2, "at"), "2026-03-02T09:00:00+08:00", "event 3 (interrogated): field 'at'"),
        (
            ("events", 3, "measure"),
            KeyError,
            "event 4 (family_notified): field 'measure' is missing",
        ),
        (
            ("events", 3, "measure"),
            "dinner",
            "event 4 (family_notified): field 'measure' must be one of",
        ),
        (
            ("events", 2, "av_recorded"),
            "yes",
            "event 3 (interrogated): field 'av_recorded' must be true or false",
        ),
        (("events", 2, "colour"), "red", "event 3 (interrogated): unknown field 'colour'"),
        (("case", "kind"), "civil", "case: field 'kind'"),
        (("case", "flags", "urgent"), True, "case: unknown flag 'urgent'"),
        (("case", "id"), "", "case: field 'id'"),
    ],
)
def test_bad_input_names_the_event_and_field(path: tuple, value: object, message: str) -> None:
    with pytest.raises(InterchangeError) as exc:
        parse(_broken(path, value))
    assert message in str(exc.value)


def test_events_a_little_out_of_order_are_accepted_but_not_more() -> None:
    doc = copy.deepcopy(GOOD)
    doc["events"][2]["at"] = "2026-03-02T14:59:30+08:00"  # 30 s before the previous event
    parse(doc)
    doc["events"][2]["at"] = "2026-03-02T14:58:00+08:00"
    with pytest.raises(InterchangeError, match="more than a minute before"):
        parse(doc)


def test_extension_amounts_must_be_positive_whole_numbers() -> None:
    doc = copy.deepcopy(GOOD)
    doc["events"].append(
        {
            "type": "detention_extended",
            "at": "2026-03-04T10:00:00+08:00",
            "subject": "p1",
            "days": -3,
        }
    )
    with pytest.raises(InterchangeError, match="event 5 \\(detention_extended\\): field 'days'"):
        parse(doc)


def test_a_correction_replaces_the_event_it_names() -> None:
    doc = copy.deepcopy(GOOD)
    doc["events"].append(
        {
            "type": "delivered_to_detention_centre",
            "at": "2026-03-02T17:00:00+08:00",
            "subject": "p1",
            "corrects": 2,
        }
    )
    _case, events = parse(doc)
    delivered = [e for e in events if e.type == "delivered_to_detention_centre"]
    assert len(delivered) == 1 and delivered[0].get("corrects") == 2
    doc["events"][-1]["corrects"] = 9
    with pytest.raises(
        InterchangeError, match="event 5 \\(delivered_to_detention_centre\\): field 'corrects'"
    ):
        parse(doc)


def test_an_expert_opinion_commission_reads_and_excludes_its_time_from_a08() -> None:
    from precinct.supervision.rules import Settings, evaluate

    doc = {
        "case": {"id": "XZ-2026-0007", "kind": "administrative"},
        "events": [
            {"type": "case_filed", "at": "2026-03-02T10:00:00+08:00"},
            {"type": "expert_opinion_commissioned", "at": "2026-03-05T15:00:00+08:00"},
            {"type": "expert_opinion_received", "at": "2026-03-12T09:00:00+08:00"},
        ],
    }
    case, events = parse(doc)
    assert [e.type for e in events][1] == "expert_opinion_commissioned"
    at = events[-1].at
    (a08,) = [f for f in evaluate(case, events, at, Settings()) if f.rule == "A08"]
    assert a08.reason == "7 day(s) not counted (excluded time)"
