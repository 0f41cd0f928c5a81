"""Coordinate systems at the edge (issue 19): precinct stores and routes in WGS-84; a position
that comes in another system is converted when it arrives, and every answer says it is WGS-84.

- ``wgs84``: GPS, car terminals, OpenStreetMap — stored as is;
- ``cgcs2000``: China's geodetic system; it differs from WGS-84 by centimetres, far below a
  position's accuracy, so it is taken as WGS-84 (as the national surveying standards do for
  mapping at these scales);
- ``gcj02``: the obfuscated system that Chinese web maps and many 110 platforms give (about
  500–700 m off at Hegang); inside China it is converted back with PRCoords' iterative inverse
  (Caijun's method: sub-millimetre against the forward formula), outside China it is WGS-84;
- ``bd09``: Baidu's further offset of GCJ-02, converted back the same way.

Pure arithmetic (the ``prcoords`` package, CC0): no Django, no database."""

import math
from enum import StrEnum

import prcoords


class Crs(StrEnum):
    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"


DEFAULT = Crs.WGS84
CHOICES = tuple(c.value for c in Crs)


def in_china(lon: float, lat: float) -> bool:
    """Where GCJ-02 and BD-09 shift a position (PRCoords' rectangle around China; outside it
    both are WGS-84)."""
    return bool(prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)))


def to_wgs84(lon: float, lat: float, crs: Crs | str) -> tuple[float, float]:
    """A position given in ``crs`` as (lon, lat) in WGS-84."""
    crs = Crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000) or not in_china(lon, lat):
        return lon, lat
    if crs is Crs.GCJ02:
        wgs = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    else:
        wgs = prcoords.bd_wgs_bored(prcoords.Coords(lat, lon))
    return float(wgs.lon), float(wgs.lat)


def from_wgs84(lon: float, lat: float, crs: Crs | str) -> tuple[float, float]:
    """A WGS-84 position as (lon, lat) in ``crs`` (for a map or platform that expects it)."""
    crs = Crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000) or not in_china(lon, lat):
        return lon, lat
    if crs is Crs.GCJ02:
        out = prcoords.wgs_gcj(prcoords.Coords(lat, lon), False)
    else:
        out = prcoords.wgs_bd(prcoords.Coords(lat, lon), False)
    return float(out.lon), float(out.lat)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) positions."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))
