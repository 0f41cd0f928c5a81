"""Command rules: intake validation names every field, the idempotency digest, phone masking,
lifecycles and the ranking of recommendations."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from precinct.command import rules as r
from precinct.core.errors import ValidationFailed

GOOD = {
    "category": "dispute",
    "priority": 2,
    "lat": 47.35,
    "lon": 130.29,
    "address": "向阳区红军路12号",
    "summary": "邻里纠纷",
    "caller_phone": "13845671234",
}


def test_a_good_body_reads() -> None:
    data = r.check_intake(GOOD)
    assert data.category == "dispute" and data.priority == 2 and data.source == "call_110"


@pytest.mark.parametrize(
    "field,value",
    [
        ("category", "alien"),
        ("priority", 4),
        ("priority", True),
        ("lat", 91),
        ("lon", "130"),
        ("lat", float("nan")),
        ("address", ""),
        ("summary", "x" * 2001),
        ("caller_phone", "call me"),
        ("source", "pigeon"),
    ],
)
def test_bad_input_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        r.check_intake({**GOOD, field: value})
    assert [e.field for e in err.value.errors] == [field]


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as err:
        r.check_intake({"priority": 0})
    assert {e.field for e in err.value.errors} == {
        "category",
        "priority",
        "lat",
        "lon",
        "address",
        "summary",
    }


def test_the_digest_ignores_key_order_but_not_values() -> None:
    assert r.body_digest(GOOD) == r.body_digest(dict(reversed(list(GOOD.items()))))
    assert r.body_digest(GOOD) != r.body_digest({**GOOD, "priority": 1})


@pytest.mark.parametrize(
    "phone,masked",
    [
        ("13845671234", "138****1234"),
        ("+86 138-4567-1234", "138****1234"),
        ("110", "***"),
        ("0468-1234567", "046****4567"),
    ],
)
def test_phones_are_masked(phone: str, masked: str) -> None:
    assert r.mask_phone(phone) == masked


def test_lifecycles_allow_only_their_moves() -> None:
    assert r.can_move(r.INCIDENT_MOVES, r.RECEIVED, r.DISPATCHED)
    assert not r.can_move(r.INCIDENT_MOVES, r.CLOSED, r.RECEIVED)
    assert r.can_move(r.UNIT_MOVES, r.AVAILABLE, r.U_DISPATCHED)
    assert not r.can_move(r.UNIT_MOVES, r.OFF_DUTY, r.U_DISPATCHED)
    assert not r.can_move(r.UNIT_MOVES, r.U_ON_SCENE, r.U_DISPATCHED)


def _c(sign: str, status: str, seconds: float | None, age: float | None = 10) -> r.Candidate:
    return r.Candidate(sign, sign, status, seconds, None if seconds is None else seconds * 10, age)


def test_recommendations_rank_available_units_by_travel_time_and_say_why() -> None:
    got = r.recommend(
        [
            _c("巡03", r.AVAILABLE, 300),
            _c("巡01", r.EN_ROUTE, 60),
            _c("巡02", r.AVAILABLE, 240, age=900),
            _c("巡04", r.AVAILABLE, None),
            _c("巡05", r.U_ON_SCENE, 100),
            _c("巡06", r.AVAILABLE, 240),
        ]
    )
    assert [x.call_sign for x in got] == ["巡02", "巡06", "巡03"]  # ties by call sign
    first = got[0].as_dict()
    assert first["rank"] == 1 and first["eta_seconds"] == 240 and first["distance_m"] == 2400
    assert first["why"][0] == "nearest available unit"
    assert first["why"][1] == "closer units busy: 巡01, 巡05"
    assert first["why"][2] == "last position 15 min old"
    assert got[2].as_dict()["why"] == ["60 s slower than 巡02"]


def test_no_available_unit_means_no_recommendation() -> None:
    assert r.recommend([_c("巡01", r.EN_ROUTE, 60), _c("巡02", r.OFF_DUTY, 10)]) == []


def test_point_in_polygon() -> None:
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert r.point_in_polygon(0.5, 0.5, square)
    assert not r.point_in_polygon(1.5, 0.5, square)


# --- figures ------------------------------------------------------------------------------------

TZ = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def _row(
    received: str,
    dispatch_s: float | None,
    scene_s: float | None,
    disposition: str,
    station: str = "红军派出所",
    priority: int = 2,
    category: str = "dispute",
) -> r.IncidentFacts:
    rec = _at(received)
    dis = rec + dt.timedelta(seconds=dispatch_s) if dispatch_s is not None else None
    scene = dis + dt.timedelta(seconds=scene_s) if dis is not None and scene_s is not None else None
    closed = (scene or rec) + dt.timedelta(minutes=20)
    return r.IncidentFacts(rec, dis, scene, closed, category, priority, disposition, station)


ROWS = [
    _row("2026-03-02 08:00", 60, 240, "street"),
    _row("2026-03-02 09:00", 120, 360, "street"),
    _row("2026-03-02 21:00", 30, 500, "station", station="光明派出所", priority=1),
    _row("2026-03-03 10:00", 90, 700, "criminal_investigation", priority=1, category="criminal"),
    _row("2026-03-03 11:00", None, None, "non_police", category="non_police"),
]


def test_street_handling_leaves_non_police_out() -> None:
    assert r.street_handling(ROWS) == (2, 4, 0.5)
    assert r.street_handling([]) == (0, 0, None)


def test_street_handling_by_minutes_to_scene_puts_a_bound_in_its_own_band() -> None:
    # responses 5:00 (on the bound: the ≤5 band), 8:00, 8:50, 13:10; non-police and an incident
    # no car reached are left out
    rows = [*ROWS, _row("2026-03-03 12:00", None, None, "station")]
    assert r.street_by_response(rows) == [
        (3.0, 0, 0), (5.0, 1, 1), (8.0, 1, 1), (12.0, 0, 1), (20.0, 0, 1), (None, 0, 0),
    ]  # fmt: skip
    assert r.street_by_response(rows, bands=(6.0,)) == [(6.0, 1, 1), (None, 1, 3)]


def test_percentiles_are_nearest_rank() -> None:
    assert r.percentile([5, 1, 3, 2, 4], 50) == 3
    assert r.percentile([5, 1, 3, 2, 4], 90) == 5
    assert r.percentile(list(range(1, 101)), 95) == 95
    assert r.percentile([], 50) is None


def test_response_times_by_priority() -> None:
    got = r.response_percentiles(ROWS, lambda x: x.priority)
    assert got[1]["n"] == 2 and got[1]["dispatch_p50"] == 30 and got[1]["scene_p90"] == 700
    assert got[2]["n"] == 2 and got[2]["scene_p50"] == 240


def test_on_scene_within_counts_from_the_call() -> None:
    # received -> on scene: 300, 480, 530, 790 s
    assert r.on_scene_within(ROWS, 5) == (1, 4, 0.25)
    assert r.on_scene_within(ROWS, 10) == (3, 4, 0.75)


def test_zero_call_days_per_station() -> None:
    got = r.zero_call_days(
        ROWS, ["红军派出所", "光明派出所", "北山派出所"], dt.date(2026, 3, 2), dt.date(2026, 3, 4)
    )
    assert got == {"红军派出所": 1, "光明派出所": 2, "北山派出所": 3}


def test_coverage_counts_the_part_of_an_hour_a_car_was_off() -> None:
    first, last = _at("2026-03-02 00:00"), _at("2026-03-04 00:00")
    spells = [(_at("2026-03-02 10:30"), _at("2026-03-02 12:00"))]  # 10:30-12:00 on day one
    got = {c["hour"]: c for c in r.coverage_by_hour(4, spells, first, last)}
    assert got[10]["mean"] == (3.5 + 4) / 2 and got[10]["min"] == 3.5
    assert got[11]["mean"] == (3 + 4) / 2 and got[11]["min"] == 3
    assert got[12]["mean"] == 4 and got[0]["plan"] == 48


def test_the_roster_fills_every_car_every_shift_and_rests_the_night_crew() -> None:
    officers = [f"o{i}" for i in range(150)]
    slots = r.roster(officers, 48, dt.date(2026, 11, 1), 7)
    by_shift: dict[tuple, list] = {}
    for s in slots:
        by_shift.setdefault((s.day, s.shift), []).append(s)
    assert len(by_shift) == 14 and all(len(v) == 48 for v in by_shift.values())
    for v in by_shift.values():
        assert len({s.officer for s in v}) == 48  # one car each
    for d in range(6):
        night = {
            s.officer for s in by_shift[(dt.date(2026, 11, 1) + dt.timedelta(days=d), "night")]
        }
        next_day = {
            s.officer for s in by_shift[(dt.date(2026, 11, 2) + dt.timedelta(days=d), "day")]
        }
        assert not night & next_day  # no day shift straight after a night
    worked = {o: sum(1 for s in slots if s.officer == o) for o in officers}
    assert max(worked.values()) - min(worked.values()) <= 2  # shared fairly


def test_a_roster_too_short_of_officers_says_so() -> None:
    with pytest.raises(ValueError, match="needs at least 144 officers"):
        r.roster(["a"] * 100, 48, dt.date(2026, 11, 1), 1)


@pytest.mark.parametrize(
    "at,expected",
    [("2026-11-02 08:00", ("2026-11-02", "day")), ("2026-11-02 19:59", ("2026-11-02", "day")),
     ("2026-11-02 20:00", ("2026-11-02", "night")), ("2026-11-03 07:59", ("2026-11-02", "night"))],
)  # fmt: skip
def test_the_shift_of_a_time(at: str, expected: tuple) -> None:
    day, shift = r.shift_at(_at(at))
    assert (day.isoformat(), shift) == expected


def test_a_position_names_each_bad_coordinate() -> None:
    assert r.check_position(130.3, 47.35) == (130.3, 47.35)
    with pytest.raises(ValidationFailed) as err:
        r.check_position(181, float("nan"))
    assert [e.field for e in err.value.errors] == ["lon", "lat"]


def test_a_ping_from_the_future_is_refused_beyond_the_clock_skew() -> None:
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    for at in (now - dt.timedelta(days=1), now, now + r.PING_CLOCK_SKEW):
        assert r.check_ping_time(at, now) == at
    with pytest.raises(ValidationFailed) as err:
        r.check_ping_time(now + r.PING_CLOCK_SKEW + dt.timedelta(seconds=1), now)
    assert [e.field for e in err.value.errors] == ["at"]
