"""`precinct plan hypercube FILE.json [--method exact|approx] [--json]`: Larson's hypercube model
of a patrol fleet."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from django_typer.management import TyperCommand, command, initialize
from rich.console import Console
from rich.table import Table

from ... import hypercube


class Command(TyperCommand):
    help = "Patrol planning: hypercube."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def hypercube(
        self,
        path: Annotated[Path, typer.Argument(help="The model: units, atoms, queue (JSON).")],
        method: Annotated[
            str, typer.Option(help="exact (2^N states, N ≤ 20), approx (Larson 1975) or auto.")
        ] = "auto",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Workloads, the chance that every unit is busy, dispatch fractions, interresponse
        fraction and mean travel time."""
        console = Console(stderr=True, soft_wrap=True)  # a message is one line
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            console.print(f"[red]{path}: no such file")
            raise SystemExit(2) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            console.print(f"[red]{path}: not JSON ({exc})")
            raise SystemExit(2) from None
        if method not in ("exact", "approx", "auto"):
            console.print("[red]--method must be exact, approx or auto")
            raise SystemExit(2)
        started = time.perf_counter()
        try:
            model = hypercube.read(document)
            result = hypercube.solve(model, method)
        except hypercube.ModelError as exc:
            console.print(f"[red]{path}: {exc}")
            raise SystemExit(2) from None
        took = time.perf_counter() - started
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        table = Table(title=f"hypercube ({result.method}, {took * 1000:.0f} ms)")
        table.add_column("unit")
        table.add_column("workload", justify="right")
        for unit, w in result.workload.items():
            table.add_row(unit, f"{w:.4f}")
        Console().print(table)
        self.stdout.write(f"P(all busy) = {result.p_all_busy:.4f}")
        self.stdout.write(f"interresponse fraction = {result.interresponse_fraction:.4f}")
        if result.mean_travel_time is not None:
            self.stdout.write(f"mean travel time = {result.mean_travel_time:.2f} min")

    @command()
    def simulate(
        self,
        path: Annotated[Path, typer.Argument(help="The model: units, atoms, queue (JSON).")],
        calls: Annotated[int, typer.Option(help="Calls to simulate.", min=1000)] = 100_000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        batches: Annotated[int, typer.Option(help="Batches for the intervals.", min=5)] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The same outputs as `hypercube`, estimated by simulation with 95 % intervals."""
        from ...simulate import simulate as run

        console = Console(stderr=True, soft_wrap=True)  # a message is one line
        try:
            model = hypercube.read(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            console.print(f"[red]{path}: no such file")
            raise SystemExit(2) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            console.print(f"[red]{path}: not JSON ({exc})")
            raise SystemExit(2) from None
        except hypercube.ModelError as exc:
            console.print(f"[red]{path}: {exc}")
            raise SystemExit(2) from None
        started = time.perf_counter()
        with console.status(f"simulating {calls:,} calls …"):
            result = run(model, calls=calls, seed=seed, batches=batches)
        took = time.perf_counter() - started
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        table = Table(title=f"simulation ({calls:,} calls, {took:.1f} s, 95 % intervals)")
        table.add_column("unit")
        table.add_column("workload", justify="right")
        table.add_column("95 % interval", justify="right")
        for unit, e in result.workload.items():
            table.add_row(unit, f"{e.mean:.4f}", f"{e.low:.4f} – {e.high:.4f}")
        Console().print(table)
        e = result.p_all_busy
        self.stdout.write(f"P(all busy) = {e.mean:.4f} ({e.low:.4f} – {e.high:.4f})")
        e = result.interresponse_fraction
        self.stdout.write(f"interresponse fraction = {e.mean:.4f} ({e.low:.4f} – {e.high:.4f})")

    @command()
    def posts(
        self,
        cars: Annotated[int, typer.Option(help="Cars to post.", min=1, max=500)] = 48,
        minutes: Annotated[
            float, typer.Option(help="Reach within this many minutes.", min=0.5)
        ] = 5.0,
        days: Annotated[int, typer.Option(help="Incidents of the last N days.", min=1)] = 90,
        candidates: Annotated[int, typer.Option(help="Candidate posts.", min=10, max=5000)] = 400,
        bureau: Annotated[
            str | None, typer.Option(help="Bureau code (default: the first).")
        ] = None,
        replay: Annotated[
            bool, typer.Option("--replay", help="Replay the period's incidents with both fleets.")
        ] = False,
        night_cars: Annotated[
            int | None,
            typer.Option(
                help="With --replay: only this many cars on the night shift (20-08).", min=0
            ),
        ] = None,
        objective: Annotated[
            str,
            typer.Option(
                help="Choose the posts for: cover (within the minutes), street (street handling "
                "expected from how soon a car arrives) or both."
            ),
        ] = "both",
        queue_calls: Annotated[
            int,
            typer.Option(
                help="Check both fleets as queues: Larson's hypercube against a simulation of "
                "this many calls (0: no check).",
                min=0,
            ),
        ] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Standby posts for the cars that cover the most incidents within the minutes (and
        handle the most on the street), against the posts they stand at now."""
        from dataclasses import asdict

        from rich.progress import Progress

        from precinct.core import clock
        from precinct.org import services as org

        from ... import services

        console = Console(stderr=True, soft_wrap=True)
        found = org.bureau_id_by_code(bureau) if bureau else getattr(org.first_bureau(), "pk", None)
        if found is None:
            console.print("[red]no such bureau")
            raise SystemExit(2)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("travel times from candidate posts", total=candidates)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                plan = services.post_plan(
                    bureau_id=found, cars=cars, minutes=minutes, days=days,
                    candidates=candidates, now=clock.now(), progress=report, replay=replay,
                    night_cars=night_cars, objective=objective, queue_calls=queue_calls,
                )  # fmt: skip
            except ValueError as exc:
                console.print(f"[red]{exc}")
                raise SystemExit(2) from None
        if as_json:
            self.stdout.write(json.dumps(asdict(plan), ensure_ascii=False))
            return
        self.stdout.write(
            f"{plan.incidents:,} incidents of the last {plan.days} days; {plan.cars} cars; "
            f"reach within {plan.minutes:g} min"
        )
        self.stdout.write(
            f"now ({plan.current_posts} posts): {plan.current_covered:.1%} covered, "
            f"mean {plan.current_mean_minutes:.1f} min from the nearest post"
        )
        self.stdout.write(
            f"optimised: {plan.optimised_covered:.1%} covered, "
            f"mean {plan.optimised_mean_minutes:.1f} min"
        )
        for label, o in (("now", plan.current_outcome), ("optimised", plan.optimised_outcome)):
            if o is not None:
                self.stdout.write(
                    f"  replayed {label}: on scene p50 {o.response_p50 / 60:.1f} min, p90 "
                    f"{o.response_p90 / 60:.1f} min, within 5 min {o.within_5:.1%}, within 10 min "
                    f"{o.within_10:.1%}; {o.waited:,} of {o.calls:,} calls waited for a car"
                )
        if plan.current_street is not None and plan.optimised_street is not None:
            recorded = f" (recorded {plan.recorded_street:.1%})" if plan.recorded_street else ""
            self.stdout.write(
                f"street handling expected: now {plan.current_street:.1%}, optimised "
                f"{plan.optimised_street:.1%}{recorded}; posts chosen for {plan.objective}"
            )
        for label, o in (("now", plan.current_outcome), ("optimised", plan.optimised_outcome)):
            if o is not None and o.street is not None:
                self.stdout.write(f"  replayed {label}: street handling expected {o.street:.1%}")
        for label, q in plan.queue_check.items():
            if "error" in q:
                self.stdout.write(f"queue {label}: {q['error']}")
                continue
            busy = q["sim_p_all_busy"]["ci95"]
            inter = q["sim_interresponse"]["ci95"]
            self.stdout.write(
                f"queue {label} (ρ {q['rho']:.2f}, {q['service_minutes']:.1f} min a call): "
                f"all busy {q['p_all_busy']:.4f} (simulated {busy[0]:.4f}–{busy[1]:.4f}), "
                f"not the district's car {q['interresponse']:.3f} (simulated "
                f"{inter[0]:.3f}–{inter[1]:.3f}), largest workload gap hypercube–simulation "
                f"{max(abs(a - b) for a, b in zip(q['workload'], q['sim_workload'], strict=True)):.3f}"
            )
        for goal in (0.7, 0.8, 0.9):
            parts = [f"all day {_need(plan.curve, goal, plan.cars)}"] + [
                f"{shift} shift {_need(curve, goal, plan.cars)}"
                for shift, curve in plan.curve_by_shift.items()
            ]
            self.stdout.write(f"  cars needed to cover {goal:.0%}: " + ", ".join(parts))


def _need(curve: list[float], goal: float, cars: int) -> str:
    from ... import services

    need = services.cars_needed(curve, goal)
    return str(need) if need else f"more than {cars}"
