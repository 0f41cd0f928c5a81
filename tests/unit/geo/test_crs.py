"""Coordinate systems (issue 19 item 3): a position in GCJ-02 or BD-09 converts to WGS-84 and
back within 0.5 m anywhere inside China; outside China, and for WGS-84 and CGCS2000, the position
is kept as it is."""

import random

import pytest

from precinct.geo.rules import crs

HEGANG = (130.2977, 47.3499)
HELSINKI = (24.9384, 60.1699)


def _inside_china(n: int) -> list[tuple[float, float]]:
    rng = random.Random(19)
    points = []
    while len(points) < n:
        p = (rng.uniform(73.5, 135.0), rng.uniform(18.0, 53.5))
        if crs.in_china(*p):
            points.append(p)
    return points


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_a_round_trip_inside_china_is_within_half_a_metre(system: str) -> None:
    worst, shifts = 0.0, []
    for wgs in _inside_china(2000):
        shifted = crs.from_wgs84(*wgs, system)
        shifts.append(crs.distance_m(wgs, shifted))
        worst = max(worst, crs.distance_m(wgs, crs.to_wgs84(*shifted, system)))
        # and a position read off such a map comes back to itself
        back = crs.from_wgs84(*crs.to_wgs84(*wgs, system), system)
        worst = max(worst, crs.distance_m(wgs, back))
    assert worst < 0.5, worst
    assert sorted(shifts)[len(shifts) // 2] > 100  # the system does shift positions: hundreds of m


def test_at_hegang_gcj02_is_about_650_metres_off() -> None:
    """The shift the field test measured at Hegang (issue 19: about 650 m); BD-09 adds Baidu's."""
    assert 600 < crs.distance_m(HEGANG, crs.from_wgs84(*HEGANG, "gcj02")) < 700
    assert crs.distance_m(HEGANG, crs.from_wgs84(*HEGANG, "bd09")) > 1000


@pytest.mark.parametrize("system", crs.CHOICES)
def test_outside_china_every_system_is_wgs84(system: str) -> None:
    assert crs.to_wgs84(*HELSINKI, system) == HELSINKI
    assert crs.from_wgs84(*HELSINKI, system) == HELSINKI


@pytest.mark.parametrize("system", ["wgs84", "cgcs2000"])
def test_wgs84_and_cgcs2000_are_kept_as_they_are(system: str) -> None:
    assert crs.to_wgs84(*HEGANG, system) == HEGANG


def test_an_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError):
        crs.to_wgs84(*HEGANG, "epsg:3857")
