"""Read a road network from an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``) with
pyosmium (libosmium): the ways a patrol car may drive under a :class:`CarProfile` (direction, hours,
access, speed) and the turn restrictions that bind it, with a report of everything left out.

Nothing is lost without a word: every ``highway=*`` way and every node of one is either in the
graph or in the report under a reason, and every turn restriction relation is either kept or
counted under the reason it was not (a member missing from the extract, a member we do not drive,
members that do not meet, an exemption)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .rules import NetworkError, RoadClass, RoadGraph, build, haversine_m
from .rules.graph import ALL_HOURS, DESTINATION, Dropped
from .rules.profile import BACKWARD, DEFAULT, FORWARD, Access, CarProfile

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
# why a whole way is left out, in the order a node on several such ways is counted under
WAY_REASONS = ("access_closed", "reversible", "area", "not_for_cars")
MAX_VIA_WAYS = 5  # a longer chain of via ways is reported as invalid rather than searched


@dataclass
class Report(Dropped):
    """What a load read, kept and left out. The rows (``counts``) are the :class:`Dropped` table:
    ``ways`` counts ways left out whole, ``nodes`` the nodes that are on no kept road for that
    reason (so kept + dropped = read), ``restrictions`` the turn restriction relations.
    ``restrictions`` here: every relation by outcome (``kept`` or a reason); ``notes``: what was
    read with care (a condition's weekdays widened, a timed restriction kept all day …)."""

    read: dict[str, int] = field(default_factory=dict)
    kept: dict[str, float] = field(default_factory=dict)
    restrictions: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)

    def add_restrictions(self, reason: str, n: int) -> None:
        """``n`` turn restriction relations left out for ``reason`` (a row of their own)."""
        self.add(f"restriction_{reason}")
        row = self.counts[f"restriction_{reason}"]
        row["restrictions"] = row.get("restrictions", 0) + n

    def summary(self) -> dict[str, Any]:
        """The report as JSON-ready data (stored with the network)."""
        return {
            "read": dict(self.read),
            "kept": dict(self.kept),
            "dropped": self.as_dict(),
            "restrictions": dict(sorted(self.restrictions.items())),
            "notes": dict(sorted(self.notes.items())),
        }


def speed_limit(tag: str | None) -> float | None:
    """km/h from an OSM ``maxspeed`` value under the default profile ("50", "30 mph", "CN:urban",
    "walk", "50;30"); None for no limit or a value not understood."""
    return DEFAULT.legal_kmh(tag)[0]


@dataclass
class _Way:
    id: int
    tags: dict[str, str]
    refs: list[int]
    locs: list[tuple[float, float] | None]


@dataclass
class _Relation:
    id: int
    tags: dict[str, str]
    members: list[tuple[str, int, str]]  # (type n/w/r, ref, role)


def _read(source: Path) -> tuple[list[_Way], list[_Relation], dict[int, dict[str, str]]]:
    import osmium

    ways: list[_Way] = []
    relations: list[_Relation] = []
    barriers: dict[int, dict[str, str]] = {}
    try:
        for node in osmium.FileProcessor(str(source), osmium.osm.NODE).with_filter(
            osmium.filter.KeyFilter("barrier")
        ):
            barriers[node.id] = {t.k: t.v for t in node.tags}
        for rel in osmium.FileProcessor(str(source), osmium.osm.RELATION):
            assert isinstance(rel, osmium.osm.Relation)
            tags = {t.k: t.v for t in rel.tags}
            if tags.get("type", "").startswith("restriction"):
                members = [(m.type, m.ref, m.role) for m in rel.members]
                relations.append(_Relation(rel.id, tags, members))
        processor = (
            osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:  # nodes feed the location cache only
            assert isinstance(way, osmium.osm.Way)
            ways.append(
                _Way(
                    id=way.id,
                    tags={t.k: t.v for t in way.tags},
                    refs=[n.ref for n in way.nodes],
                    locs=[
                        (n.location.lon, n.location.lat) if n.location.valid() else None
                        for n in way.nodes
                    ],
                )
            )
    except RuntimeError as exc:  # libosmium's errors: a truncated or foreign file
        raise NetworkError(f"{source}: not a readable OSM file ({exc})") from None
    return ways, relations, barriers


def _length(locs: list[tuple[float, float] | None]) -> tuple[int, float]:
    """Segments with both ends in the extract, and their metres."""
    n, metres = 0, 0.0
    for p, q in itertools.pairwise(locs):
        if p is not None and q is not None:
            n += 1
            metres += float(haversine_m(p[0], p[1], q[0], q[1]))
    return n, metres


class _Loader:
    def __init__(self, profile: CarProfile, report: Report) -> None:
        self.profile = profile
        self.report = report
        self.notes: Counter[str] = Counter()
        self.index: dict[int, int] = {}  # OSM node id -> graph node
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.cls: list[int] = []
        self.speed: list[float] = []
        self.flags: list[int] = []
        self.hours: list[int] = []
        self.draw: list[tuple[int, np.ndarray]] = []
        self.drivable: dict[int, list[int]] = {}  # way id -> OSM node ids
        self.left_out: dict[int, str] = {}  # way id -> why
        self.out: dict[int, set[int]] = {}  # graph node -> next nodes
        self.read_nodes: set[int] = set()
        self.missing: set[int] = set()

    def node(self, ref: int, loc: tuple[float, float]) -> int:
        got = self.index.get(ref)
        if got is None:
            got = self.index[ref] = len(self.lon)
            self.lon.append(loc[0])
            self.lat.append(loc[1])
        return got

    def edge(self, a: int, b: int, road: int, kmh: float, access: Access, hours: int) -> None:
        self.src.append(a)
        self.dst.append(b)
        self.cls.append(road)
        self.speed.append(kmh)
        self.flags.append(DESTINATION if access == Access.DESTINATION else 0)
        self.hours.append(hours)
        self.out.setdefault(a, set()).add(b)

    # --- ways ---------------------------------------------------------------------------------
    def ways(self, ways: list[_Way]) -> None:
        dropped: dict[str, list[_Way]] = {r: [] for r in WAY_REASONS}
        broken_ways = broken_edges = 0
        for way in ways:
            self.read_nodes.update(way.refs)
            gaps = {ref for ref, loc in zip(way.refs, way.locs, strict=True) if loc is None}
            self.missing |= gaps
            why = self.way(way)
            if why is not None:
                dropped[why].append(way)
                self.left_out[way.id] = why
            elif gaps:
                broken_ways += 1
                broken_edges += sum(
                    1 for p, q in itertools.pairwise(way.locs) if p is None or q is None
                )
        if self.missing:
            self.report.add("missing_node", nodes=len(self.missing), edges=broken_edges)
            self.notes["ways_broken_at_a_missing_node"] += broken_ways
        counted = set(self.index) | self.missing
        for why in WAY_REASONS:
            nodes = 0
            edges, metres = 0, 0.0
            for way in dropped[why]:
                fresh = {r for r in way.refs if r not in counted}
                counted |= fresh
                nodes += len(fresh)
                n, m = _length(way.locs)
                edges += n
                metres += m
            if dropped[why]:
                self.report.add(
                    why, ways=len(dropped[why]), nodes=nodes, edges=edges, length_m=metres
                )

    def way(self, way: _Way) -> str | None:
        """Add a way's edges; why it was left out whole (None: kept)."""
        tags = way.tags
        highway = tags.get("highway", "")
        road = HIGHWAY_CLASS.get(highway)
        if road is None:
            return "not_for_cars"
        if tags.get("area") == "yes":
            return "area"
        p = self.profile
        access = {d: p.access(tags, d) for d in (FORWARD, BACKWARD)}
        fwd_hours, bwd_hours, notes = p.direction_hours(tags, highway)
        hours = {FORWARD: fwd_hours, BACKWARD: bwd_hours}
        for note in notes - {"reversible"}:
            self.notes[f"oneway_condition_{note}"] += 1
        by_tags = [d for d in (FORWARD, BACKWARD) if hours[d]]
        usable = [d for d in by_tags if access[d] != Access.CLOSED]
        if not usable:
            if not by_tags:
                return "reversible"
            return "access_closed"
        for d in (FORWARD, BACKWARD):
            if not p.limit_for(tags, d)[1]:
                self.notes["maxspeed_not_understood"] += 1
                break
        pieces: list[list[int]] = [[]]
        for ref, loc in zip(way.refs, way.locs, strict=True):
            if loc is None:  # broken here: never joined across the gap by a road not there
                pieces.append([])
            else:
                pieces[-1].append(self.node(ref, loc))
        kmh = {d: p.speed_kmh(road, tags, d) for d in usable}
        closed = [d for d in by_tags if d not in usable]  # one way round closed by access
        for refs in pieces:
            if len(refs) < 2:
                continue
            for a, b in itertools.pairwise(refs):
                for d in usable:
                    s, t = (a, b) if d == FORWARD else (b, a)
                    self.edge(s, t, int(road), kmh[d], access[d], hours[d])
            self.draw.append((int(road), np.array(refs)))
        if closed:
            n, metres = _length(way.locs)
            self.report.add("access_closed", edges=n, length_m=metres)
        self.drivable[way.id] = way.refs
        return None

    def barriers(self, barriers: dict[int, dict[str, str]]) -> list[tuple[int, ...]]:
        """A barrier our car cannot pass (a bollard, a block, a gate saying ``access=no``) on a
        road we keep: no driving through it, node sequences ``a -> barrier -> b`` forbidden (the
        roads up to it stay usable from either side)."""
        into: dict[int, set[int]] = {}
        for a, b in zip(self.src, self.dst, strict=True):
            into.setdefault(b, set()).add(a)
        out: list[tuple[int, ...]] = []
        for ref, tags in sorted(barriers.items()):
            v = self.index.get(ref)
            if v is None or not self.profile.barrier_closed(tags):
                continue
            self.notes["barriers_closed"] += 1
            for a in sorted(into.get(v, ())):
                for b in sorted(self.out.get(v, ())):
                    if a != b:
                        out.append((a, v, b))
        return out

    # --- turn restrictions ------------------------------------------------------------------
    def restriction(self, rel: _Relation) -> tuple[str, list[tuple[int, ...]]]:
        """(outcome, forbidden node sequences): outcome ``kept``/``timed`` or why it was not."""
        value, why = self.profile.restriction(rel.tags)
        if value is None:
            return why, []
        froms = [ref for t, ref, role in rel.members if role == "from" and t == "w"]
        tos = [ref for t, ref, role in rel.members if role == "to" and t == "w"]
        via_nodes = [ref for t, ref, role in rel.members if role == "via" and t == "n"]
        via_ways = [ref for t, ref, role in rel.members if role == "via" and t == "w"]
        if (
            not froms
            or not tos
            or bool(via_nodes) == bool(via_ways)
            or len(via_nodes) > 1
            or len(via_ways) > MAX_VIA_WAYS
        ):
            return "invalid", []
        for wid in (*froms, *tos, *via_ways):
            if wid not in self.drivable:
                return ("not_drivable" if wid in self.left_out else "missing_member"), []
        if via_nodes and via_nodes[0] not in self.index:
            v = via_nodes[0]
            if v in self.missing or v not in self.read_nodes:
                return "missing_member", []
            return "not_drivable", []
        sequences: set[tuple[int, ...]] = set()
        for f, t in itertools.product(froms, tos):
            got = self._path(self.drivable[f], [self.drivable[w] for w in via_ways], via_nodes,
                             self.drivable[t])  # fmt: skip
            if isinstance(got, str):
                return got, []
            if any(ref not in self.index for ref in got):
                return "missing_member", []
            seq = [self.index[ref] for ref in got]
            if value.startswith("no_"):
                sequences.add(tuple(seq))
                continue
            # only_*: every other way on at each node from the via to the to-way is forbidden
            for k in range(1, len(seq) - 1):
                prefix, allowed = tuple(seq[: k + 1]), seq[k + 1]
                for x in sorted(self.out.get(seq[k], ())):
                    if x != allowed:
                        sequences.add((*prefix, x))
        return (why or "kept"), sorted(sequences)

    def _path(
        self,
        from_refs: list[int],
        via_refs: list[list[int]],
        via_nodes: list[int],
        to_refs: list[int],
    ) -> list[int] | str:
        """OSM node ids: the from-way's node before the via, the via node or the via ways' nodes,
        the to-way's node after; or why there is no such path."""
        if via_nodes:
            chains: Iterable[tuple[int, list[int]]] = [(via_nodes[0], [via_nodes[0]])]
        else:
            chains = _chains(from_refs, via_refs, to_refs)
        for start, chain in chains:
            before = _next_to(from_refs, start)
            after = _next_to(to_refs, chain[-1])
            if before is None or after is None:
                continue
            if before == "middle" or after == "middle":
                return "ambiguous"
            return [int(before), *chain, int(after)]
        return "not_adjacent"


def _next_to(refs: list[int], node: int) -> int | str | None:
    """The way's node next to ``node`` where the way ends there; ``"middle"`` where the way runs
    on through it (which turn is meant cannot be told); None where the way does not touch it."""
    if len(refs) < 2 or node not in refs:
        return None
    if refs[0] == refs[-1]:  # a closed way: no end to come from
        return "middle"
    if refs[0] == node:
        return refs[1]
    if refs[-1] == node:
        return refs[-2]
    return "middle"


def _chains(
    from_refs: list[int], via_refs: list[list[int]], to_refs: list[int]
) -> list[tuple[int, list[int]]]:
    """Ways of running the via ways end to end from an end of the from-way to an end of the
    to-way: (start junction, node ids from it to the last junction)."""
    out = []
    ends_from = {from_refs[0], from_refs[-1]}
    ends_to = {to_refs[0], to_refs[-1]}
    for order in itertools.permutations(range(len(via_refs))):
        for start in ends_from:
            node, chain, ok = start, [start], True
            for k in order:
                refs = via_refs[k]
                if refs[0] == node:
                    part = refs
                elif refs[-1] == node:
                    part = refs[::-1]
                else:
                    ok = False
                    break
                chain.extend(part[1:])
                node = part[-1]
            if ok and node in ends_to:
                out.append((start, chain))
    return out


def load(
    path: str | Path, *, profile: CarProfile = DEFAULT, dropped: Dropped | None = None
) -> RoadGraph:
    """The network a patrol car may drive in an OSM extract under ``profile``: the largest part
    whose roads touch one another (pockets reached only through the extract's edge are kept). What
    is left out is added to ``dropped`` by reason; pass a :class:`Report` to have what was read
    and kept, and every turn restriction's outcome, as well."""
    source = Path(path)
    if not source.is_file():
        raise NetworkError(f"no such file: {source}")
    report = dropped if isinstance(dropped, Report) else Report()
    ways, relations, barriers = _read(source)
    loader = _Loader(profile, report)
    loader.ways(ways)
    if not loader.src:
        raise NetworkError(f"{source}: no drivable road in the extract")
    outcomes: list[tuple[str, list[tuple[int, ...]]]] = [
        loader.restriction(rel) for rel in relations
    ]
    sequences = [seq for _why, seqs in outcomes for seq in seqs]
    blocked = loader.barriers(barriers)
    scratch = Dropped()
    graph = build(
        np.array(loader.lon),
        np.array(loader.lat),
        np.array(loader.src),
        np.array(loader.dst),
        np.array(loader.cls, dtype=np.uint8),
        speed_kmh=np.array(loader.speed),
        ways=loader.draw,
        flags=np.array(loader.flags, dtype=np.uint8),
        hours=np.array(loader.hours, dtype=np.uint32),
        restrictions=sequences + blocked,
        keep="connected",
        dropped=scratch,
    )
    for reason, row in scratch.counts.items():
        if reason != "restriction_outside":  # counted below by relation, not by sequence
            report.add(
                reason,
                ways=int(row["ways"]),
                nodes=int(row["nodes"]),
                edges=int(row["edges"]),
                length_m=row["length_m"],
            )
    # which relations kept a sequence: the graph keeps them in order, a subsequence of ours
    kept_at = _kept(graph, loader.lon, loader.lat, sequences + blocked)
    by_outcome: Counter[str] = Counter()
    at = 0
    for why, seqs in outcomes:
        if why in ("kept", "timed"):
            survived = sum(kept_at[at : at + len(seqs)])
            at += len(seqs)
            if seqs and not survived:
                why = "outside"
            elif why == "timed":
                loader.notes["restriction_timed_kept_all_day"] += 1
                why = "kept"
            if not seqs:
                loader.notes["restriction_nothing_else_to_forbid"] += 1
        by_outcome[why] += 1
    for why, n in sorted(by_outcome.items()):
        if why != "kept":
            report.add_restrictions(why, n)
    report.restrictions = dict(by_outcome)
    report.read = {
        "ways": len(ways),
        "nodes": len(loader.read_nodes),
        "restrictions": len(relations),
    }
    report.kept = {
        "ways": len(loader.drivable),
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "length_km": round(float(graph.length_m.sum()) / 1000, 3),
        "restrictions": by_outcome.get("kept", 0),
        "forbidden_sequences": len(graph.restriction_offsets) - 1,
        "destination_edges": int((graph.edge_flags & DESTINATION != 0).sum()),
        "timed_edges": int((graph.edge_hours != ALL_HOURS).sum()),
    }
    report.notes = dict(loader.notes)
    if dropped is not None and dropped is not report:
        for reason, row in report.counts.items():
            target = dropped.counts.setdefault(
                reason, {"ways": 0, "nodes": 0, "edges": 0, "length_m": 0.0}
            )
            for key, value in row.items():
                target[key] = target.get(key, 0) + value
    return graph


def _kept(
    graph: RoadGraph, lon: list[float], lat: list[float], sequences: list[tuple[int, ...]]
) -> list[bool]:
    """For each sequence given to :func:`build`, whether the graph kept it (build keeps them in
    order and renumbers the nodes, keeping their coordinates)."""
    kept_coords = [
        tuple((float(graph.lon[v]), float(graph.lat[v])) for v in seq) for seq in graph.restrictions
    ]
    out, j = [], 0
    for seq in sequences:
        coords = tuple((lon[v], lat[v]) for v in seq)
        if j < len(kept_coords) and kept_coords[j] == coords:
            out.append(True)
            j += 1
        else:
            out.append(False)
    return out
