"""Recommendation latency on the demo city's road network (~50,000 nodes, 48 cars).

    .venv/bin/python bench/dispatch.py [--incidents 200] [--seed 7]

precinct: one Dijkstra from the incident over the reversed graph gives every car's time to it
(``geo.rules.reach_point``). Baseline, in the same run: one Dijkstra from each car (48 searches,
the obvious way). Both must pick the same car at the same time; prints medians, p95 and the
ratio.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from precinct.geo import rules as g


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--cars", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    t0 = time.perf_counter()
    graph = g.synthetic_city(seed=args.seed)
    build_s = time.perf_counter() - t0
    graph.matrix(reverse=True)
    graph.matrix()
    g.snap(graph, *g.HEGANG)
    rng = np.random.default_rng(args.seed)
    west, south, east, north = graph.bounds()

    def point() -> tuple[float, float]:
        return float(rng.uniform(west, east)), float(rng.uniform(south, north))

    cars = [point() for _ in range(args.cars)]
    ours, baseline = [], []
    for _ in range(args.incidents):
        lon, lat = point()
        t = time.perf_counter()
        got = g.reach_point(graph, lon, lat, cars)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        target = g.snap(graph, lon, lat)
        starts = g.snap_many(graph, np.array([c[0] for c in cars]), np.array([c[1] for c in cars]))
        times = [
            g.access_seconds(s.distance_m)
            + float(g.times_from(graph, s.node)[target.node])
            + g.access_seconds(target.distance_m)
            for s in starts
        ]
        baseline.append(time.perf_counter() - t)
        best = min(range(len(times)), key=lambda i: (times[i], i))
        assert got[0].origin == best and abs(got[0].seconds - times[best]) < 1e-6
    print(
        f"network: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges (built in {build_s:.2f} s); "
        f"{args.cars} cars; {args.incidents} incidents"
    )
    for name, values in (
        ("precinct (one reverse search)", ours),
        ("baseline (one search per car)", baseline),
    ):
        print(
            f"{name}: median {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {p95(values) * 1000:.1f} ms"
        )
    print(
        f"ratio (baseline / precinct, medians): "
        f"{statistics.median(baseline) / statistics.median(ours):.1f}x"
    )


if __name__ == "__main__":
    main()
