"""A busy evening for locust (run by bench/load.py, which makes the accounts and writes the plan).

Dispatchers (command centre, 50): keep the live board fresh by polling its JSON (the page itself
listens to server-sent events; a poll is the heavier of the two), look at the open incidents and
the cars, check recommendations for incidents on the board, and take the 110 calls: intake ->
recommendations -> dispatch of the first car, timed together as "dispatch: intake to car sent".
Calls arrive as a Poisson process at the plan's rate (three times the demo city's busiest hour),
shared evenly among the dispatchers. A dispatched incident is closed a few minutes later.

Officers (500): browse their pages: home, their own record, their cases, the month's merit
results and their own line of it, findings, campaigns; a page every 15-45 s.

Every user has an API token of its own (the rate limits count per client). The plan is the JSON
file named by PRECINCT_LOAD_PLAN; every request is also written to PRECINCT_LOAD_LOG (one line
each: name, milliseconds, ok) for exact percentiles.
"""

import itertools
import json
import os
import random
import time
import uuid
from typing import Any

from locust import FastHttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(open(os.environ["PRECINCT_LOAD_PLAN"]).read())  # noqa: SIM115
_command_tokens = itertools.cycle(PLAN["command_tokens"])
_officers = itertools.cycle(PLAN["officers"])
_rng = random.Random(PLAN.get("seed", 8))
_log: list[tuple[float, str, float, bool]] = []
_spawned: list[float] = []

CATEGORIES = ["criminal", "public_order", "traffic", "dispute", "help", "non_police"]
DISPATCH_FLOW = "dispatch: intake to car sent"


@events.request.add_listener
def _remember(name: str, response_time: float, exception: Any, **kwargs: Any) -> None:
    _log.append((time.time(), name, response_time, exception is None))


@events.spawning_complete.add_listener
def _all_spawned(user_count: int, **kwargs: Any) -> None:
    _spawned.append(time.time())


@events.quitting.add_listener
def _dump(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("PRECINCT_LOAD_LOG")
    if path:
        with open(path, "w") as f:
            f.write(json.dumps({"spawned_at": _spawned[0] if _spawned else None}) + "\n")
            for at, name, ms, ok in _log:
                f.write(json.dumps([round(at, 3), name, round(ms, 2), ok]) + "\n")


class Dispatcher(FastHttpUser):
    fixed_count = PLAN["dispatchers"]
    wait_time = between(3, 7)  # the board refreshed about every 5 s

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next(_command_tokens)}"}
        self.mean_gap = 3600.0 * PLAN["dispatchers"] / PLAN["calls_per_hour"]
        self.next_call = time.monotonic() + _rng.expovariate(1 / self.mean_gap)
        self.to_close: list[tuple[float, str]] = []
        self.open_ids: list[str] = []

    def _calls(self) -> None:
        now = time.monotonic()
        while self.next_call <= now:
            self.next_call += _rng.expovariate(1 / self.mean_gap)
            self._take_call()
        for due, incident in [c for c in self.to_close if c[0] <= now]:
            self.to_close.remove((due, incident))
            self.client.post(f"/api/v1/incidents/{incident}/close", json={"disposition": "station"},
                             headers=self.headers, name="POST close incident")  # fmt: skip

    def _take_call(self) -> None:
        started = time.perf_counter()
        body = {
            "category": _rng.choice(CATEGORIES),
            "priority": _rng.choice([1, 2, 2, 3, 3]),
            "lat": round(47.3499 + _rng.uniform(-0.03, 0.03), 6),
            "lon": round(130.2977 + _rng.uniform(-0.04, 0.04), 6),
            "address": f"负载测试路{_rng.randrange(1000)}号",
            "summary": "load test call",
        }
        key = str(uuid.uuid4())
        with self.client.post("/api/v1/incidents", json=body, name="POST intake",
                              headers={**self.headers, "Idempotency-Key": key},
                              catch_response=True) as r:  # fmt: skip
            if r.status_code != 201:
                r.failure(f"intake {r.status_code}")
                return
            incident = r.json()["id"]
        ranked = self.client.get(f"/api/v1/incidents/{incident}/recommendations",
                                 headers=self.headers, name="GET recommendations")  # fmt: skip
        cars = ranked.json() if ranked.status_code == 200 else []
        sent = False
        for car in cars[:3]:  # another dispatcher may take the first car at the same moment
            with self.client.post(
                f"/api/v1/incidents/{incident}/dispatch", name="POST dispatch",
                json={"unit_id": car["unit_id"], "reason": "" if car["rank"] == 1 else "closer car taken"},
                headers=self.headers, catch_response=True,
            ) as r:  # fmt: skip
                if r.status_code == 201:
                    sent = True
                    break
                if r.status_code == 409:
                    r.success()  # the car was taken: try the next one, as a dispatcher would
                    continue
                r.failure(f"dispatch {r.status_code}")
                break
        events.request.fire(
            request_type="FLOW", name=DISPATCH_FLOW,
            response_time=(time.perf_counter() - started) * 1000, response_length=0,
            exception=None if sent else RuntimeError("no car sent"), context={},
        )  # fmt: skip
        if sent:
            self.to_close.append((time.monotonic() + _rng.uniform(120, 480), incident))

    @task(6)
    def board(self) -> None:
        self._calls()
        self.client.get("/command/board.json", headers=self.headers, name="GET board.json")

    @task(2)
    def open_incidents(self) -> None:
        self._calls()
        r = self.client.get("/api/v1/incidents?open=true&limit=50", headers=self.headers,
                            name="GET open incidents")  # fmt: skip
        if r.status_code == 200:
            self.open_ids = [i["id"] for i in r.json()]

    @task(1)
    def cars(self) -> None:
        self._calls()
        self.client.get("/api/v1/patrol-units", headers=self.headers, name="GET patrol units")

    @task(1)
    def check_recommendation(self) -> None:
        self._calls()
        if self.open_ids:
            incident = _rng.choice(self.open_ids)
            self.client.get(f"/api/v1/incidents/{incident}/recommendations",
                            headers=self.headers, name="GET recommendations")  # fmt: skip


class Officer(FastHttpUser):
    fixed_count = PLAN["officer_users"]
    wait_time = between(15, 45)

    def on_start(self) -> None:
        me = next(_officers)
        self.headers = {"Authorization": f"Bearer {me['token']}"}
        self.officer_id = me["officer_id"]

    def _page(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.headers, name=name)

    @task(3)
    def home(self) -> None:
        self._page("/", "page: home")

    @task(3)
    def own_record(self) -> None:
        self._page("/me/", "page: own record (/me/ -> officer)")

    @task(2)
    def cases(self) -> None:
        self._page("/supervision/cases/", "page: cases")

    @task(2)
    def merit_month(self) -> None:
        self._page("/merit/", "page: merit month")

    @task(2)
    def own_month(self) -> None:
        self._page(f"/merit/months/{PLAN['month']}/officers/{self.officer_id}/",
                   "page: own merit line")  # fmt: skip

    @task(1)
    def findings(self) -> None:
        self._page("/supervision/findings/", "page: findings")

    @task(1)
    def campaigns(self) -> None:
        self._page("/campaigns/", "page: campaigns")
