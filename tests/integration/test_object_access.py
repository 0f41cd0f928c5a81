"""Object-level access and field leakage, probed over the JSON API with bearer tokens.

1. Object probes. For every path parameter of every operation in the OpenAPI document, a caller
   scoped to one station who puts in the id of another unit's record gets 404: the same answer,
   word for word, as for an id that does not exist, so not even existence leaks. A record of his
   own gets an answer other than 404, which shows the probe reached the lookup. The caller is the
   station's unit chief, or for the operations only crews' terminals may call, an officer.
   Operations neither may call are refused by role (403) before any lookup: probed for the same
   answer whatever the id. A path parameter with no probe fails the suite.
2. Lists. No answer gives a station-scoped caller an item from outside his scope.
3. Fields, as a matrix of role × operation: every answer is scanned for secrets (password
   hashes, token digests and tokens, the signing and sealing keys, fields named like secrets),
   and for callers' telephone numbers and citizens' identity numbers in full where the role sees
   them masked.
"""

import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from precinct.core.scoping import Role, Scope

from .test_api_fuzz import OPERATIONS, USERS, Operation, token_for

API = "/api/v1"


# --- records in and out of a caller's scope, by path parameter ----------------------------------
@dataclass(frozen=True)
class Records:
    """The records a path parameter names: all of the bureau's, and those a scope reaches."""

    everyone: Callable[[uuid.UUID], Any]  # bureau id → queryset
    reachable: Callable[[Scope], Any]  # scope → queryset


def _records() -> dict[str, Records]:
    from precinct.campaigns import services as campaigns
    from precinct.campaigns.models import Campaign
    from precinct.cases import services as cases
    from precinct.cases.models import Case
    from precinct.command import services as command
    from precinct.command.models import Incident, PatrolUnit
    from precinct.org import services as org
    from precinct.org.models import Officer
    from precinct.supervision import services as supervision
    from precinct.supervision.models import Ticket

    return {
        "officer_id": Records(lambda b: Officer.objects.filter(bureau_id=b), org.scope_officers),
        "case_id": Records(lambda b: Case.objects.filter(bureau_id=b), cases.scope_cases),
        "ticket_id": Records(
            lambda b: Ticket.objects.filter(bureau_id=b), supervision.scope_tickets
        ),
        "incident_id": Records(
            lambda b: Incident.objects.filter(bureau_id=b), command.scope_incidents
        ),
        "unit_id": Records(  # in a path, only patrol units so far
            lambda b: PatrolUnit.objects.filter(bureau_id=b), command.scope_patrol_units
        ),
        "campaign_id": Records(
            lambda b: Campaign.objects.filter(bureau_id=b), campaigns.scope_campaigns
        ),
    }


# Path parameters that name no record of a unit: what they select is scoped by the caller.
NOT_RECORDS = {
    "month": "a calendar month; the answer lists only officers in scope (checked with the lists)",
}


def _in_scope(param: str, scope: Scope) -> str | None:
    pk = _records()[param].reachable(scope).order_by("pk").values_list("pk", flat=True).first()
    return str(pk) if pk else None


def _given(param: str, scope: Scope) -> str | None:
    """An officer's own case, made his for this test when he leads none: the demo city gives the
    officer's account one case, and some runs on two workers found it gone before this test
    (it was skipped, checking nothing). An officer's incident: one his car was sent to, after a
    seat in that car is given to him."""
    from precinct.cases.models import Case
    from precinct.command.models import Dispatch

    if not scope.self_only or scope.officer_id is None:
        return None
    if param == "incident_id":  # a seat in a car that was sent to an incident: that incident
        sent = Dispatch.objects.filter(bureau_id=scope.bureau_id).order_by("pk").first()
        if sent is None:
            return None
        sent.patrol_unit.crew.add(scope.officer_id)
        return str(sent.incident_id)
    if param != "case_id":
        return None
    case = Case.objects.filter(bureau_id=scope.bureau_id).order_by("pk").first()
    if case is None:
        return None
    case.lead_officer_id = scope.officer_id
    case.save(update_fields=["lead_officer"])
    return str(case.pk)


def _out_of_scope(param: str, scope: Scope, bureau_id: uuid.UUID) -> str | None:
    r = _records()[param]
    pk = (
        r.everyone(bureau_id)
        .exclude(pk__in=r.reachable(scope).values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return str(pk) if pk else None


# --- requests --------------------------------------------------------------------------------------
@functools.cache
def _document() -> dict[str, Any]:
    """The OpenAPI document (0.1 s to build, and the same for every test)."""
    from precinct.config.api import api

    return dict(api.get_openapi_schema())


def minimal(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """The smallest value the schema accepts: required properties only, the first of an enum."""
    if "$ref" in schema:
        return minimal(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], doc)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return minimal(options[0], doc) if options else None
    if "allOf" in schema:
        return minimal(schema["allOf"][0], doc)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {k: minimal(v, doc) for k, v in props.items() if k in required}
    if kind == "array":
        return [minimal(schema.get("items", {}), doc) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), min(1, int(schema.get("maximum", 1))))
    if kind == "number":
        low, high = schema.get("minimum", 0), schema.get("maximum", 0)
        return max(low, min(0, high))
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=1))
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T09:00:00+08:00"
    return "x" * max(1, schema.get("minLength", 1))


# Bodies where the smallest one would be refused before the record is looked up (so every id
# would get the same 422 and the probe could not tell): a valid value instead.
BODIES = {
    ("POST", "/api/v1/supervision/tickets/{ticket_id}/move"): {"to_state": "rectifying"},
    ("POST", "/api/v1/patrol-units/{unit_id}/position"): {"lon": 130.3, "lat": 47.33},
}


# Required query parameters the smallest string would not satisfy.
QUERIES = {("GET", "/api/v1/stats/monthly"): {"from": "2026-01", "to": "2026-06"}}


def _body(op: Operation, doc: dict[str, Any]) -> Any:
    if (op.method, op.path) in BODIES:
        return BODIES[(op.method, op.path)]
    spec = doc["paths"][op.path][op.method.lower()].get("requestBody")
    if spec is None:
        return None
    return minimal(spec["content"]["application/json"]["schema"], doc)


def call(
    op: Operation, token: str, doc: dict[str, Any], path_values: dict[str, str]
) -> tuple[int, bytes]:
    """Call the operation with the smallest valid input, in a savepoint rolled back after."""
    path = op.path
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", value)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    query = dict(QUERIES.get((op.method, op.path), {}))
    for p in doc["paths"][op.path][op.method.lower()].get("parameters", []):
        if p["in"] == "header" and p.get("required"):
            headers["HTTP_" + p["name"].upper().replace("-", "_")] = f"probe-{uuid.uuid4()}"
        if p["in"] == "query" and p.get("required") and p["name"] not in query:
            query[p["name"]] = minimal(p["schema"], doc)
    if query:
        path += "?" + urlencode(query)
    body = _body(op, doc)
    sid = transaction.savepoint()
    try:
        response = Client().generic(
            op.method,
            path,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            **headers,
        )
    finally:
        transaction.savepoint_rollback(sid)
    return response.status_code, response.content


def _api_settings(settings: Any) -> None:
    settings.API_RATE_PER_MINUTE = 1_000_000


# --- 1. object probes ------------------------------------------------------------------------------
PROBES = [
    pytest.param(op, name, id=f"{op.label} {{{name}}}")
    for op in OPERATIONS
    for name in op.path_params
    if name not in NOT_RECORDS
]
SCOPED_ROLES = (Role.UNIT_CHIEF, Role.OFFICER)


def test_every_path_parameter_has_a_probe() -> None:
    """A new operation with a path parameter is probed by name; a new name needs its records."""
    unprobed = [
        f"{op.label} {{{name}}}"
        for op in OPERATIONS
        for name in op.path_params
        if name not in _records() and name not in NOT_RECORDS
    ]
    assert unprobed == []
    assert len(PROBES) >= 13


@pytest.mark.parametrize(("op", "param"), PROBES)
def test_another_units_record_is_not_found(
    city: Any, settings: Any, op: Operation, param: str
) -> None:
    _api_settings(settings)
    from precinct.command.models import PatrolUnit
    from precinct.identity.models import AuditEntry

    doc = _document()
    role = next((r for r in SCOPED_ROLES if r in op.roles), None)
    username = USERS[role or Role.UNIT_CHIEF]
    if username == "officer":  # give the demo officer a seat in a car: his terminal's record
        car = PatrolUnit.objects.order_by("call_sign").first()
        assert car is not None
        car.crew.add(city.user("officer").officer)
    scope = city.scope(username)
    token = token_for(username)
    # any other path parameter names the caller's own record: only this one is out of scope
    others = {n: _in_scope(n, scope) or str(uuid.UUID(int=1)) for n in op.path_params}

    foreign = _out_of_scope(param, scope, city.bureau_id)
    assert foreign, f"the demo city has no {param} outside {username}'s scope"
    missing = str(uuid.uuid4())
    audited = AuditEntry.objects.count()
    status, body = call(op, token, doc, {**others, param: foreign})
    status_missing, body_missing = call(op, token, doc, {**others, param: missing})
    assert AuditEntry.objects.count() == audited, "a refused write left a trace"

    if role is None:  # refused by role before any lookup: the same for every id
        assert (status, status_missing) == (403, 403), (status, body)
        assert body == body_missing
        return
    assert status == 404, (status, body)
    assert (status_missing, body_missing) == (404, body), "another unit's record looks different"
    own = _in_scope(param, scope)
    if own is not None:  # the control: the same call on the caller's own record gets through
        status_own, body_own = call(op, token, doc, {**others, param: own})
        assert status_own != 404 and status_own < 500, (status_own, body_own)


# --- 2. lists ----------------------------------------------------------------------------------------
def _listed(answer: Any) -> list[dict[str, Any]]:
    """The records an answer lists: the answer itself, or its ``items`` or ``officers``."""
    if isinstance(answer, list):
        return [a for a in answer if isinstance(a, dict)]
    if isinstance(answer, dict):
        for key in ("items", "officers"):
            if isinstance(answer.get(key), list):
                return [a for a in answer[key] if isinstance(a, dict)]
    return []


@functools.cache
def _foreign_ids(scope: Scope, bureau_id: uuid.UUID) -> dict[str, str]:
    """Every record of the bureau outside the scope, id → what it is (the demo city's records,
    the same in every test that does not write; a reloaded city has another bureau id)."""
    from precinct.campaigns import services as campaigns
    from precinct.campaigns.models import ChecklistItem
    from precinct.merit import services as merit
    from precinct.merit.models import Achievement
    from precinct.org import services as org
    from precinct.org.models import Secondment, Unit
    from precinct.supervision import services as supervision
    from precinct.supervision.models import Finding

    kinds: dict[str, Records] = {
        **_records(),
        "finding": Records(
            lambda b: Finding.objects.filter(bureau_id=b), supervision.scope_findings
        ),
        "checklist item": Records(
            lambda b: ChecklistItem.objects.filter(bureau_id=b), campaigns.scope_items
        ),
        "secondment": Records(
            lambda b: Secondment.objects.filter(bureau_id=b), org.scope_secondments
        ),
        "achievement": Records(
            lambda b: Achievement.objects.filter(bureau_id=b), merit.scope_achievements
        ),
        "unit": Records(lambda b: Unit.objects.filter(bureau_id=b), org.scope_units),
    }
    out: dict[str, str] = {}
    for kind, r in kinds.items():
        outside = r.everyone(bureau_id).exclude(pk__in=r.reachable(scope).values("pk"))
        out.update({str(pk): kind for pk in outside.values_list("pk", flat=True)})
    return out


LISTS = [
    pytest.param(op, role, id=f"{op.label} as {role.value}")
    for op in OPERATIONS
    if op.method == "GET"
    for role in SCOPED_ROLES
    if role in op.roles
]


@pytest.mark.parametrize(("op", "role"), LISTS)
def test_lists_hold_nothing_from_other_units(
    city: Any, settings: Any, op: Operation, role: Role
) -> None:
    _api_settings(settings)
    username = USERS[role]
    scope = city.scope(username)
    values = {
        n: _in_scope(n, scope) or _given(n, scope) for n in op.path_params if n not in NOT_RECORDS
    }
    assert None not in values.values(), f"{username} has no record for {op.path}"
    values.update({n: f"{city.today:%Y-%m}" for n in op.path_params if n in NOT_RECORDS})
    status, body = call(op, token_for(username), _document(), values)  # type: ignore[arg-type]
    assert status == 200, (status, body)
    foreign = _foreign_ids(scope, city.bureau_id)
    leaked = [
        (foreign[str(item.get("id", item.get("officer")))], item)
        for item in _listed(json.loads(body))
        if str(item.get("id", item.get("officer"))) in foreign
    ]
    assert leaked == []


# --- 3. fields: the role × operation matrix ---------------------------------------------------------
# Who sees these in full; every other role sees them masked (138****5678, 2304**********1234).
FULL_PHONE = frozenset({Role.COMMAND_CENTRE})  # command.services.shows_full_phone
FULL_IDENTITY_NUMBER = frozenset({Role.LEGAL_SUPERVISION})  # supervision.api.case_detail
# Keys no answer may have, and values no answer may hold.
SECRET_KEY_NAMES = re.compile(r"password|secret|^token$|api_?key|^otp|recovery", re.IGNORECASE)
SECRET_PATTERNS = re.compile(r"\$argon2|pbkdf2_sha256\$|bcrypt\$|pct_[A-Za-z0-9_-]{20,}")
PHONE = re.compile(r"\+?\d[\d\- ]{5,}\d")
IDENTITY_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
MATRIX = [
    pytest.param(role, op, id=f"{role.value} × {op.label}") for role in Role for op in OPERATIONS
]


def test_the_matrix_names_each_roles_view_of_numbers() -> None:
    from precinct.command import services as command

    assert {r for r in Role if command.shows_full_phone(Scope(None, r, None))} == FULL_PHONE
    assert len(MATRIX) == len(Role) * len(OPERATIONS)


def _digits(text: str) -> str:
    d = re.sub(r"\D", "", text)
    return d[2:] if len(d) == 13 and d.startswith("86") else d


_PHONES: set[str] = set()


def _phones() -> set[str]:
    """Every caller's number on record, as digits (read through the model: sealed at rest)."""
    from precinct.command.models import Incident

    if not _PHONES:
        for i in Incident.objects.exclude(caller_phone="").only("pk", "caller_phone"):
            _PHONES.add(_digits(i.caller_phone))
    return _PHONES


def _secrets() -> set[str]:
    """Stored secrets (fields named like secrets, in every model) and the keys in the settings."""
    import base64

    from django.apps import apps

    out = {settings.SECRET_KEY}
    for name in ("AUDIT_KEY", "BACKUP_KEY"):
        key = getattr(settings, name, None)
        if isinstance(key, bytes | str) and key:
            out.add(key if isinstance(key, str) else key.hex())
    for key in getattr(settings, "FIELD_KEYS", ()) or ():
        if isinstance(key, bytes):
            out |= {
                key.hex(),
                base64.b64encode(key).decode(),
                base64.urlsafe_b64encode(key).decode(),
            }
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.name in {"password", "digest", "secret"} and f.get_internal_type() in {
                "CharField",
                "TextField",
            }:
                values = model._default_manager.exclude(**{f.name: ""}).values_list(
                    f.name, flat=True
                )
                out |= {v for v in values if isinstance(v, str) and len(v) >= 16}
    return out


@dataclass
class Seen:
    """What one answer showed."""

    keys: list[str]
    secrets: list[str]
    phones: list[str]
    identity_numbers: list[str]


def scan(body: bytes, *, secrets: set[str], phones: set[str], numbers: set[str]) -> Seen:
    text = body.decode("utf-8", "replace")
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)  # one spelling of every string
        answer = json.loads(text)
    except ValueError:
        answer = None
    keys: list[str] = []

    def walk(value: Any, recorded: bool = False) -> None:
        # an audit entry's ``detail`` names the fields a write changed: "password" there says
        # that a password changed (its value a keyed fingerprint, never the hash: the values
        # are still checked against SECRET_PATTERNS and the keys below)
        if isinstance(value, dict):
            if not recorded:
                keys.extend(k for k in value if SECRET_KEY_NAMES.search(k))
            for k, v in value.items():
                walk(v, recorded or k == "detail")
        elif isinstance(value, list):
            for v in value:
                walk(v, recorded)

    walk(answer)
    return Seen(
        keys=keys,
        secrets=[s[:8] + "…" for s in secrets if s in text] + SECRET_PATTERNS.findall(text),
        phones=sorted({m for m in PHONE.findall(text) if _digits(m) in phones}),
        identity_numbers=sorted({m for m in IDENTITY_NUMBER.findall(text) if m.upper() in numbers}),
    )


IDENTITY = "230402198001011234"  # put on the cases the matrix reads (the demo city has none)
CALLER = "13904681234"  # an intake made before the matrix is read (its audit entry too)


def _prepare(city: Any, scope: Scope) -> None:
    """A caller's number through intake, and an identity number on the case the role reads."""
    from precinct.cases import services as cases
    from precinct.cases.models import Case

    client = Client()
    answer = client.post(
        f"{API}/incidents",
        data=json.dumps({"category": "help", "priority": 2, "lat": 47.33, "lon": 130.3,
                         "address": "向阳区", "summary": "求助", "caller_phone": CALLER}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for('command')}",
        HTTP_IDEMPOTENCY_KEY=f"matrix-{uuid.uuid4()}",
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    pk = _in_scope("case_id", scope) or _out_of_scope("case_id", scope, city.bureau_id)
    assert pk is not None
    case = Case.objects.get(pk=pk)
    cases.upsert_person(case=case, key="matrix", name="测试", id_number=IDENTITY)


def _path_values(
    op: Operation, scope: Scope, bureau_id: uuid.UUID, today: dt.date
) -> dict[str, str]:
    """A record the role may reach for each path parameter, else any of the bureau's."""
    values = {}
    for name in op.path_params:
        if name in NOT_RECORDS:
            values[name] = f"{today:%Y-%m}"
        else:
            values[name] = _in_scope(name, scope) or _out_of_scope(name, scope, bureau_id) or ""
    return values


@pytest.mark.parametrize(("role", "op"), MATRIX)
def test_no_answer_shows_what_the_role_may_not_see(
    city: Any, settings: Any, role: Role, op: Operation
) -> None:
    _api_settings(settings)
    username = USERS[role]
    scope = city.scope(username)
    _prepare(city, scope)
    token = token_for(username)
    status, body = call(op, token, _document(), _path_values(op, scope, city.bureau_id, city.today))
    seen = scan(
        body,
        secrets=_secrets() | {token},
        phones=_phones() | {CALLER},
        numbers={IDENTITY},
    )
    assert seen.keys == [], f"{status}: secret-like fields {seen.keys}"
    assert seen.secrets == [], f"{status}: secrets in the answer {seen.secrets}"
    if role not in FULL_PHONE:
        assert seen.phones == [], f"{status}: callers' numbers in full {seen.phones}"
    if role not in FULL_IDENTITY_NUMBER:
        assert seen.identity_numbers == [], f"{status}: identity numbers {seen.identity_numbers}"


@pytest.mark.parametrize(
    ("role", "path", "full", "masked"),
    [
        (Role.COMMAND_CENTRE, "/incidents?limit=5", "phones", None),
        (Role.LEADERSHIP, "/incidents?limit=5", None, r"\d{3}\*{4}\d{4}"),
        (Role.LEGAL_SUPERVISION, "/cases/{case}", "identity_numbers", None),
        (Role.LEADERSHIP, "/cases/{case}", None, r"\d{4}\*{10}[\dX]{4}"),
    ],
)
def test_the_matrix_would_see_a_leak(
    city: Any, settings: Any, role: Role, path: str, full: str | None, masked: str | None
) -> None:
    """The scan finds numbers in full where they are shown, and the masked ones are there."""
    _api_settings(settings)
    username = USERS[role]
    scope = city.scope(username)
    _prepare(city, scope)
    case = _in_scope("case_id", scope)
    answer = Client().get(
        API + path.replace("{case}", str(case)),
        HTTP_AUTHORIZATION=f"Bearer {token_for(username)}",
    )
    assert answer.status_code == 200
    seen = scan(answer.content, secrets=set(), phones=_phones() | {CALLER}, numbers={IDENTITY})
    if full:
        assert getattr(seen, full), f"no {full} in full where the role should see them"
    if masked:
        assert re.search(masked, answer.content.decode()), "nothing masked where it should be"
