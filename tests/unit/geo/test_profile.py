"""The car profile (issue 19 item 1): patrol speeds capped by the legal limit, zone codes, access
by the most specific tag, one-ways by time of day, which turn restrictions bind our cars, and a
bureau's profile read from JSON with errors naming the field."""

import json
import math

import pytest

from precinct.geo.rules import RoadClass
from precinct.geo.rules.graph import ALL_HOURS
from precinct.geo.rules.profile import (
    BACKWARD,
    DEFAULT,
    FORWARD,
    MPH,
    Access,
    CarProfile,
    ProfileError,
)


def hours(*spans: tuple[int, int]) -> int:
    """A 24-bit mask open from a:00 to b:00 for each (a, b)."""
    mask = 0
    for a, b in spans:
        for h in range(a, b):
            mask |= 1 << h
    return mask


@pytest.mark.parametrize(
    "value,kmh",
    [
        ("50", 50.0),
        ("30 mph", 30 * MPH),
        ("20 knots", 20 * 1.852),
        ("60 km/h", 60.0),
        ("50;30", 30.0),  # several limits: the lowest
        ("CN:urban", 50.0),  # implementing regulation art. 45: one lane each way
        ("CN:rural", 70.0),
        ("CN:motorway", 120.0),  # art. 78
        ("cn:urban", 50.0),  # codes are read whatever their case
        ("RU:urban", 60.0),
        ("DE:rural", 100.0),
        ("FI:urban", 50.0),
        ("DE:30", 30.0),  # a 30 zone
        ("walk", 7.0),
        ("none", None),  # no limit: no cap
        ("DE:motorway", None),
        ("signals", None),
    ],
)
def test_legal_limits_from_maxspeed_values(value: str, kmh: float | None) -> None:
    got, understood = DEFAULT.legal_kmh(value)
    assert understood
    assert (got is None and kmh is None) or math.isclose(got or 0, kmh or 0)


@pytest.mark.parametrize("value", ["XX:urban", "fast", "0", "-5"])
def test_a_limit_not_understood_caps_nothing_and_says_so(value: str) -> None:
    assert DEFAULT.legal_kmh(value) == (None, False)


def test_the_legal_limit_caps_the_patrol_speed_and_never_raises_it() -> None:
    residential = DEFAULT.patrol(RoadClass.RESIDENTIAL)
    primary = DEFAULT.patrol(RoadClass.PRIMARY)
    assert residential == 25.0 and primary == 50.0  # the patrol speeds of before
    # a tagged 80 does not make a residential street faster than a patrol drives it
    assert DEFAULT.speed_kmh(RoadClass.RESIDENTIAL, {"maxspeed": "80"}, FORWARD) == residential
    # a 30 zone is slower than the patrol default of a main road
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, {"maxspeed": "30"}, FORWARD) == 30.0
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, {"maxspeed": "walk"}, FORWARD) == 7.0
    assert DEFAULT.speed_kmh(RoadClass.MOTORWAY, {"maxspeed": "none"}, FORWARD) == 90.0
    # per direction: maxspeed:forward/backward before maxspeed
    tags = {"maxspeed": "50", "maxspeed:backward": "30"}
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, tags, FORWARD) == 50.0
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, tags, BACKWARD) == 30.0
    # a zone code where the figure is not given: maxspeed:type / source:maxspeed
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, {"source:maxspeed": "DE:30"}, FORWARD) == 30.0
    assert DEFAULT.speed_kmh(RoadClass.PRIMARY, {"source:maxspeed": "sign"}, FORWARD) == 50.0


@pytest.mark.parametrize(
    "tags,forward,backward",
    [
        ({}, Access.OPEN, Access.OPEN),
        ({"access": "no"}, Access.CLOSED, Access.CLOSED),
        ({"motor_vehicle": "no", "psv": "yes"}, Access.CLOSED, Access.CLOSED),  # a bus street
        ({"motorcar": "no", "psv": "yes"}, Access.CLOSED, Access.CLOSED),
        ({"vehicle": "no"}, Access.CLOSED, Access.CLOSED),
        ({"access": "no", "motor_vehicle": "destination"}, Access.DESTINATION, Access.DESTINATION),
        ({"access": "private"}, Access.DESTINATION, Access.DESTINATION),
        ({"access": "customers"}, Access.DESTINATION, Access.DESTINATION),
        ({"motor_vehicle": "no", "motorcar": "yes"}, Access.OPEN, Access.OPEN),  # most specific
        ({"access": "permissive"}, Access.OPEN, Access.OPEN),
        ({"motor_vehicle:forward": "no"}, Access.CLOSED, Access.OPEN),
        ({"access": "no", "motor_vehicle:backward": "yes"}, Access.CLOSED, Access.OPEN),
        ({"access": "conditional=yes @ (Mo-Fr)"}, Access.OPEN, Access.OPEN),  # unknown: ignored
        ({"motor_vehicle": "agricultural;forestry"}, Access.CLOSED, Access.CLOSED),
    ],
)
def test_access_by_the_most_specific_tag(
    tags: dict[str, str], forward: Access, backward: Access
) -> None:
    assert DEFAULT.access(tags, FORWARD) == forward
    assert DEFAULT.access(tags, BACKWARD) == backward


def test_an_exemption_opens_what_names_our_category() -> None:
    bus_street = {"motor_vehicle": "no", "emergency": "yes"}
    assert DEFAULT.access(bus_street, FORWARD) == Access.CLOSED
    ours = CarProfile.from_dict({"exempt": ["emergency"]})
    assert ours.access(bus_street, FORWARD) == Access.OPEN
    assert ours.access({"access": "no", "emergency": "designated"}, FORWARD) == Access.OPEN
    turn = {"type": "restriction", "restriction": "no_left_turn", "except": "bus;emergency"}
    assert DEFAULT.restriction(turn) == ("no_left_turn", "")
    assert ours.restriction(turn) == (None, "exempt")


@pytest.mark.parametrize(
    "tags,expect",
    [
        ({"type": "restriction", "restriction": "no_u_turn"}, ("no_u_turn", "")),
        (
            {"type": "restriction", "restriction": "only_straight_on", "except": "taxi"},
            ("only_straight_on", ""),
        ),
        ({"type": "restriction", "restriction:motorcar": "no_left_turn"}, ("no_left_turn", "")),
        ({"type": "restriction", "restriction:hgv": "no_left_turn"}, (None, "other_vehicle")),
        ({"type": "restriction:hgv", "restriction": "no_left_turn"}, (None, "other_vehicle")),
        (
            {"type": "restriction", "restriction": "no_left_turn", "restriction:motorcar": "none"},
            (None, "other_vehicle"),
        ),
        ({"type": "restriction", "restriction": "give_way"}, (None, "invalid")),
        # timed: kept all day by default
        (
            {"type": "restriction", "restriction": "no_left_turn", "time": "7:00-9:00"},
            ("no_left_turn", "timed"),
        ),
        (
            {"type": "restriction", "restriction": "no_left_turn", "day_on": "Mo", "hour_on": "7"},
            ("no_left_turn", "timed"),
        ),
        (
            {"type": "restriction", "restriction:conditional": "no_left_turn @ (07:00-09:00)"},
            ("no_left_turn", "timed"),
        ),
    ],
)
def test_which_turn_restrictions_bind_our_cars(
    tags: dict[str, str], expect: tuple[str | None, str]
) -> None:
    assert DEFAULT.restriction(tags) == expect


def test_a_bureau_may_leave_timed_restrictions_out() -> None:
    never = CarProfile.from_dict({"timed_restrictions": "never"})
    tags = {"type": "restriction", "restriction": "no_left_turn", "time": "7:00-9:00"}
    assert never.restriction(tags) == (None, "timed")


@pytest.mark.parametrize(
    "tags,highway,forward,backward,notes",
    [
        ({}, "residential", ALL_HOURS, ALL_HOURS, set()),
        ({"oneway": "yes"}, "residential", ALL_HOURS, 0, set()),
        ({"oneway": "-1"}, "residential", 0, ALL_HOURS, set()),
        ({}, "motorway", ALL_HOURS, 0, set()),
        ({"junction": "roundabout"}, "primary", ALL_HOURS, 0, set()),
        ({"oneway": "no"}, "motorway_link", ALL_HOURS, ALL_HOURS, set()),
        ({"oneway": "alternating"}, "primary", ALL_HOURS, ALL_HOURS, set()),  # one lane, lights
        ({"oneway": "reversible"}, "primary", 0, 0, {"reversible"}),
        ({"oneway": "yes", "oneway:motor_vehicle": "no"}, "primary", ALL_HOURS, ALL_HOURS, set()),
        ({"oneway": "yes", "oneway:bicycle": "no"}, "primary", ALL_HOURS, 0, set()),
        # a one-way street in the morning rush: backward closed 07:00-09:00
        (
            {"oneway:conditional": "yes @ (07:00-09:00)"},
            "primary",
            ALL_HOURS,
            ALL_HOURS & ~hours((7, 9)),
            set(),
        ),
        # on weekdays only: closed every day (a closing counts on every day it may apply)
        (
            {"oneway:conditional": "-1 @ (Mo-Fr 16:00-19:00)"},
            "primary",
            ALL_HOURS & ~hours((16, 19)),
            ALL_HOURS,
            {"weekdays"},
        ),
        # a half hour closes the whole hour
        (
            {"oneway:conditional": "yes @ (07:30-09:00)"},
            "primary",
            ALL_HOURS,
            ALL_HOURS & ~hours((7, 9)),
            set(),
        ),
        # a tidal lane whose times are given: open the hours it says, one way each
        (
            {
                "oneway": "reversible",
                "oneway:conditional": "yes @ (06:00-12:00); -1 @ (12:30-20:00)",
            },
            "primary",
            hours((6, 12)),
            hours((13, 20)),
            set(),
        ),
        # an opening on some days only is not taken: the one-way holds every day
        (
            {"oneway": "yes", "oneway:conditional": "no @ (Sa-Su)"},
            "primary",
            ALL_HOURS,
            0,
            {"weekdays"},
        ),
        (
            {"oneway": "yes", "oneway:conditional": "no @ (22:00-06:00)"},
            "primary",
            ALL_HOURS,
            hours((0, 6), (22, 24)),
            set(),
        ),
        # a condition not understood: a closing always holds, an opening never
        ({"oneway:conditional": "yes @ wet"}, "primary", ALL_HOURS, 0, {"unparsed"}),
        (
            {"oneway": "yes", "oneway:conditional": "no @ wet"},
            "primary",
            ALL_HOURS,
            0,
            {"unparsed"},
        ),
        (
            {"oneway:conditional": "yes @ (Mo-Fr 09:00-15:00, 18:00-07:00; Sa-Su 24 h)"},
            "primary",
            ALL_HOURS,
            0,
            {"weekdays"},
        ),
    ],
)
def test_one_ways_by_hour(
    tags: dict[str, str], highway: str, forward: int, backward: int, notes: set[str]
) -> None:
    assert DEFAULT.direction_hours(tags, highway) == (forward, backward, notes)


@pytest.mark.parametrize(
    "tags,closed",
    [
        ({"barrier": "bollard"}, True),
        ({"barrier": "block"}, True),
        ({"barrier": "gate"}, False),
        ({"barrier": "lift_gate"}, False),
        ({"barrier": "gate", "access": "no"}, True),
        ({"barrier": "bollard", "motor_vehicle": "yes"}, False),
        ({"barrier": "gate", "access": "private"}, False),  # a private gate: the road says so
        ({}, False),
    ],
)
def test_barriers_a_car_cannot_pass(tags: dict[str, str], closed: bool) -> None:
    assert DEFAULT.barrier_closed(tags) is closed


def test_a_profile_round_trips_through_json_and_defaults_what_it_leaves_out() -> None:
    assert CarProfile.from_dict(json.loads(json.dumps(DEFAULT.to_dict()))) == DEFAULT
    ours = CarProfile.from_dict(
        {
            "patrol_kmh": {"residential": 30},
            "zones_kmh": {"CN:urban": 40, "XX:motorway": None},
            "exempt": ["emergency"],
        }
    )
    assert ours.patrol(RoadClass.RESIDENTIAL) == 30.0
    assert ours.patrol(RoadClass.PRIMARY) == DEFAULT.patrol(RoadClass.PRIMARY)
    assert ours.legal_kmh("CN:urban") == (40.0, True)
    assert ours.legal_kmh("XX:motorway") == (None, True)
    assert ours.legal_kmh("RU:urban") == (60.0, True)  # the rest of the table stays
    assert CarProfile.from_dict(ours.to_dict()) == ours


@pytest.mark.parametrize(
    "data,field",
    [
        ([], "profile"),
        ({"speed": 1}, "speed"),
        ({"patrol_kmh": {"motorway": -1}}, "patrol_kmh.motorway"),
        ({"patrol_kmh": {"motorway": "fast"}}, "patrol_kmh.motorway"),
        ({"patrol_kmh": {"lane": 30}}, "patrol_kmh.lane"),
        ({"patrol_kmh": [1, 2]}, "patrol_kmh"),
        ({"zones_kmh": {"urban": 50}}, "zones_kmh.urban"),
        ({"zones_kmh": {"CN:urban": 0}}, "zones_kmh.CN:urban"),
        ({"walk_kmh": True}, "walk_kmh"),
        ({"exempt": "emergency"}, "exempt"),
        ({"access_keys": []}, "access_keys"),
        ({"timed_restrictions": "sometimes"}, "timed_restrictions"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field(data: object, field: str) -> None:
    with pytest.raises(ProfileError, match=rf"^{field}:"):
        CarProfile.from_dict(data)
