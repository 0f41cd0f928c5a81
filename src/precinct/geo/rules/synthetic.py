"""A synthetic Hegang-like city for the demo, the benchmarks and the tests: deterministic for a seed."""

from __future__ import annotations

import math

import numpy as np

from .graph import DEFAULT_SPEED_KMH, EARTH_RADIUS_M, RoadClass, RoadGraph, build

# --- a synthetic city ------------------------------------------------------------------------
HEGANG = (130.2977, 47.3499)  # lon, lat of the city centre


def synthetic_city(
    *,
    seed: int = 7,
    rows: int = 200,
    cols: int = 250,
    spacing_m: float = 85.0,
    centre: tuple[float, float] = HEGANG,
) -> RoadGraph:
    """A Hegang-like city: a street grid with jittered corners, primary roads every 12th line,
    secondary every 4th, a trunk ring road, one-way residential streets, blocks without a through
    street, and a river crossed only on bridges. About ``rows * cols`` nodes before the largest
    strongly connected part is kept. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    lon0, lat0 = centre
    k = np.radians(1.0) * EARTH_RADIUS_M
    dlat = spacing_m / k
    dlon = spacing_m / (k * math.cos(math.radians(lat0)))
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    jitter = spacing_m * 0.18
    lat = lat0 + (r - rows / 2) * dlat + rng.normal(0, jitter / k, r.shape)
    lon = (
        lon0
        + (c - cols / 2) * dlon
        + rng.normal(0, jitter / (k * math.cos(math.radians(lat0))), c.shape)
    )
    node = (r * cols + c).astype(np.int64)

    def line_class(i: np.ndarray, size: int) -> np.ndarray:
        cls = np.full(i.shape, RoadClass.RESIDENTIAL, dtype=np.uint8)
        cls[i % 4 == 0] = RoadClass.SECONDARY
        cls[i % 12 == 0] = RoadClass.PRIMARY
        ring = (i == size // 6) | (i == size - size // 6)
        cls[ring] = RoadClass.TRUNK
        return cls

    # horizontal segments (along a row) and vertical segments (along a column)
    h_a, h_b = node[:, :-1].ravel(), node[:, 1:].ravel()
    h_cls = line_class(r[:, :-1], rows).ravel()
    v_a, v_b = node[:-1, :].ravel(), node[1:, :].ravel()
    v_cls = line_class(c[:-1, :], cols).ravel()
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    cls = np.concatenate([h_cls, v_cls])
    residential = cls == RoadClass.RESIDENTIAL
    # blocks without a through street: 10 % of residential segments are missing
    present = ~(residential & (rng.random(len(a)) < 0.10))
    # the river: a band of segments crossing a sinuous line, bridged on primary and trunk roads
    rr, cc = np.divmod(a, cols)
    rr2, cc2 = np.divmod(b, cols)
    river_row = rows * 0.62 + rows * 0.08 * np.sin(cc / cols * 2 * math.pi * 1.5)
    river_row2 = rows * 0.62 + rows * 0.08 * np.sin(cc2 / cols * 2 * math.pi * 1.5)
    crosses = (rr < river_row) != (rr2 < river_row2)
    bridged = (cls == RoadClass.PRIMARY) | (cls == RoadClass.TRUNK)
    present &= ~crosses | bridged
    a, b, cls = a[present], b[present], cls[present]
    # one-way residential streets (alternating direction), the rest both ways
    oneway = (cls == RoadClass.RESIDENTIAL) & (rng.random(len(a)) < 0.15)
    flip = rng.random(len(a)) < 0.5
    fwd_src = np.where(oneway & flip, b, a)
    fwd_dst = np.where(oneway & flip, a, b)
    two = ~oneway
    src = np.concatenate([fwd_src, b[two]])
    dst = np.concatenate([fwd_dst, a[two]])
    road = np.concatenate([cls, cls[two]])
    table = np.array([DEFAULT_SPEED_KMH[RoadClass(x)] for x in range(len(RoadClass))])
    speed = table[road] * rng.uniform(0.85, 1.1, len(road))  # traffic, lights
    # ways for drawing: each row and column, cut where a segment is missing
    have = set(zip(a.tolist(), b.tolist(), strict=True))
    ways: list[tuple[int, np.ndarray]] = []
    for i in range(rows):
        ways.extend(_runs(node[i, :], have, int(line_class(np.array([i]), rows)[0])))
    for j in range(cols):
        ways.extend(_runs(node[:, j], have, int(line_class(np.array([j]), cols)[0])))
    # a made city: keep the part where every node reaches every other (no trap for a demo car)
    return build(
        lon.ravel(), lat.ravel(), src, dst, road, speed_kmh=speed, ways=ways, keep="strong"
    )


def _runs(line: np.ndarray, have: set[tuple[int, int]], cls: int) -> list[tuple[int, np.ndarray]]:
    out, run = [], [int(line[0])]
    for u, v in zip(line[:-1].tolist(), line[1:].tolist(), strict=True):
        if (u, v) in have:
            run.append(v)
        else:
            if len(run) >= 2:
                out.append((cls, np.array(run)))
            run = [v]
    if len(run) >= 2:
        out.append((cls, np.array(run)))
    return out
