"""A period of the city's incidents replayed on the road network under a fleet plan: each car
waits at its post; a call goes to the on-duty car with the shortest travel time among those free
(the command module's rule: nearest available); with none free it waits, priority 1 first, then
by arrival; the car drives there, handles it for the call's own service time and drives back to
its post (it can be sent again on the way, from its post: a simplification noted in ADR 0016).
Pure: NumPy only."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Call:
    at: float  # seconds from the start
    target: int  # column of the travel-time matrix (the incident's node)
    priority: int  # 1 most urgent
    service: float  # seconds on scene


@dataclass(frozen=True)
class Outcome:
    calls: int
    waited: int  # calls that found no car free
    response_p50: float  # seconds from the call to the car on scene
    response_p90: float
    within_5: float  # share on scene within 5 minutes of the call
    within_10: float
    workload: list[float]  # busy share of each car (there, on scene, back) until the last is back
    mean_wait: float  # seconds in the line, over all calls
    street: float | None = None  # expected street-handling share, by each call's response


def run(
    calls: Sequence[Call],
    travel: np.ndarray,
    *,
    on_duty: np.ndarray | None = None,
    dispatch_delay: float = 60.0,
    street: tuple[np.ndarray, np.ndarray] | None = None,
) -> Outcome:
    """``travel[car, target]``: seconds from the car's post to the incident (and back, the same).
    ``on_duty[car, hour]`` (hours from the start): whether the car may be sent; None: always.
    ``dispatch_delay``: the 110 desk's time from the call to the dispatch."""
    cars = travel.shape[0]
    free_at = np.zeros(cars)  # when each car is back at its post
    waiting: list[tuple[int, float, int]] = []  # (priority, arrival, call index)
    response = np.full(len(calls), np.nan)
    wait = np.zeros(len(calls))
    busy = np.zeros(cars)
    waited = 0
    horizon = calls[-1].at if calls else 0.0

    def duty(car: int, t: float) -> bool:
        if on_duty is None:
            return True
        hour = min(int(t // 3600), on_duty.shape[1] - 1)
        return bool(on_duty[car, hour])

    def send(i: int, car: int, start: float) -> None:
        call = calls[i]
        there = travel[car, call.target]
        response[i] = start + there - call.at
        wait[i] = start - call.at - dispatch_delay
        busy[car] += 2 * there + call.service
        free_at[car] = start + 2 * there + call.service

    events: list[tuple[float, int]] = []  # (time a car is back, car): to serve the line
    for i, call in enumerate(calls):
        t = call.at + dispatch_delay
        # cars back before t take waiting calls, most urgent first
        while events and events[0][0] <= t and waiting:
            back, car = heapq.heappop(events)
            if free_at[car] > back or not duty(car, back):
                continue  # stale entry (sent again meanwhile) or off duty
            _prio, _arr, j = heapq.heappop(waiting)
            send(j, car, back)
            heapq.heappush(events, (free_at[car], car))
        candidates = [c for c in range(cars) if free_at[c] <= t and duty(c, t)]
        if candidates:
            car = min(candidates, key=lambda c: (travel[c, call.target], c))
            send(i, car, t)
            heapq.heappush(events, (free_at[car], car))
        else:
            waited += 1
            heapq.heappush(waiting, (call.priority, call.at, i))
    while waiting and events:  # after the last call: the line empties
        back, car = heapq.heappop(events)
        if free_at[car] > back:
            continue
        _prio, _arr, j = heapq.heappop(waiting)
        send(j, car, back)
        heapq.heappush(events, (free_at[car], car))
    served = response[~np.isnan(response)]
    span = max(horizon, float(free_at.max()), 1.0)  # to the last car back at its post
    return Outcome(
        calls=len(calls),
        waited=waited,
        response_p50=float(np.percentile(served, 50)) if len(served) else float("nan"),
        response_p90=float(np.percentile(served, 90)) if len(served) else float("nan"),
        within_5=float((served <= 300).mean()) if len(served) else 0.0,
        within_10=float((served <= 600).mean()) if len(served) else 0.0,
        workload=(busy / span).tolist(),
        mean_wait=float(wait.mean()) if len(calls) else 0.0,
        street=(
            float(street[1][np.searchsorted(street[0], served, side="left")].mean())
            if street is not None and len(served)
            else None
        ),
    )
