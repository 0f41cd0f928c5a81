"""The road network: a directed graph of nodes (lon/lat) and edges (length, speed), travel times
on it, and snapping points to it. Pure: NumPy and SciPy only, no database, no clock.

A :class:`RoadGraph` is immutable arrays; everything derived from it (sparse matrices, the k-d tree
for snapping, edge lookup) is built once per graph object and cached on it. Travel times are
seconds; one Dijkstra from the incident over the reversed graph gives every unit's time *to* it
(one-way streets count the right way round).

One module per seam; this package keeps every name, so callers use ``rules.X`` as before.
"""

from .expand import INF_MS, RoutingGraph, routing_graph, weights_ms
from .graph import (
    ACCESS_SPEED_KMH,
    ALL_HOURS,
    DEFAULT_SPEED_KMH,
    DESTINATION,
    EARTH_RADIUS_M,
    FORMAT,
    MIN_SECONDS,
    Dropped,
    NetworkError,
    RoadClass,
    RoadGraph,
    build,
    dumps,
    geojson,
    haversine_m,
    loads,
)
from .routing import (
    Reach,
    Snap,
    Tree,
    access_seconds,
    path_length_m,
    path_to,
    reach_point,
    snap,
    snap_many,
    times_from,
    times_many,
    times_to,
)
from .synthetic import HEGANG, synthetic_city

__all__ = [
    "ACCESS_SPEED_KMH",
    "ALL_HOURS",
    "DEFAULT_SPEED_KMH",
    "DESTINATION",
    "EARTH_RADIUS_M",
    "FORMAT",
    "HEGANG",
    "INF_MS",
    "MIN_SECONDS",
    "Dropped",
    "NetworkError",
    "Reach",
    "RoadClass",
    "RoadGraph",
    "RoutingGraph",
    "Snap",
    "Tree",
    "access_seconds",
    "build",
    "dumps",
    "geojson",
    "haversine_m",
    "loads",
    "path_length_m",
    "path_to",
    "reach_point",
    "routing_graph",
    "snap",
    "snap_many",
    "synthetic_city",
    "times_from",
    "times_many",
    "times_to",
    "weights_ms",
]
