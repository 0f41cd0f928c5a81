"""Identity rules: the role × route policy (deny by default), token hashing, the audit hash chain.

Pure: no Django, no clock.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyotp

# Who may do what is named once, in core.capabilities; the policy below only uses the names (they
# stay importable from here for callers that read them as identity.rules.X).
from precinct.core.capabilities import (
    ACCESS_APPROVERS,
    ACCOUNT_ADMINS,
    ADMIN_SITE,
    AUDIT_READERS,
    AWARD_READERS,
    BOARD_READERS,
    CAMPAIGN_MANAGERS,
    CAMPAIGN_TICKERS,
    CASE_RECORDERS,
    COMMAND,
    DEPLOYMENT_APPROVERS,
    DEPLOYMENT_PLANNERS,
    DEPLOYMENT_READERS,
    FINANCE_EXPORTERS,
    HOLIDAY_ENTERERS,
    HOLIDAY_READERS,
    LEDGER_CHECKERS,
    MERIT_APPROVERS,
    MERIT_ENTERERS,
    OVERVIEW_READERS,
    OWN_ACHIEVEMENT_SUBMITTERS,
    PACK_READERS,
    PATROL_UNIT_READERS,
    PEOPLE_EDITORS,
    PEOPLE_READERS,
    PLANNERS,
    PROMOTION_READERS,
    PROVINCE_READERS,
    RECRUIT_READERS,
    REVIEWERS,
    ROSTER_IMPORTERS,
    ROSTER_READERS,
    SECONDMENT_READERS,
    STATS_IMPORTERS,
    STATS_READERS,
    TICKET_HANDLERS,
    UNIT_TERMINALS,
)
from precinct.core.scoping import ALL_ROLES, Role

READ = "GET"
WRITE = ("POST", "PUT", "PATCH", "DELETE")
# The crew terminal's web app manifest and service worker carry no data: a browser fetches a
# manifest without cookies, and a service worker must update even after the session has ended.
PUBLIC = frozenset({"web:login", "set_language", "web:health", "crew:manifest", "crew:sw"})


def _rule(
    get: frozenset[Role] | None = None, write: frozenset[Role] | None = None
) -> dict[str, frozenset[Role]]:
    out: dict[str, frozenset[Role]] = {}
    if get is not None:
        out["GET"] = get
        out["HEAD"] = get
    if write is not None:
        for m in WRITE:
            out[m] = write
    return out


# Route name → HTTP method → roles allowed. A route that is not here is denied to everyone.
POLICY: dict[str, dict[str, frozenset[Role]]] = {
    "web:home": _rule(ALL_ROLES),
    "web:logout": _rule(write=ALL_ROLES),
    "web:profile": _rule(ALL_ROLES),
    "web:me_achievement": _rule(write=OWN_ACHIEVEMENT_SUBMITTERS),  # 我的: his own, submitted
    # the second factor, re-authentication and the password: every signed-in user, for himself
    "web:otp_verify": _rule(ALL_ROLES, ALL_ROLES),
    "web:otp_setup": _rule(ALL_ROLES, ALL_ROLES),
    "web:reauth": _rule(ALL_ROLES, ALL_ROLES),
    "web:password_change": _rule(ALL_ROLES, ALL_ROLES),
    "web:security": _rule(ALL_ROLES),
    "web:recovery_codes": _rule(write=ALL_ROLES),
    # a job's progress and file: checked again in the view against the route that starts it
    "web:job": _rule(ALL_ROLES),
    "web:job_file": _rule(ALL_ROLES),
    "org:unit_tree": _rule(OVERVIEW_READERS),
    "org:officer_list": _rule(PEOPLE_READERS),
    "org:officer_detail": _rule(PEOPLE_READERS),
    "org:officer_create": _rule(PEOPLE_EDITORS, PEOPLE_EDITORS),
    "org:officer_edit": _rule(PEOPLE_EDITORS, PEOPLE_EDITORS),
    "org:officer_photo": _rule(PEOPLE_READERS),
    "org:assignment_add": _rule(PEOPLE_EDITORS, PEOPLE_EDITORS),
    "org:roster_export": _rule(ROSTER_READERS),
    "org:roster_import": _rule(ROSTER_IMPORTERS, ROSTER_IMPORTERS),
    "org:roster_template": _rule(ROSTER_IMPORTERS),
    "org:deployment": _rule(DEPLOYMENT_READERS),
    "org:secondment_plan": _rule(write=DEPLOYMENT_PLANNERS),
    "org:secondment_approve": _rule(write=DEPLOYMENT_APPROVERS),
    "org:secondment_cancel": _rule(write=DEPLOYMENT_PLANNERS),
    "org:secondment_return": _rule(write=DEPLOYMENT_PLANNERS),
    "org:secondment_stay_request": _rule(write=DEPLOYMENT_PLANNERS),
    "org:secondment_stay_decide": _rule(write=DEPLOYMENT_APPROVERS),
    "supervision:dashboard": _rule(OVERVIEW_READERS),
    "supervision:finding_list": _rule(PEOPLE_READERS),
    "supervision:case_list": _rule(PEOPLE_READERS),
    "supervision:case_detail": _rule(PEOPLE_READERS),
    "supervision:review_add": _rule(write=REVIEWERS),
    "supervision:ticket_move": _rule(write=TICKET_HANDLERS),
    "supervision:good_practice": _rule(PEOPLE_READERS),
    "supervision:holidays": _rule(HOLIDAY_READERS, HOLIDAY_ENTERERS),
    "merit:month": _rule(PEOPLE_READERS),
    "merit:month_of": _rule(PEOPLE_READERS),
    "merit:officer_month": _rule(PEOPLE_READERS),
    "merit:finance_export": _rule(FINANCE_EXPORTERS),
    "merit:month_fund": _rule(write=MERIT_APPROVERS),
    "merit:month_pay": _rule(write=MERIT_APPROVERS),
    "merit:month_close": _rule(write=MERIT_APPROVERS),
    "merit:session_pack": _rule(PACK_READERS, PACK_READERS),  # POST: build it as a job
    "merit:promotion": _rule(PROMOTION_READERS),
    "merit:policy": _rule(PEOPLE_READERS, MERIT_APPROVERS),
    "merit:award_list": _rule(AWARD_READERS, MERIT_ENTERERS),
    "merit:award_decide": _rule(write=MERIT_APPROVERS),
    "merit:award_dossier": _rule(AWARD_READERS),
    "merit:recruits": _rule(RECRUIT_READERS),
    "merit:induction_record": _rule(write=MERIT_ENTERERS),
    "merit:sessions": _rule(OVERVIEW_READERS, MERIT_ENTERERS),
    "merit:achievement_list": _rule(PEOPLE_READERS, MERIT_ENTERERS),
    "merit:achievement_decide": _rule(write=MERIT_APPROVERS),
    "merit:warning_queue": _rule(MERIT_APPROVERS),
    "merit:warning_decide": _rule(write=MERIT_APPROVERS),
    "command:board": _rule(BOARD_READERS),
    "command:board_json": _rule(BOARD_READERS),
    "command:network": _rule(BOARD_READERS),
    "command:stream": _rule(BOARD_READERS),
    "command:figures": _rule(BOARD_READERS),
    "command:figures_export": _rule(BOARD_READERS),
    # the car crew's terminal: an officer who rides a car (others are told they ride none)
    "crew:terminal": _rule(UNIT_TERMINALS),
    "crew:state": _rule(UNIT_TERMINALS),
    "crew:stream": _rule(UNIT_TERMINALS),
    "planning:index": _rule(PLANNERS, PLANNERS),
    "planning:run": _rule(PLANNERS),
    "planning:compare": _rule(PLANNERS),
    "campaigns:list": _rule(PEOPLE_READERS, CAMPAIGN_MANAGERS),
    "campaigns:detail": _rule(PEOPLE_READERS, CAMPAIGN_TICKERS),
    "campaigns:item_move": _rule(write=CAMPAIGN_TICKERS),
    "campaigns:compare": _rule(OVERVIEW_READERS),
    "campaigns:report": _rule(OVERVIEW_READERS),
    "stats:dashboard": _rule(STATS_READERS),
    "province:cities": _rule(PROVINCE_READERS),
    "stats:export": _rule(STATS_READERS),
    "stats:import": _rule(STATS_IMPORTERS, STATS_IMPORTERS),
    "stats:template": _rule(STATS_IMPORTERS),
    "identity:audit_log": _rule(AUDIT_READERS),
    "identity:audit_verify": _rule(write=AUDIT_READERS),
    # 三员分立: the security administrator decides the access the system administrator asks for
    "identity:grant_list": _rule(ACCESS_APPROVERS),
    "identity:grant_decide": _rule(write=ACCESS_APPROVERS),
    # the system administrator's accounts page: enrolment codes, unlocking (ADR 0035)
    "accounts:list": _rule(ACCOUNT_ADMINS),
    "accounts:enrolment": _rule(write=ACCOUNT_ADMINS),
    "accounts:unlock": _rule(write=ACCOUNT_ADMINS),
    # JSON API (django-ninja, namespace "api")
    "api:api-root": _rule(ALL_ROLES),
    "api:openapi-json": _rule(ALL_ROLES),
    "api:openapi-view": _rule(ALL_ROLES),
    "api:me": _rule(ALL_ROLES),
    "api:unit_list": _rule(OVERVIEW_READERS),
    "api:officer_list": _rule(PEOPLE_READERS, PEOPLE_EDITORS),
    "api:campaign_list": _rule(PEOPLE_READERS),
    "api:campaign_items": _rule(PEOPLE_READERS),
    "api:stats_monthly": _rule(STATS_READERS),
    "api:province_cities": _rule(PROVINCE_READERS),
    "api:officer_detail": _rule(PEOPLE_READERS, PEOPLE_EDITORS),
    "api:officer_assignments": _rule(PEOPLE_READERS, PEOPLE_EDITORS),
    "api:deployment_summary": _rule(DEPLOYMENT_READERS),
    "api:secondment_list": _rule(SECONDMENT_READERS),
    "api:case_list": _rule(PEOPLE_READERS),
    "api:case_detail": _rule(PEOPLE_READERS),
    "api:case_events": _rule(write=CASE_RECORDERS),
    "api:case_reviews": _rule(write=REVIEWERS),
    "api:finding_list": _rule(PEOPLE_READERS),
    "api:ticket_list": _rule(PEOPLE_READERS),
    "api:ticket_move": _rule(write=TICKET_HANDLERS),
    "api:good_practice": _rule(PEOPLE_READERS),
    "api:supervision_dashboard": _rule(OVERVIEW_READERS),
    "api:merit_month": _rule(PEOPLE_READERS),
    "api:merit_achievements": _rule(PEOPLE_READERS, MERIT_ENTERERS),
    "api:merit_ledger_verify": _rule(LEDGER_CHECKERS),
    "api:incidents": _rule(BOARD_READERS, COMMAND),
    "api:incident_recommendations": _rule(COMMAND),
    "api:addresses": _rule(COMMAND),
    "api:incident_dispatch": _rule(write=COMMAND),
    "api:incident_close": _rule(write=COMMAND),
    "api:incident_cancel": _rule(write=COMMAND),
    "api:incident_recall": _rule(write=COMMAND),
    "api:incident_detail": _rule(PATROL_UNIT_READERS),
    "api:patrol_units": _rule(PATROL_UNIT_READERS),
    "api:patrol_unit_status": _rule(write=UNIT_TERMINALS),
    "api:patrol_unit_position": _rule(write=UNIT_TERMINALS),
    "api:audit_list": _rule(AUDIT_READERS),
    "api:audit_verify": _rule(AUDIT_READERS),
}

# Namespaces whose every route is governed by one rule, with finer checks inside (the Django admin
# checks each model against the same roles in its ModelAdmin permission methods).
NAMESPACE_POLICY: dict[str, dict[str, frozenset[Role]]] = {
    "admin": _rule(ADMIN_SITE, ADMIN_SITE),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def decide(route: str | None, method: str, role: Role | None) -> Decision:
    """The one access decision. Unknown routes, unknown methods and anonymous callers are denied."""
    if route in PUBLIC:
        return Decision(True, "public")
    if route is None:
        return Decision(False, "no route rule")
    rule = POLICY.get(route)
    if rule is None and ":" in route:
        rule = NAMESPACE_POLICY.get(route.split(":", 1)[0])
    if rule is None:
        return Decision(False, "no route rule")
    if role is None:
        return Decision(False, "not signed in")
    allowed = rule.get(method.upper(), frozenset())
    if role in allowed:
        return Decision(True, "role allowed")
    return Decision(False, f"role {role} may not {method} {route}")


def has_rule(route: str) -> bool:
    return route in PUBLIC or route in POLICY or route.split(":", 1)[0] in NAMESPACE_POLICY


# --- API tokens ---------------------------------------------------------------------------
TOKEN_PREFIX = "pct_"  # noqa: S105 - a public marker, not a secret


def new_token() -> tuple[str, str, str]:
    """A new bearer token: (plaintext shown once, lookup prefix, sha256 digest stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:12], token_digest(secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(secret), digest)


# --- audit chain --------------------------------------------------------------------------
GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """MAC of one audit entry: HMAC-SHA256 under a key kept outside the database, over the previous
    entry's MAC and the canonical JSON of this entry. Without the key nobody can re-forge a chain
    after editing it."""
    message = (prev_hash + canonical(dict(fields))).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    seq: int
    prev_hash: str
    hash: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry #{self.seq}: {self.problem}"


def verify_chain(
    rows: Iterable[ChainRow], key: bytes, start_seq: int = 1, start_hash: str = GENESIS
) -> ChainBreak | None:
    """First broken link, or None. Catches edited rows (hash), deleted rows (gap in seq, or the
    successor's prev_hash) and reordered rows (prev_hash no longer the predecessor's hash)."""
    expected_seq, prev = start_seq, start_hash
    for row in rows:
        if row.seq != expected_seq:
            return ChainBreak(expected_seq, f"missing (next entry found is #{row.seq}): deleted?")
        if row.prev_hash != prev:
            return ChainBreak(
                row.seq, "does not link to the entry before it: reordered or a predecessor deleted"
            )
        if not hmac.compare_digest(entry_hash(key, row.prev_hash, row.fields), row.hash):
            return ChainBreak(row.seq, "content does not match its hash: edited")
        expected_seq, prev = row.seq + 1, row.hash
    return None


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """Changed fields as {field: [before, after]}."""
    b, a = dict(before or {}), dict(after or {})
    return {k: [b.get(k), a.get(k)] for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)}


# --- idle accounts -----------------------------------------------------------------------------
def is_idle(
    last_login: dt.datetime | None, joined: dt.datetime, now: dt.datetime, days: int
) -> bool:
    """An account unused for ``days`` days (never signed in: counted from when it was made)."""
    return now - (last_login or joined) >= dt.timedelta(days=days)


# an API token's last use is recorded at most this often: a read is not also a write each time
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


def token_use_to_record(last_used: dt.datetime | None, now: dt.datetime) -> bool:
    return last_used is None or now - last_used >= TOKEN_USE_RESOLUTION


# --- second factor (TOTP, RFC 6238) ---------------------------------------------------------
TOTP_DRIFT_STEPS = 1  # a code of the step before or after the current one is accepted (±30 s)
OTP_MAX_FAILURES = 5  # wrong codes in a row that lock the authenticator until an administrator
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass(frozen=True)
class TotpCheck:
    step: int | None  # the time step the code belongs to, when it is accepted
    problem: str = ""  # "malformed" | "wrong" | "reused"

    @property
    def ok(self) -> bool:
        return self.step is not None


def new_totp_secret() -> str:
    """160 random bits in base32, the size RFC 4226 recommends."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def check_totp(secret: str, code: str, now: dt.datetime, last_step: int) -> TotpCheck:
    """Whether ``code`` is the authenticator's code at ``now`` (± one step of drift) and newer than
    the last step accepted: a code, once accepted, is never accepted again, nor any older one."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return TotpCheck(None, "malformed")
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if step <= last_step:
                return TotpCheck(None, "reused")
            return TotpCheck(step)
    return TotpCheck(None, "wrong")


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """One-time codes like ``k7hq2-mx4pt``: 50 random bits each, easy to read out and type."""
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(n)
    ]


def looks_like_recovery_code(code: str) -> bool:
    return len(_normal_recovery(code)) == 10


def _normal_recovery(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def recovery_digest(code: str) -> str:
    return hashlib.sha256(_normal_recovery(code).encode()).hexdigest()


def otp_exempt(
    role: Role | None,
    ip: str,
    exempt_roles: Iterable[str],
    exempt_networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    """A bureau may exempt positions in a secured room (dispatch consoles): the role must be
    exempted AND the request must come from one of the room's networks."""
    if role is None or role.value not in set(exempt_roles):
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in net for net in exempt_networks)


# --- passwords and re-authentication -------------------------------------------------------------
def password_expired(
    changed_at: dt.datetime | None, joined: dt.datetime, now: dt.datetime, max_age_days: int
) -> bool:
    """Whether the password is older than the jurisdiction allows (0: no maximum age, as CJIS
    since 2020; MLPS level 3 asks for periodic change, e.g. 90 days)."""
    if max_age_days <= 0:
        return False
    return now - (changed_at or joined) >= dt.timedelta(days=max_age_days)


# Writes that need the password (and second factor) given again within the last few minutes:
# accounts, roles and policies, award and merit approvals. The administration site counts whole.
PRIVILEGED_ROUTES = frozenset(
    {
        "merit:policy",
        "merit:month_fund",
        "merit:month_pay",
        "merit:month_close",
        "merit:award_decide",
        "merit:achievement_decide",
        "merit:warning_decide",
        "org:secondment_approve",
        "org:secondment_stay_decide",
        "web:recovery_codes",
        "identity:grant_decide",
        "accounts:enrolment",
        "accounts:unlock",
    }
)
PRIVILEGED_NAMESPACES = frozenset({"admin"})


def needs_reauth(route: str | None, method: str) -> bool:
    if route is None:
        return False
    if route.split(":", 1)[0] in PRIVILEGED_NAMESPACES:
        return True
    return route in PRIVILEGED_ROUTES and method.upper() in WRITE


def reauth_fresh(last_auth: dt.datetime | None, now: dt.datetime, seconds: int) -> bool:
    return last_auth is not None and dt.timedelta(0) <= now - last_auth <= dt.timedelta(
        seconds=seconds
    )


# --- lockout (ADR 0035) ---------------------------------------------------------------------------
FIRST_LOCK = dt.timedelta(minutes=15)
LONGEST_LOCK = dt.timedelta(days=1)


def lock_delay(earlier_locks: int) -> dt.timedelta:
    """A lock's length: 15 minutes, doubled for each earlier lock within the week, at most a day."""
    return min(FIRST_LOCK * (2 ** min(max(earlier_locks, 0), 16)), LONGEST_LOCK)
