"""Bodies too large are refused before they are read (413); sign-in attempts and API calls over
their rate are refused with 429 and Retry-After, and a new minute lets them in again."""

import json

from django.test import Client, override_settings


def test_a_body_over_the_limit_is_413_and_nothing_is_written(city) -> None:
    from precinct.command.models import Incident

    c = city.client("command")
    before = Incident.objects.count()
    body = json.dumps({"summary": "x" * (1024 * 1024 + 10)})
    r = c.post("/api/v1/incidents", body, content_type="application/json",
               headers={"Idempotency-Key": "too-big-1"})  # fmt: skip
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    assert Incident.objects.count() == before
    ok = c.post("/api/v1/incidents", json.dumps({"summary": "x"}),
                content_type="application/json", headers={"Idempotency-Key": "small-1"})  # fmt: skip
    assert ok.status_code == 422  # small enough to be read, and then refused for its fields


@override_settings(LOGIN_RATE_PER_MINUTE=5)
def test_sign_in_attempts_over_the_rate_get_429(city, monkeypatch) -> None:
    from precinct.web import middleware

    monkeypatch.setattr(middleware, "_now", lambda: 600_000.0)  # one fixed minute
    c = Client()
    # a different name each time: the per-account lockout (axes, 429 too) stays out of it
    codes = [c.post("/login/", {"username": f"nobody{i}", "password": "wrong"}).status_code
             for i in range(7)]  # fmt: skip
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    refused = c.post("/login/", {"username": "nobody7", "password": "wrong"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 60
    other = Client(REMOTE_ADDR="10.1.2.3")  # another workstation is not held back
    assert other.post("/login/", {"username": "nobody8", "password": "wrong"}).status_code == 200
    monkeypatch.setattr(middleware, "_now", lambda: 600_060.0)  # the next minute
    assert c.post("/login/", {"username": "nobody9", "password": "wrong"}).status_code == 200


@override_settings(API_RATE_PER_MINUTE=10)
def test_api_calls_over_the_rate_get_429_per_client(city) -> None:
    leader = city.client("leader")
    codes = [leader.get("/api/v1/me").status_code for _ in range(12)]
    assert codes.count(200) == 10 and codes[-1] == 429
    assert city.client("legal").get("/api/v1/me").status_code == 200  # another session
    assert leader.get("/").status_code == 200  # pages are not the API


PAGE_SIZE_PARAMS = {"limit", "page_size"}
# a caller who may read each list (the operation's path, without the /api/v1 prefix)
READERS = {"/audit": "auditor", "/incidents": "command", "/stats/monthly": "leader"}


def test_every_page_size_has_a_maximum_and_one_more_is_422(city) -> None:
    """Every list operation in the OpenAPI document bounds its page size; asking for one more
    than the maximum is refused with 422 naming the parameter, the maximum itself is served."""
    schema = city.client("leader").get("/api/v1/openapi.json").json()
    checked = []
    for path, ops in schema["paths"].items():
        get = ops.get("get")
        if get is None or "{" in path:
            continue
        for p in get.get("parameters", []):
            if p["in"] != "query" or p["name"] not in PAGE_SIZE_PARAMS:
                continue
            maximum = p["schema"].get("maximum")
            assert maximum is not None, f"{path}: {p['name']} has no maximum"
            short = path.removeprefix("/api/v1")
            c = city.client(READERS.get(short, "leader"))
            over = c.get(f"{path}?{p['name']}={maximum + 1}")
            assert over.status_code == 422, (path, over.status_code)
            assert p["name"] in json.dumps(over.json()), over.json()
            assert c.get(f"{path}?{p['name']}={maximum}").status_code == 200, path
            checked.append(path)
    assert len(checked) >= 9, checked  # audit, officers, secondments, cases, findings, …
