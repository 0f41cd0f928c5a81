"""Recommendation latency: every car's exact time to the incident, on the demo city's network
(~50,000 nodes) and on a real OpenStreetMap extract (central Helsinki, `make helsinki`), 48 cars.

    .venv/bin/python bench/dispatch.py [--incidents 300] [--cars 48] [--seed 7] [--json]

One query = what precinct does for a recommendation: snap the incident to the network, every
car's time to it over the routing graph (turn restrictions, access, closures obeyed), ranked, and
the route and metres of the first car (the cars' snaps are kept from their last ping, as the
server does). Side by side, in the same run, on the same routing graph and the same whole
milliseconds:

* precinct: the contraction hierarchy (RoutingKit CCH, many-to-one with the cars pinned);
* scipy: one reverse Dijkstra from the incident (SciPy's csgraph), the cars read off it;
* pandana: pandana 0.8's contraction hierarchy, 48 point-to-point queries (its batch call).

``exact``: every car's time from precinct equals SciPy's plain Dijkstra on every query.
With ``--json`` the last line is one JSON object: the slower graph's median and p99, exactness on
both, and each baseline's median and ratio (baseline / ours; the smaller ratio of the two graphs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from precinct.geo import osm  # noqa: E402
from precinct.geo import rules as g  # noqa: E402
from precinct.geo.rules import engine as engines  # noqa: E402

HELSINKI = ROOT / "var" / "osm" / "Helsinki.osm.pbf"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def points(graph: g.RoadGraph, rng: np.random.Generator, k: int) -> list[tuple[float, float]]:
    """Points near the roads (a node's place moved up to ~50 m), as incidents and cars are."""
    nodes = rng.integers(0, graph.n_nodes, k)
    jitter = rng.uniform(-0.0005, 0.0005, (k, 2))
    return [
        (float(graph.lon[n] + dx), float(graph.lat[n] + dy))
        for n, (dx, dy) in zip(nodes, jitter, strict=True)
    ]


def pandana_network(graph: g.RoadGraph) -> Any:
    import pandana
    import pandas as pd

    r = g.routing_graph(graph)
    w = g.weights_ms(graph, r)
    open_ = w < g.INF_MS
    nodes = pd.DataFrame(
        {"x": graph.lon[r.road], "y": graph.lat[r.road]}, index=np.arange(r.n_nodes)
    )
    edges = pd.DataFrame(
        {
            "from": r.src[open_].astype(np.int64),
            "to": r.dst[open_].astype(np.int64),
            # seconds: pandana's contraction takes minutes on weights in the millions
            "s": w[open_].astype(np.float64) / 1000.0,
        }
    )
    return pandana.Network(
        nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["s"]], twoway=False
    )


def run(name: str, graph: g.RoadGraph, args: argparse.Namespace) -> dict[str, Any]:
    from scipy.sparse.csgraph import dijkstra

    from precinct.geo.rules.expand import matrix_ms

    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    engine = engines.engine_for(graph)
    engine.prepare()
    build_s = time.perf_counter() - t0
    r = g.routing_graph(graph)
    reverse = matrix_ms(graph, r, reverse=True)
    t0 = time.perf_counter()
    net = pandana_network(graph)
    pandana_build_s = time.perf_counter() - t0
    cars = points(graph, rng, args.cars)
    car_snaps = g.snap_many(graph, np.array([c[0] for c in cars]), np.array([c[1] for c in cars]))
    car_nodes = np.array([s.node for s in car_snaps])
    starts = r.start[car_nodes]
    ours, scipy_t, pandana_t, whole = [], [], [], []
    exact, mismatches, unreachable = True, 0, 0
    for lon, lat in points(graph, rng, args.incidents):
        target = g.snap(graph, lon, lat)
        ends = r.ends_of(target.node)

        # precinct: the contraction hierarchy, the cars pinned, one many-to-one query
        t = time.perf_counter()
        got = engine.times_to(car_nodes, target.node)
        ms = np.array([np.inf if d is None else d for d in got], dtype=np.float64)
        ours_rank = np.argsort(ms, kind="stable")
        ours.append(time.perf_counter() - t)

        # SciPy: one reverse Dijkstra from the incident's node(s), the cars read off it
        t = time.perf_counter()
        dist = dijkstra(reverse, indices=ends, min_only=True)
        plain = dist[starts]
        np.argsort(plain, kind="stable")
        scipy_t.append(time.perf_counter() - t)

        # pandana: its contraction hierarchy, one query per car (its batch call)
        t = time.perf_counter()
        best = np.full(len(starts), np.inf)
        for end in ends:
            lengths = np.asarray(
                net.shortest_path_lengths(starts, np.full(len(starts), end)), dtype=np.float64
            )
            lengths[lengths > 4e6] = np.inf  # pandana's "no path" (4,294,967.295 s)
            best = np.minimum(best, lengths)
        np.argsort(best, kind="stable")
        pandana_t.append(time.perf_counter() - t)

        # the whole recommendation as the server makes it: snap the incident, every car's
        # time, ranked, the first car's route and metres
        t = time.perf_counter()
        engine.reach_point(lon, lat, cars, paths=1, starts=car_snaps)
        whole.append(time.perf_counter() - t)

        # exact: every car's milliseconds equal SciPy's plain Dijkstra on the same graph
        if not np.array_equal(ms, plain):
            exact = False
            mismatches += 1
        if not np.isfinite(ms[ours_rank[0]]):
            unreachable += 1
    out = {
        "graph": name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "routing_nodes": r.n_nodes,
        "routing_arcs": r.n_arcs,
        "restrictions": len(graph.restriction_offsets) - 1,
        "engine_build_s": round(build_s, 2),
        "pandana_build_s": round(pandana_build_s, 2),
        "median_ms": round(statistics.median(ours) * 1000, 4),
        "p99_ms": round(pct(ours, 0.99) * 1000, 4),
        "exact": exact,
        "mismatched_queries": mismatches,
        "queries_no_car_reaches": unreachable,
        "recommendation_median_ms": round(statistics.median(whole) * 1000, 3),
        "recommendation_p99_ms": round(pct(whole, 0.99) * 1000, 3),
        "baselines": {
            "scipy": {
                "median_ms": round(statistics.median(scipy_t) * 1000, 4),
                "p99_ms": round(pct(scipy_t, 0.99) * 1000, 4),
            },
            "pandana": {
                "median_ms": round(statistics.median(pandana_t) * 1000, 4),
                "p99_ms": round(pct(pandana_t, 0.99) * 1000, 4),
            },
        },
    }
    for base in out["baselines"].values():  # type: ignore[union-attr]
        base["ratio"] = round(base["median_ms"] / out["median_ms"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--cars", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--helsinki", type=Path, default=HELSINKI)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.helsinki.is_file():
        sys.exit(f"{args.helsinki}: missing; run `make helsinki` first")
    results = [
        run("demo", g.synthetic_city(seed=args.seed), args),
        run("helsinki", osm.load(args.helsinki), args),
    ]
    print(
        f"{'graph':10} {'nodes':>7} {'ours ms':>8} {'p99':>7} {'scipy':>7} {'×':>5} "
        f"{'pandana':>8} {'×':>5} exact"
    )
    for x in results:
        b = x["baselines"]
        print(
            f"{x['graph']:10} {x['routing_nodes']:>7} {x['median_ms']:>8.3f} {x['p99_ms']:>7.3f} "
            f"{b['scipy']['median_ms']:>7.3f} {b['scipy']['ratio']:>5.1f} "
            f"{b['pandana']['median_ms']:>8.3f} {b['pandana']['ratio']:>5.1f} {x['exact']}"
        )
    summary = {
        "median_ms": max(x["median_ms"] for x in results),
        "p99_ms": max(x["p99_ms"] for x in results),
        "exact": all(x["exact"] for x in results),
        "baselines": {
            name: {
                "median_ms": max(x["baselines"][name]["median_ms"] for x in results),
                "ratio": min(x["baselines"][name]["ratio"] for x in results),
            }
            for name in ("scipy", "pandana")
        },
        "graphs": {x["graph"]: x for x in results},
    }
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
