"""Planning use cases on the bureau's own data: where to post the cars."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from precinct.command import rules as command_rules
from precinct.command import services as command
from precinct.core import clock
from precinct.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.geo import rules as geo_rules
from precinct.geo import services as geo
from precinct.jobs import services as jobs

from . import hypercube, posts, roadsim
from . import rules as planning_rules
from .models import PlanningRun

QUEUE_CALLS = 200_000  # simulated calls per fleet in a run's queue check
# running with no progress for this long: its worker died more often than the job engine retries
STALE_RUN = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class PostReport:
    cars: int
    minutes: float
    incidents: int
    days: int
    current_covered: float
    current_mean_minutes: float
    current_posts: int  # distinct posts the cars stand at now
    optimised_covered: float
    optimised_mean_minutes: float
    optimised_posts: list[tuple[float, float]]  # lon, lat
    curve: list[float]  # coverage with the first 1..K optimised posts
    curve_by_shift: dict[str, list[float]]  # the same for the day (08-20) and night incidents
    current_outcome: roadsim.Outcome | None = None  # the period replayed with today's posts
    optimised_outcome: roadsim.Outcome | None = None  # ... and with the optimised ones
    objective: str = "both"  # what the posts were chosen for: cover, street or both
    desk_seconds: float = 60.0  # median from the call to the car rolling, in the period
    street_bands: list[tuple[float | None, int, int]] = field(default_factory=list)
    street_fitted: list[float] = field(default_factory=list)  # rate by band, non-increasing
    recorded_street: float | None = None  # street handling of the period as recorded
    current_street: float | None = None  # expected with today's posts (nearest post, free)
    optimised_street: float | None = None  # ... and with the optimised ones
    queue_check: dict[str, Any] = field(default_factory=dict)  # hypercube vs simulation, per fleet


OBJECTIVES = ("cover", "street", "both")
# where the posts may be: anywhere on the roads, or only among the posts the cars stand at today
# (a what-if with fewer cars: which of today's posts to keep)
SITES = ("any", "current")


def post_plan(
    *,
    bureau_id: uuid.UUID,
    cars: int,
    minutes: float,
    days: int,
    candidates: int,
    now: dt.datetime,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    replay: bool = False,
    night_cars: int | None = None,
    objective: str = "both",
    queue_calls: int = 0,
    sites: str = "any",
) -> PostReport:
    """Compare the cars' current posts with ``cars`` posts chosen for the incidents of the last
    ``days`` days: to cover the most within ``minutes`` on the road (``objective="cover"``), for
    the most street handling expected from how soon a car arrives (``"street"``: the period's
    street handling by minutes to scene, fitted to fall with the minutes), or for the sum of the
    two (``"both"``). With ``queue_calls``, each fleet is also checked as a queue: Larson's
    approximate hypercube model against a simulation of that many calls (docs/adr/0016)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if sites not in SITES:
        raise ValueError(f"sites must be one of {', '.join(SITES)} (got {sites!r})")
    graph = geo.graph_for(bureau_id)
    points = command.incident_points(bureau_id, since=now - dt.timedelta(days=days))
    if not points:
        raise ValueError("no incidents in the period: nothing to plan for")
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    snapped = np.array([s.node for s in geo_rules.snap_many(graph, lon, lat, role="end")])
    nodes, inverse = np.unique(snapped, return_inverse=True)
    weights = np.bincount(inverse, minlength=len(nodes)).astype(float)
    tz = ZoneInfo(settings.TIME_ZONE)
    night = np.array([command_rules.shift_at(p[2].astimezone(tz))[1] == "night" for p in points])
    current = command.car_posts(bureau_id)
    current_nodes = sorted(
        {geo_rules.snap(graph, x, y, role="start").node for _sign, x, y in current}
    )
    rng = np.random.default_rng(seed)
    # candidates: busy demand nodes and a spread of the whole network, plus today's posts
    by_weight = nodes[np.argsort(-weights)][: candidates // 2]
    spread = rng.choice(graph.n_nodes, size=candidates - len(by_weight), replace=False)
    pool = np.unique(np.concatenate([by_weight, spread, np.array(current_nodes, dtype=np.int64)]))
    limit = minutes * 60
    times = posts.times_from_posts(graph, pool, nodes, progress=progress)
    index = {int(n): i for i, n in enumerate(pool)}
    now_rows = [index[n] for n in current_nodes]
    current_covered, current_mean = posts.evaluate(times, weights, now_rows, limit)
    start = now - dt.timedelta(days=days)
    bands = command.street_by_response(bureau_id, start=start, end=now)
    rates = posts.street_rates(bands)
    desk = command.desk_seconds(bureau_id, start=start, end=now) or 60.0
    street = posts.street_worth(times, rates, desk) if rates is not None else None
    worth = {
        "cover": None,
        "street": street,
        "both": None if street is None else (times <= limit) + street,
    }[objective]
    # the rows the posts are chosen from: every candidate, or today's posts only
    rows = list(range(len(pool))) if sites == "any" else now_rows
    sub_worth = None if worth is None else worth[rows]
    picked, curve = posts.optimise(times[rows], weights, cars, limit, worth=sub_worth)
    chosen = [rows[i] for i in picked]
    if worth is not None:  # the coverage curve is the coverage objective's greedy order
        curve = posts.optimise(times[rows], weights, cars, limit, swaps=0)[1]
    best_covered, best_mean = posts.evaluate(times, weights, chosen, limit)
    # the day shift's and the night shift's incidents apart: how many cars each shift needs
    by_shift: dict[str, list[float]] = {}
    for name, mask in (("day", ~night), ("night", night)):
        shift_weights = np.bincount(inverse[mask], minlength=len(nodes)).astype(float)
        if shift_weights.sum() > 0:
            by_shift[name] = posts.optimise(times, shift_weights, cars, limit, swaps=0)[1]
    outcomes: tuple[roadsim.Outcome | None, roadsim.Outcome | None] = (None, None)
    if replay:
        outcomes = _replay(
            graph, bureau_id, now=now, days=days, nodes=nodes, times=times, index=index,
            current=[geo_rules.snap(graph, x, y, role="start").node for _s, x, y in current],
            optimised=[int(pool[i]) for i in chosen], night_cars=night_cars,
            desk=desk, rates=rates,
        )  # fmt: skip
    checks: dict[str, Any] = {}
    if queue_calls:
        history = command.incident_history(bureau_id, start=start, end=now)
        on_scene = [h[4] for h in history if h[4] is not None]
        scene_min = float(np.median(on_scene)) / 60 if on_scene else 25.0
        rate = float(weights.sum()) / (days * 24 * 60)  # police incidents a minute
        signs = [sign for sign, _x, _y in current]
        fleets = {
            "current": (
                [index[geo_rules.snap(graph, x, y, role="start").node] for _s, x, y in current],
                signs,
            ),
            "optimised": (chosen, [f"P{i + 1}" for i in range(len(chosen))]),
        }
        for name, (rows, ids) in fleets.items():
            checks[name] = queue_check(
                times[rows], weights, ids, rate=rate, scene_minutes=scene_min, calls=queue_calls,
                seed=seed,
            )  # fmt: skip
    return PostReport(
        cars=cars,
        minutes=minutes,
        incidents=len(points),
        days=days,
        current_covered=current_covered,
        current_mean_minutes=current_mean,
        current_posts=len(current_nodes),
        optimised_covered=best_covered,
        optimised_mean_minutes=best_mean,
        optimised_posts=[(float(graph.lon[pool[i]]), float(graph.lat[pool[i]])) for i in chosen],
        curve=curve,
        curve_by_shift=by_shift,
        current_outcome=outcomes[0],
        optimised_outcome=outcomes[1],
        objective=objective,
        desk_seconds=desk,
        street_bands=bands,
        street_fitted=[] if rates is None else [float(r) for r in rates[1]],
        recorded_street=(
            sum(b[1] for b in bands) / sum(b[2] for b in bands)
            if sum(b[2] for b in bands)
            else None
        ),
        current_street=(
            posts.evaluate_worth(times, weights, now_rows, street) if street is not None else None
        ),
        optimised_street=(
            posts.evaluate_worth(times, weights, chosen, street) if street is not None else None
        ),
        queue_check=checks,
    )


def queue_check(
    times: np.ndarray,
    weights: np.ndarray,
    ids: list[str],
    *,
    rate: float,
    scene_minutes: float,
    calls: int,
    seed: int = 1,
) -> dict[str, Any]:
    """A fleet as a queue: each car busy for the time on scene plus the drive there and back
    (the demand-weighted mean from the nearest post), districts as atoms
    (:func:`hypercube.districts`); Larson's approximation against a simulation of ``calls``
    calls, side by side. A fleet that cannot keep up (ρ ≥ 1) says so."""
    nearest = np.where(np.isfinite(times), times, hypercube.UNREACHABLE_S).min(axis=0)
    drive = float((nearest * weights).sum() / weights.sum()) / 60
    mu = 1.0 / (scene_minutes + 2 * drive)
    try:
        model = hypercube.read(hypercube.districts(times, weights, ids, rate=rate, mu=mu))
    except hypercube.ModelError as exc:
        return {"error": str(exc), "rho": rate / (mu * len(ids))}
    approx = hypercube.solve(model, "approx" if len(ids) > 12 else "exact")
    from . import simulate  # Numba compiles on import: only a planning run pays for it

    sim = simulate.simulate(model, calls=calls, seed=seed)
    return {
        "rho": model.arrival_rate / model.service_rate,
        "service_minutes": 1 / mu,
        "method": approx.method,
        "units": ids,
        "workload": [approx.workload[u] for u in ids],
        "sim_workload": [sim.workload[u].mean for u in ids],
        "sim_workload_half": [sim.workload[u].half_width for u in ids],
        "p_all_busy": approx.p_all_busy,
        "sim_p_all_busy": sim.p_all_busy.as_dict(),
        "interresponse": approx.interresponse_fraction,
        "sim_interresponse": sim.interresponse_fraction.as_dict(),
        "travel": approx.mean_travel_time,
        "sim_travel": sim.mean_travel_time.as_dict() if sim.mean_travel_time else None,
        "calls": calls,
    }


def cars_needed(curve: list[float], goal: float) -> int | None:
    """The fewest cars whose posts reach ``goal`` of the demand (None: not with these cars)."""
    return next((i + 1 for i, c in enumerate(curve) if c >= goal), None)


def _replay(
    graph: geo_rules.RoadGraph,
    bureau_id: uuid.UUID,
    *,
    now: dt.datetime,
    days: int,
    nodes: np.ndarray,
    times: np.ndarray,
    index: dict[int, int],
    current: list[int],
    optimised: list[int],
    night_cars: int | None = None,
    desk: float = 60.0,
    rates: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[roadsim.Outcome, roadsim.Outcome]:
    """The period's incidents replayed on the road network with each fleet: today's cars at their
    posts, and one car at each optimised post. With ``night_cars``, only that many of each fleet
    are on duty on the night shift (20-08): today's first by call sign, the optimised posts in the
    order the optimiser chose them."""
    start = now - dt.timedelta(days=days)
    history = command.incident_history(bureau_id, start=start, end=now)
    lon = np.array([h[1] for h in history])
    lat = np.array([h[2] for h in history])
    snapped = [s.node for s in geo_rules.snap_many(graph, lon, lat, role="end")]
    column = {int(n): j for j, n in enumerate(nodes)}
    services = [h[4] for h in history if h[4] is not None]
    typical = float(np.median(services)) if services else 1500.0
    calls = [
        roadsim.Call(
            at=(h[0] - start).total_seconds(),
            target=column[node],
            priority=h[3],
            service=h[4] if h[4] is not None else typical,
        )
        for h, node in zip(history, snapped, strict=True)
        if node in column
    ]

    def duty(cars: int) -> np.ndarray | None:
        if night_cars is None:
            return None
        tz = ZoneInfo(settings.TIME_ZONE)
        hours = days * 24 + 2
        night = np.array(
            [
                command_rules.shift_at((start + dt.timedelta(hours=h)).astimezone(tz))[1] == "night"
                for h in range(hours)
            ]
        )
        table = np.ones((cars, hours), dtype=bool)
        table[night_cars:, night] = False
        return table

    return (
        roadsim.run(
            calls, times[[index[n] for n in current]], on_duty=duty(len(current)),
            dispatch_delay=desk, street=rates,
        ),
        roadsim.run(
            calls, times[[index[n] for n in optimised]], on_duty=duty(len(optimised)),
            dispatch_delay=desk, street=rates,
        ),
    )  # fmt: skip


# --- runs on the page -----------------------------------------------------------------------
def _runs(bureau_id: uuid.UUID | None) -> QuerySet[PlanningRun]:
    return (
        PlanningRun.objects.filter(bureau_id=bureau_id) if bureau_id else PlanningRun.objects.none()
    )


def list_runs(scope: Scope, *, limit: int = 20) -> list[PlanningRun]:
    return list(_runs(scope.bureau_id).order_by("-created_at")[:limit])


def get_run(scope: Scope, run_id: uuid.UUID) -> PlanningRun:
    run = _runs(scope.bureau_id).filter(pk=run_id).first()
    if run is None:
        raise NotFound("planning run")
    if run.status == "running" and clock.now() - run.updated_at > STALE_RUN:
        # its process went away (a restart): say so instead of spinning for ever
        PlanningRun.objects.filter(pk=run.pk).update(
            status="failed", message="interrupted (the server restarted)"
        )
        run.refresh_from_db()
    return run


@dataclass(frozen=True)
class Comparison:
    """Finished runs side by side: ``current`` is the newest run's view of today's posts (the
    plan every run was set against), ``runs`` the what-ifs by cars, then minutes, then age."""

    runs: list[PlanningRun]
    current_from: PlanningRun
    rows: list[planning_rules.Row]


def compare_runs(scope: Scope, run_ids: list[uuid.UUID]) -> Comparison:
    """2-4 finished runs of the caller's bureau and the current plan, one column each, with each
    run's own stored figures. A run outside the bureau (or none) is not found; one not finished
    yet is refused by when it started."""
    if not planning_rules.MIN_COMPARED <= len(run_ids) <= planning_rules.MAX_COMPARED:
        raise ValidationFailed(
            [
                FieldError(
                    "runs",
                    _("Choose between %(low)s and %(high)s finished runs to compare."),
                    None,
                    {"low": planning_rules.MIN_COMPARED, "high": planning_rules.MAX_COMPARED},
                )
            ]
        )
    found = {r.pk: r for r in _runs(scope.bureau_id).filter(pk__in=run_ids)}
    if len(found) != len(set(run_ids)):
        raise NotFound("planning run")
    runs = [found[i] for i in dict.fromkeys(run_ids)]
    for run in runs:
        if run.status != "done" or not run.result:
            raise Conflict(
                _("The run started %(started)s has not finished: only finished runs compare."),
                {"started": timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M")},
            )
    runs.sort(key=lambda r: (int(r.params.get("cars", 0)), float(r.params.get("minutes", 0)),
                             r.created_at))  # fmt: skip
    newest = max(runs, key=lambda r: r.created_at)
    assert newest.result is not None
    columns = [planning_rules.current_figures(newest.result)]
    columns += [planning_rules.run_figures(r.result or {}) for r in runs]
    return Comparison(runs=runs, current_from=newest, rows=planning_rules.compare(columns))


def start_post_run(
    scope: Scope,
    *,
    cars: int,
    minutes: float,
    days: int,
    replay: bool,
    by: str,
    objective: str = "both",
    night_cars: int | None = None,
    queue: bool = True,
    sites: str = "any",
) -> PlanningRun:
    """Record a run and queue it as a background job; the page follows its progress."""
    if scope.bureau_id is None:
        raise NotFound("bureau")
    errors = []
    if not 1 <= cars <= 500:
        errors.append(
            FieldError(
                "cars", _("must be between %(low)s and %(high)s"), None, {"low": 1, "high": 500}
            )
        )
    if not 0.5 <= minutes <= 60:
        errors.append(
            FieldError(
                "minutes", _("must be between %(low)s and %(high)s"), None, {"low": 0.5, "high": 60}
            )
        )
    if not 1 <= days <= 3660:
        errors.append(
            FieldError(
                "days", _("must be between %(low)s and %(high)s"), None, {"low": 1, "high": 3660}
            )
        )
    if objective not in OBJECTIVES:
        errors.append(
            FieldError("objective", _("must be one of %(choices)s"), None,
                       {"choices": ", ".join(OBJECTIVES)})
        )  # fmt: skip
    if sites not in SITES:
        errors.append(
            FieldError("sites", _("must be one of %(choices)s"), None,
                       {"choices": ", ".join(SITES)})
        )  # fmt: skip
    elif sites == "current":
        today = len({(x, y) for _s, x, y in command.car_posts(scope.bureau_id)})
        if cars > today:
            errors.append(
                FieldError(
                    "cars", _("at most %(n)s: the posts the cars stand at today"), None,
                    {"n": today},
                )
            )  # fmt: skip
    if night_cars is not None and not 0 <= night_cars <= cars:
        errors.append(
            FieldError(
                "night_cars", _("must be between %(low)s and %(high)s"), None,
                {"low": 0, "high": cars},
            )
        )  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    run = PlanningRun.objects.create(
        bureau_id=scope.bureau_id,
        kind="posts",
        params={
            "cars": cars,
            "minutes": minutes,
            "days": days,
            "replay": replay,
            "objective": objective,
            "night_cars": night_cars,
            "queue": queue,
            "sites": sites,
        },
        created_by=by,
    )
    jobs.start(
        kind="planning.posts",
        key=f"planning:{run.pk}",
        bureau_id=scope.bureau_id,
        params={"run": str(run.pk)},
    )
    return run


def work_run(run_id: uuid.UUID, beat: Callable[[int, int], None] | None = None) -> None:
    """Work out one run (a background job; ``beat`` tells the job engine it is alive)."""

    try:
        run = PlanningRun.objects.get(pk=run_id)
        PlanningRun.objects.filter(pk=run_id).update(status="running", updated_at=clock.now())

        def report(done: int, total: int) -> None:
            PlanningRun.objects.filter(pk=run_id).update(
                progress=0.9 * done / max(total, 1), updated_at=clock.now()
            )
            if beat is not None:
                beat(done, total)

        p = run.params
        plan = post_plan(
            bureau_id=run.bureau_id,
            cars=int(p["cars"]),
            minutes=float(p["minutes"]),
            days=int(p["days"]),
            candidates=400,
            now=clock.now(),
            progress=report,
            replay=bool(p.get("replay")),
            night_cars=p.get("night_cars"),
            objective=p.get("objective", "both"),
            queue_calls=QUEUE_CALLS if p.get("queue") else 0,
            sites=p.get("sites", "any"),
        )
        current = command.car_posts(run.bureau_id)
        result = asdict(plan)
        result["current_post_points"] = sorted({(x, y) for _s, x, y in current})
        PlanningRun.objects.filter(pk=run_id).update(
            status="done", progress=1.0, result=result, updated_at=clock.now()
        )
    except Exception as exc:  # a failed run says why on its page
        PlanningRun.objects.filter(pk=run_id).update(
            status="failed", message=str(exc)[:500], updated_at=clock.now()
        )
