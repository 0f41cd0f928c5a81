"""Schemathesis over the API's own OpenAPI document (/api/v1/openapi.json), in process: every
operation, with positive and with negative generated data, each called with the bearer token of
a role its route rule lets in. A response fails when it is a 5xx, when its status code is not
documented for the operation, or when its content type or body does not match the documented
schema.

The app is Django's WSGI handler: the same URLconf, middleware (tokens, access rules, limits) and
views as the ASGI server, in this thread, so it sees the test's transaction. Each generated case
runs in a savepoint that is rolled back, so cases do not depend on one another. Hypothesis is
derandomized: every run tries the same cases. ``bench/fuzz_api.py`` runs the same harness with
many more cases and prints what it tried.
"""

import contextlib
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from precinct.config.api import api
from precinct.core.scoping import Role
from precinct.identity import rules
from tests.e2e.test_access import USERS  # the demo's login for each role

OPENAPI = "/api/v1/openapi.json"
SEED = 7  # every run tries the same cases (the seed takes precedence over derandomize)
# Cases per operation and mode in `make test`; bench/fuzz_api.py runs many more.
EXAMPLES = 10
# Who calls an operation: the first of these that its route rule lets in. Bureau-wide roles come
# first so that the real records mixed into the cases are all within reach.
PREFERENCE = (
    Role.COMMAND_CENTRE,
    Role.LEGAL_SUPERVISION,
    Role.POLITICAL_DEPT,
    Role.LEADERSHIP,
    Role.UNIT_CHIEF,
    Role.OFFICER,
    Role.AUDITOR,
    Role.SYSADMIN,
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


# --- the operations ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the document: /api/v1/officers/{officer_id}
    path_params: tuple[str, ...]
    negatable: bool  # has a parameter or a body that negative data can break

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def route(self) -> str:
        """The route name the access policy knows it by."""
        sample = self.path
        for name in self.path_params:
            sample = sample.replace("{" + name + "}", str(uuid.UUID(int=1)))
        match = resolve(sample)
        return str(match.view_name)

    @property
    def roles(self) -> frozenset[Role]:
        return rules.POLICY.get(self.route, {}).get(self.method, frozenset())

    @property
    def role(self) -> Role:
        allowed = self.roles
        return next(r for r in PREFERENCE if r in allowed)


def operations(document: dict[str, Any] | None = None) -> list[Operation]:
    """Every operation of the OpenAPI document (by default the one the API serves)."""
    doc = document if document is not None else api.get_openapi_schema()
    out = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    negatable=bool(params) or "requestBody" in op,
                )
            )
    return out


# --- real records for path parameters ------------------------------------------------------------
def _recent_months(n: int = 4) -> list[str]:
    from django.conf import settings

    from precinct.core import clock

    today = clock.today(settings.TIME_ZONE)
    year, month = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def known_ids(username: str, limit: int = 8) -> dict[str, list[str]]:
    """Records the user may reach, by path parameter name: the cases mix them with random ids,
    or nearly every case would end at 404 before the view does any work."""
    from precinct.campaigns import services as campaigns
    from precinct.cases import services as cases
    from precinct.command import services as command
    from precinct.identity import services as identity
    from precinct.org import services as org
    from precinct.supervision import services as supervision

    scope = identity.scope_for_username(username)

    def ids(qs: Any, n: int = limit) -> list[str]:
        return [str(pk) for pk in qs.order_by("pk").values_list("pk", flat=True)[:n]]

    return {
        "officer_id": ids(org.scope_officers(scope)),
        "case_id": ids(cases.scope_cases(scope)),
        "ticket_id": ids(supervision.scope_tickets(scope)),
        "incident_id": ids(command.scope_incidents(scope).exclude(status="closed"))
        + ids(command.scope_incidents(scope), 2),
        "unit_id": ids(command.scope_patrol_units(scope)),
        "campaign_id": ids(campaigns.scope_campaigns(scope)),
        "month": _recent_months(),
    }


# --- running it ------------------------------------------------------------------------------------
@contextlib.contextmanager
def in_process_app() -> Iterator[tuple[WSGIHandler, list[str]]]:
    """Django's WSGI handler for schemathesis to call, and the tracebacks of the requests that
    raised. Connections must stay open between requests: the test's transaction lives on one."""
    tracebacks: list[str] = []

    def raised(sender: Any, request: Any = None, **kwargs: Any) -> None:
        tracebacks.append(traceback.format_exc())

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.got_request_exception.connect(raised)
    try:
        yield WSGIHandler(), tracebacks
    finally:
        signals.got_request_exception.disconnect(raised)
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


_LOADED: list[Any] = []


def load_schema(app: WSGIHandler, token: str) -> Any:
    """The document as the API serves it, over the in-process app: fetched once per process
    (the handler keeps no state between requests, so later tests may call through it too)."""
    if not _LOADED:
        _LOADED.append(
            schemathesis.openapi.from_wsgi(
                OPENAPI, app, headers={"Authorization": f"Bearer {token}"}
            )
        )
    return _LOADED[0]


@dataclass
class Outcome:
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # first line → report
    unsatisfiable: bool = False


def strategy(
    op: Any, mode: GenerationMode, path_params: tuple[str, ...], ids: dict[str, list[str]]
) -> Any:
    """Generated cases; where the path has parameters, three in four name a real record."""
    generated = op.as_strategy(mode)
    choices = [ids.get(name) or [] for name in path_params]
    if not path_params or not all(choices):
        return generated
    if mode == GenerationMode.NEGATIVE and not (
        list(op.query) or list(op.headers) or list(op.body)
    ):
        return generated  # only the path to break: break it
    real = st.one_of(
        [
            op.as_strategy(mode, path_parameters=dict(zip(path_params, values, strict=True)))
            for values in zip(*choices, strict=False)
        ]
    )
    return st.one_of(real, real, real, generated)


def examples_for(target: Operation, examples: int) -> int:
    """An operation without parameters or body gets the same request every time: once will do."""
    return examples if target.negatable else 1


def fuzz(
    schema: Any,
    target: Operation,
    mode: GenerationMode,
    *,
    token: str,
    ids: dict[str, list[str]],
    tracebacks: list[str],
    examples: int,
    on_failure: Callable[[str, str], None] | None = None,
) -> Outcome:
    """Run the cases of one operation in one mode. Without ``on_failure`` the first failing case
    is raised (Hypothesis then shrinks it); with it, every distinct failure is reported there and
    the run goes on."""
    op = schema[target.path][target.method]
    outcome = Outcome()
    headers = {"Authorization": f"Bearer {token}"}

    @seed(SEED)
    @hsettings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy(op, mode, target.path_params, ids))
    def run(case: Any) -> None:
        outcome.cases += 1
        tracebacks.clear()
        sid = transaction.savepoint()
        try:
            response = case.call(headers=headers)
            outcome.statuses[response.status_code] = (
                outcome.statuses.get(response.status_code, 0) + 1
            )
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, BaseExceptionGroup) as exc:
                report = str(exc) + (
                    "\n\nServer traceback:\n" + tracebacks[-1] if tracebacks else ""
                )
                if on_failure is None:
                    raise AssertionError(report) from None
                first = f"{response.status_code} " + next(
                    (ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("- ")),
                    type(exc).__name__,
                )
                if first not in outcome.failures:
                    outcome.failures[first] = report
                    on_failure(first, report)
        finally:
            transaction.savepoint_rollback(sid)

    try:
        run()
    except Unsatisfiable:
        if mode == GenerationMode.POSITIVE:
            raise
        outcome.unsatisfiable = True  # nothing the schema can call invalid (a bare string path)
    return outcome


# --- the tests -------------------------------------------------------------------------------------
OPERATIONS = operations()
RUNS = [
    pytest.param(o, m, id=f"{o.label} [{m.value}]")
    for o in OPERATIONS
    for m in MODES
    if m == GenerationMode.POSITIVE or o.negatable
]


@pytest.fixture
def fuzz_app(settings: Any) -> Iterator[tuple[WSGIHandler, list[str]]]:
    settings.API_RATE_PER_MINUTE = 1_000_000  # the limit itself is tested in test_limits.py
    with in_process_app() as app:
        yield app


def token_for(username: str) -> str:
    from precinct.identity import services as identity

    return identity.create_token(username=username, name="fuzz")[1]


def test_the_served_document_is_the_one_fuzzed(city: Any, fuzz_app: Any) -> None:
    """The cases are parametrized from the API object; the document the API serves must list the
    same operations, each with a role that may call it."""
    app, _tracebacks = fuzz_app
    token = token_for("auditor")
    schema = schemathesis.openapi.from_wsgi(
        OPENAPI, app, headers={"Authorization": f"Bearer {token}"}
    )
    assert {o.label for o in operations(schema.raw_schema)} == {o.label for o in OPERATIONS}
    assert len(OPERATIONS) >= 36
    assert all(o.roles for o in OPERATIONS), "an operation no role may call"


@pytest.mark.parametrize(("target", "mode"), RUNS)
def test_operation_conforms_to_its_schema(
    city: Any, fuzz_app: Any, target: Operation, mode: GenerationMode
) -> None:
    app, tracebacks = fuzz_app
    username = USERS[target.role]
    token = token_for(username)
    outcome = fuzz(
        load_schema(app, token),
        target,
        mode,
        token=token,
        ids=known_ids(username),
        tracebacks=tracebacks,
        examples=examples_for(target, EXAMPLES),
    )
    if outcome.unsatisfiable:
        pytest.skip("no parameter the schema constrains: no invalid input to generate")
    assert outcome.cases >= 1


def test_no_two_schemas_share_a_name() -> None:
    """OpenAPI names a component after its class: two classes of one name, and one operation is
    documented with the other's schema (found by fuzzing GET /units)."""
    import typing

    import pydantic

    seen: dict[str, set[str]] = {}
    walked: set[type] = set()

    def walk(t: Any) -> None:
        for arg in typing.get_args(t):
            walk(arg)
        if isinstance(t, type) and issubclass(t, pydantic.BaseModel) and t not in walked:
            walked.add(t)
            if t.__module__.startswith("precinct."):  # not ninja's wrappers of params and answers
                seen.setdefault(t.__name__, set()).add(f"{t.__module__}.{t.__qualname__}")
            for f in t.model_fields.values():
                walk(f.annotation)

    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for op in view.operations:
                for model in [*(op.response_models or {}).values(), *(op.models or [])]:
                    walk(model)
    assert {n: w for n, w in seen.items() if len(w) > 1} == {}


# Each defect found, replayed as the case that showed it (the fix in brackets), under the same
# checks as above: each failed before its fix. The ping near year 1 or 9999 was found by a probe
# aimed at the edges random data rarely reaches; the others by the fuzzing.
DEFECTS = [
    # merit: offset had no upper bound; past 2**63 the database refused it [le=10_000_000]
    ("GET", "/api/v1/merit/achievements", {"query": {"offset": 2**63}}),
    # command: a ping near year 1 or 9999 overflowed on the way to UTC [1990–2100 validator]
    (
        "POST",
        "/api/v1/patrol-units/{unit_id}/position",
        {"body": {"lon": 130.3, "lat": 47.3, "at": "0001-01-01T00:00:00+14:00"}},
    ),
    (
        "POST",
        "/api/v1/patrol-units/{unit_id}/position",
        {"body": {"lon": 130.3, "lat": 47.3, "at": "9999-12-31T23:59:59-14:00"}},
    ),
    # org and command both named a schema UnitOut: /units was documented as patrol cars, and
    # merit and stats both named one MonthOut: a month's merit results as statistics [renames]
    ("GET", "/api/v1/units", {}),
    ("GET", "/api/v1/merit/months/{month}", {}),
    # refusals were not documented: 422, 404, 400 (NUL, as text), 403 [config/api.py]
    ("GET", "/api/v1/officers", {"query": {"page": 0}}),
    ("GET", "/api/v1/cases/{case_id}", {"path": {"case_id": str(uuid.UUID(int=7))}}),
    ("GET", "/api/v1/cases", {"query": {"state": "a\x00b"}}),
    ("POST", "/api/v1/cases/{case_id}/reviews", {"body": {"summary": "\x00", "items": []}}),
    ("GET", "/api/v1/audit", {"role": Role.LEADERSHIP}),
]


@pytest.mark.parametrize(
    ("method", "path", "given"),
    [pytest.param(*d, id=f"{d[0]} {d[1]} {i}") for i, d in enumerate(DEFECTS)],
)
def test_defects_found_by_fuzzing_stay_fixed(
    city: Any, fuzz_app: Any, method: str, path: str, given: dict[str, Any]
) -> None:
    app, tracebacks = fuzz_app
    target = next(o for o in OPERATIONS if o.method == method and o.path == path)
    role = given.get("role", target.role)
    token = token_for(USERS[role])
    op = load_schema(app, token)[path][method]
    ids = known_ids(USERS[role])
    path_parameters = {n: ids[n][0] for n in target.path_params} | given.get("path", {})
    kwargs: dict[str, Any] = {"path_parameters": path_parameters, "query": given.get("query")}
    if "body" in given:
        kwargs["body"] = given["body"]
        kwargs["media_type"] = "application/json"
    case = op.Case(**kwargs)
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (AssertionError, BaseExceptionGroup) as exc:
        raise AssertionError(str(exc) + "".join(tracebacks[-1:])) from None
