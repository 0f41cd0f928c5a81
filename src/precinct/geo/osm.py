"""Read a road network from an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``) with
pyosmium (libosmium): the drivable ways, their direction and speed limits."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from .rules import DEFAULT_SPEED_KMH, NetworkError, RoadClass, RoadGraph, build

HIGHWAY_CLASS = {
    "motorway": RoadClass.MOTORWAY,
    "motorway_link": RoadClass.MOTORWAY,
    "trunk": RoadClass.TRUNK,
    "trunk_link": RoadClass.TRUNK,
    "primary": RoadClass.PRIMARY,
    "primary_link": RoadClass.PRIMARY,
    "secondary": RoadClass.SECONDARY,
    "secondary_link": RoadClass.SECONDARY,
    "tertiary": RoadClass.TERTIARY,
    "tertiary_link": RoadClass.TERTIARY,
    "unclassified": RoadClass.RESIDENTIAL,
    "residential": RoadClass.RESIDENTIAL,
    "living_street": RoadClass.RESIDENTIAL,
    "road": RoadClass.RESIDENTIAL,
    "service": RoadClass.SERVICE,
}
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$")


def speed_limit(tag: str | None) -> float | None:
    """km/h from an OSM ``maxspeed`` value ("50", "30 mph"); None for anything else."""
    if not tag:
        return None
    m = _SPEED.match(tag)
    if m is None:
        return None
    value = float(m.group(1))
    if value <= 0:
        return None
    return value * 1.609344 if m.group(2) == "mph" else value


def direction(tags: dict[str, str], highway: str) -> int:
    """1: forward only, -1: backward only, 0: both ways."""
    oneway = tags.get("oneway", "")
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway == "-1" or oneway == "reverse":
        return -1
    if oneway == "no":
        return 0
    if highway in ("motorway", "motorway_link") or tags.get("junction") in (
        "roundabout",
        "circular",
    ):
        return 1
    return 0


def load(path: str | Path) -> RoadGraph:
    """The drivable network of an OSM extract, largest strongly connected part."""
    import osmium

    source = Path(path)
    if not source.is_file():
        raise NetworkError(f"no such file: {source}")
    index: dict[int, int] = {}
    lon: list[float] = []
    lat: list[float] = []
    src: list[int] = []
    dst: list[int] = []
    cls: list[int] = []
    speed: list[float] = []
    ways: list[tuple[int, np.ndarray]] = []

    def node_id(ref: int, x: float, y: float) -> int:
        got = index.get(ref)
        if got is None:
            got = index[ref] = len(lon)
            lon.append(x)
            lat.append(y)
        return got

    try:
        processor = (
            osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:  # nodes feed the location cache only
            assert isinstance(way, osmium.osm.Way)
            tags = {t.k: t.v for t in way.tags}
            highway = tags.get("highway", "")
            road = HIGHWAY_CLASS.get(highway)
            if road is None or tags.get("area") == "yes" or tags.get("access") == "no":
                continue
            # A node missing from the extract (a way clipped at its edge) breaks the way there:
            # its pieces are kept, never joined across the gap by a road that does not exist.
            pieces: list[list[int]] = [[]]
            for n in way.nodes:
                if not n.location.valid():
                    pieces.append([])
                    continue
                pieces[-1].append(node_id(n.ref, n.location.lon, n.location.lat))
            kmh = speed_limit(tags.get("maxspeed")) or DEFAULT_SPEED_KMH[road]
            way_dir = direction(tags, highway)
            for refs in pieces:
                if len(refs) < 2:
                    continue
                for a, b in itertools.pairwise(refs):
                    if way_dir >= 0:
                        src.append(a)
                        dst.append(b)
                        cls.append(road)
                        speed.append(kmh)
                    if way_dir <= 0:
                        src.append(b)
                        dst.append(a)
                        cls.append(road)
                        speed.append(kmh)
                ways.append((int(road), np.array(refs)))
    except RuntimeError as exc:  # libosmium's errors: a truncated or foreign file
        raise NetworkError(f"{source}: not a readable OSM file ({exc})") from None
    if not src:
        raise NetworkError(f"{source}: no drivable road in the extract")
    return build(
        np.array(lon),
        np.array(lat),
        np.array(src),
        np.array(dst),
        np.array(cls, dtype=np.uint8),
        speed_kmh=np.array(speed),
        ways=ways,
    )
