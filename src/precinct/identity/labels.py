"""Words for the audit log: each action code, object type and recorded field as a label in the
reader's language, never the raw code. Action words carry the context "audit action" so they
cannot share a translation with the same English word elsewhere."""

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import override, pgettext_lazy

from precinct.common.field_labels import FIELD_LABELS

# Every action code the project records (identity/signals.py, the second factor, sign-in, the
# admin's unlock, the operations commands, the statistics import, the demo load).
ACTION_LABELS: dict[str, Promise] = {
    "create": pgettext_lazy("audit action", "Created"),
    "update": pgettext_lazy("audit action", "Changed"),
    "delete": pgettext_lazy("audit action", "Deleted"),
    "view": pgettext_lazy("audit action", "Viewed"),
    "export": pgettext_lazy("audit action", "Exported"),
    "login": pgettext_lazy("audit action", "Signed in"),
    "logout": pgettext_lazy("audit action", "Signed out"),
    "login_failed": pgettext_lazy("audit action", "Sign-in failed"),
    "account_locked": pgettext_lazy("audit action", "Account locked"),
    "account_unlocked": pgettext_lazy("audit action", "Account unlocked"),
    "reauthenticated": pgettext_lazy("audit action", "Identity confirmed again"),
    "otp_enrolled": pgettext_lazy("audit action", "Authenticator enrolled"),
    "otp_verified": pgettext_lazy("audit action", "Authenticator code accepted"),
    "otp_failed": pgettext_lazy("audit action", "Authenticator code refused"),
    "otp_locked": pgettext_lazy("audit action", "Authenticator locked"),
    "otp_reset": pgettext_lazy("audit action", "Authenticator reset"),
    "recovery_codes_renewed": pgettext_lazy("audit action", "Recovery codes renewed"),
    "recovery_code_used": pgettext_lazy("audit action", "Recovery code used"),
    # ADR 0035: enrolment codes, a sign-in refused for its rate
    "enrolment_code_issued": pgettext_lazy("audit action", "Enrolment code issued"),
    "enrolment_code_refused": pgettext_lazy("audit action", "Enrolment code refused"),
    "login_rate_limited": pgettext_lazy("audit action", "Sign-in refused: too many attempts"),
    "backup_created": pgettext_lazy("audit action", "Backup made"),
    "field_keys_rotated": pgettext_lazy("audit action", "Encryption keys rotated"),
    "stats_imported": pgettext_lazy("audit action", "Statistics imported"),
    "demo_loaded": pgettext_lazy("audit action", "Demo data loaded"),
    # refusals and downloads (issue 18 V8: identity/middleware.py, web/trail.py)
    "access_denied": pgettext_lazy("audit action", "Access refused"),
    "not_found": pgettext_lazy("audit action", "Record not found or out of scope"),
    "download": pgettext_lazy("audit action", "File downloaded"),
}
OTHER_ACTION = pgettext_lazy("audit action", "Other action")

OBJECT_LABELS: dict[str, Promise] = {
    "database": pgettext_lazy("audit object", "Database"),
    # models without a translated name of their own
    "supervision.finding": pgettext_lazy("audit object", "Legal deadline finding"),
    "supervision.ticket": pgettext_lazy("audit object", "Supervision ticket"),
    "supervision.reviewitem": pgettext_lazy("audit object", "Case review finding"),
    "merit.account": pgettext_lazy("audit object", "Bonus account"),
    "merit.ledgertransaction": pgettext_lazy("audit object", "Bonus ledger transaction"),
    "merit.ledgerentry": pgettext_lazy("audit object", "Bonus ledger entry"),
    "cases.caseperson": pgettext_lazy("audit object", "Person in a case"),
    "cases.caseevent": pgettext_lazy("audit object", "Case event"),
    "supervision.ticketstep": pgettext_lazy("audit object", "Ticket step"),
    "supervision.warningproposal": pgettext_lazy("audit object", "Warning proposal"),
    "supervision.casereview": pgettext_lazy("audit object", "Case review"),
    "supervision.sweeprun": pgettext_lazy("audit object", "Deadline sweep"),
    "supervision.holidayschedule": pgettext_lazy("audit object", "Holiday calendar"),
    "merit.scoringpolicy": pgettext_lazy("audit object", "Scoring policy"),
    "merit.achievement": pgettext_lazy("audit object", "Achievement"),
    "merit.monthclose": pgettext_lazy("audit object", "Month close"),
    "merit.discipline": pgettext_lazy("audit object", "Discipline"),
    "merit.warningitem": pgettext_lazy("audit object", "Warning item"),
    "merit.awardproposal": pgettext_lazy("audit object", "Award proposal"),
    "merit.monthsession": pgettext_lazy("audit object", "Monthly session"),
    "merit.induction": pgettext_lazy("audit object", "Onboarding"),
    "command.intakekey": pgettext_lazy("audit object", "Incident intake key"),
    "command.dispatch": pgettext_lazy("audit object", "Dispatch"),
    "command.unitstatuschange": pgettext_lazy("audit object", "Patrol unit status change"),
    "command.incidentevent": pgettext_lazy("audit object", "Incident event"),
    "command.stepkey": pgettext_lazy("audit object", "Incident step key"),
    "command.addresspoint": pgettext_lazy("audit object", "Address point"),
    "jobs.job": pgettext_lazy("audit object", "Background job"),
    # what a refusal and a download name: the address asked for, the file sent
    "page": pgettext_lazy("audit object", "Page"),
    "file": pgettext_lazy("audit object", "File"),
}
OTHER_OBJECT = pgettext_lazy("audit object", "Other record")

# Keys of the details that are not rows of a model (sign-in, second factor, operations).
DETAIL_LABELS: dict[str, Promise] = {
    "username": pgettext_lazy("audit detail", "User name"),
    "left": pgettext_lazy("audit detail", "Recovery codes left"),
    "problem": pgettext_lazy("audit detail", "Reason"),
    "failures": pgettext_lazy("audit detail", "Failures in a row"),
    "vendor": pgettext_lazy("audit detail", "Database"),
    "rows": pgettext_lazy("audit detail", "Rows"),
    "audit_head": pgettext_lazy("audit detail", "Audit entries"),
    "key": pgettext_lazy("audit detail", "Key"),
    "changed_meanwhile": pgettext_lazy("audit detail", "Changed meanwhile"),
    "figures": pgettext_lazy("audit detail", "Figures"),
    "replaced": pgettext_lazy("audit detail", "Replaced"),
    "first": pgettext_lazy("audit detail", "First month"),
    "last": pgettext_lazy("audit detail", "Last month"),
    "by": pgettext_lazy("audit detail", "By"),
    "sha256": pgettext_lazy("audit detail", "Fingerprint"),
    "seed": pgettext_lazy("audit detail", "Seed"),
    "units": pgettext_lazy("audit detail", "Units"),
    "officers": pgettext_lazy("audit detail", "Officers"),
    "assignments": pgettext_lazy("audit detail", "Postings"),
    "cases": pgettext_lazy("audit detail", "Cases"),
    "findings": pgettext_lazy("audit detail", "Findings"),
    "achievements": pgettext_lazy("audit detail", "Achievements"),
    "patrol_zones": pgettext_lazy("audit detail", "Patrol zones"),
    "patrol_cars": pgettext_lazy("audit detail", "Patrol cars"),
    "secondments": pgettext_lazy("audit detail", "Secondments"),
    "campaigns": pgettext_lazy("audit detail", "Campaigns"),
    "imported_figures": pgettext_lazy("audit detail", "Imported figures"),
    "expires_at": pgettext_lazy("audit detail", "Valid until"),  # ADR 0035
    "until": pgettext_lazy("audit detail", "Locked until"),
    "authenticator": pgettext_lazy("audit detail", "Authenticator unlocked"),
    # a refusal, a download, an API list (issue 18 V8)
    "path": pgettext_lazy("audit detail", "Web address"),
    "method": pgettext_lazy("audit detail", "Request"),
    "bytes": pgettext_lazy("audit detail", "Size (bytes)"),
    "total": pgettext_lazy("audit detail", "Records matched"),
    "page": pgettext_lazy("audit detail", "Page number"),
    "age_band": pgettext_lazy("audit field", "Age band"),  # an officer list's filter
}
OTHER_DETAIL = pgettext_lazy("audit detail", "Other detail")

# Who acted when no person did: the accounts the commands and the worker act as (role "system"),
# and the unknown user of a failed sign-in.
ACTOR_LABELS: dict[str, Promise] = {
    "system": pgettext_lazy("audit actor", "System"),
    "demo": pgettext_lazy("audit actor", "System (demo data)"),
    "scheduler": pgettext_lazy("audit actor", "System (scheduled work)"),
    "import": pgettext_lazy("audit actor", "System (case import)"),
    "sweep": pgettext_lazy("audit actor", "System (deadline sweep)"),
    "holidays": pgettext_lazy("audit actor", "System (holiday calendar)"),
    "cli": pgettext_lazy("audit actor", "System (command line)"),
    "accounts": pgettext_lazy("audit actor", "System (account command)"),
    "keys": pgettext_lazy("audit actor", "System (encryption keys)"),
    "stats": pgettext_lazy("audit actor", "System (statistics import)"),
    "addresses": pgettext_lazy("audit actor", "System (address import)"),
    "anonymous": pgettext_lazy("audit actor", "Unknown user"),
}
# Why a second-factor code was refused (rules.TotpCheck.problem, the recovery code's check).
PROBLEM_LABELS: dict[str, Promise] = {
    "malformed": pgettext_lazy("audit value", "malformed code"),
    "wrong": pgettext_lazy("audit value", "wrong code"),
    "reused": pgettext_lazy("audit value", "code used before"),
    "wrong recovery code": pgettext_lazy("audit value", "wrong recovery code"),
}
# What a refused request asked to do, by its HTTP method.
METHOD_LABELS: dict[str, Promise] = {
    "GET": pgettext_lazy("audit value", "open"),
    "HEAD": pgettext_lazy("audit value", "open"),
    "POST": pgettext_lazy("audit value", "submit"),
    "PUT": pgettext_lazy("audit value", "change"),
    "PATCH": pgettext_lazy("audit value", "change"),
    "DELETE": pgettext_lazy("audit value", "delete"),
}
REDACTED = pgettext_lazy("audit value", "(redacted)")
NOT_COPIED = pgettext_lazy("audit value", "(not copied)")
EMPTY = pgettext_lazy("audit value", "(empty)")
LINKED = pgettext_lazy("audit value", "(a linked record)")
YES = pgettext_lazy("audit value", "yes")
ITEMS = pgettext_lazy("audit value", "(%(n)s items)")
NO = pgettext_lazy("audit value", "no")

# Fields that hold a user name (who entered, decided, closed …): a system account in words.
USER_FIELDS = {
    "created_by", "entered_by", "decided_by", "closed_by", "recorded_by", "approved_by",
    "planned_by", "stay_decided_by", "done_by", "received_by", "dispatcher", "reviewer", "by",
}  # fmt: skip

# Values only another app can put in words (a case event's type and subject: cases know nothing
# of supervision, whose words they are), by record type and field; registered by that app when
# it starts (``name_values``).
_VALUE_WORDS: dict[tuple[str, str], Callable[[Any], str]] = {}


def name_values(object_type: str, field: str, words: Callable[[Any], str]) -> None:
    """Show the values of ``object_type``'s ``field`` in the log as ``words(value)``."""
    _VALUE_WORDS[(object_type, field)] = words


# Bookkeeping columns a created or deleted row is not described by: ids, fingerprints, keys
# that make a write happen once (the row's other fields say what it is), a job's language.
_QUIET_FIELDS = {
    "id", "bureau_id", "created_at", "updated_at", "key", "once", "digest", "body_digest",
    "hash", "prev_hash", "language", "path", "sort_order", "secret", "prefix", "upload",
}  # fmt: skip
ROW_LINES = 8  # a created or deleted row shows at most this many of its fields


@dataclass(frozen=True)
class Value:
    text: str
    title: str = ""  # a long text in full, shown on hover only
    linked: str = ""  # a linked record's id: the page links to the entries about it
    # quoted as it was, not a word of the product: the address a user asked for, a file's name
    # (evidence, as an IP address is), or a file's fingerprint
    quoted: str = ""  # "verbatim" or "fingerprint"


# Details the log quotes as they were: what a user asked for and took away, and its digest.
_VERBATIM_DETAILS = {"path", "file_name"}
_FINGERPRINT_DETAILS = {"sha256"}


@dataclass(frozen=True)
class Line:
    label: str
    before: Value | None  # None: not a change (a created row's or a detail's value)
    after: Value


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, OTHER_ACTION))


def actor_label(actor: str, role: str) -> str:
    """Who acted, as the log shows it: a person by his user name; the system's own accounts
    (the commands, the worker's schedule) and an unknown user in words."""
    if role == "system" or not role:
        label = ACTOR_LABELS.get(actor or "system")
        if label is not None:
            return str(label)
    return actor


def action_codes_matching(text: str) -> list[str]:
    """Action codes whose label (in the reader's language or in English) or code contains
    ``text``: the search by action in plain words."""
    needle = text.strip().casefold()
    if not needle:
        return []
    out = []
    for code, label in ACTION_LABELS.items():
        with override("en"):
            english = str(label)
        words = (str(label), english, code)
        if any(needle in w.casefold() for w in words):
            out.append(code)
    return out


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_label(object_type: str) -> str:
    if object_type in OBJECT_LABELS:
        return str(OBJECT_LABELS[object_type])
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else str(OTHER_OBJECT)


def _field(model: type[models.Model] | None, attname: str) -> "models.Field[Any, Any] | None":
    if model is None:
        return None
    for f in model._meta.concrete_fields:
        if attname in (f.attname, f.name):
            return f
    return None


def _is_id(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _value(
    field: "models.Field[Any, Any] | None",
    value: Any,
    words: Callable[[Any], str] | None = None,
) -> Value:
    if value is None or value == "" or value == [] or value == {}:
        return Value(str(EMPTY))
    if words is not None:
        return Value(words(value))
    if isinstance(value, str) and value.startswith("<redacted:"):
        return Value(str(REDACTED))
    if isinstance(value, str) and value.startswith("(not copied"):
        return Value(str(NOT_COPIED))
    if isinstance(value, bool):
        return Value(str(YES if value else NO))
    if (field is not None and field.is_relation) or _is_id(value):  # a record's id
        return Value(str(LINKED), linked=str(value))
    if field is not None and field.name in USER_FIELDS and value in ACTOR_LABELS:
        return Value(str(ACTOR_LABELS[value]))  # a system account: in words
    if field is not None and field.choices:
        shown = dict(field.flatchoices).get(value)
        if shown is not None:
            return Value(str(shown))
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return Value(f"{moment:%Y-%m-%d %H:%M:%S}")
    if isinstance(value, Mapping) and "seq" in value:  # an audit head: its position
        return Value(f"#{value['seq']}")
    if isinstance(value, list | dict):  # structured data: its keys are codes, not words
        return Value(str(ITEMS) % {"n": len(value)})
    text = str(value)
    return Value(text if len(text) <= 80 else text[:79] + "…", title=text if len(text) > 80 else "")


def _field_label(model: type[models.Model] | None, key: str) -> str:
    """A field's own label when it has one; else the label for its name (``FIELD_LABELS``);
    a detail's key by ``DETAIL_LABELS``."""
    field = _field(model, key)
    if field is not None:
        named = field.verbose_name and str(field.verbose_name) != field.name.replace("_", " ")
        if named:
            return str(field.verbose_name)
        if field.name in FIELD_LABELS:
            return str(FIELD_LABELS[field.name])
        return str(field.verbose_name or OTHER_DETAIL)
    return str(DETAIL_LABELS.get(key, FIELD_LABELS.get(key, OTHER_DETAIL)))


def detail_lines(object_type: str, detail: Mapping[str, Any] | None) -> list[Line]:
    """An entry's detail as lines: changed fields as "label: before → after", a created or
    deleted row by its fields, anything else by its label; never a raw dictionary."""
    model = _model(object_type)
    detail = detail or {}
    lines: list[Line] = []
    changes = detail.get("changes")
    if isinstance(changes, Mapping):
        for key, pair in changes.items():
            before, after = (
                pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            )
            field, words = _field(model, key), _VALUE_WORDS.get((object_type, key))
            lines.append(
                Line(
                    _field_label(model, key),
                    _value(field, before, words),
                    _value(field, after, words),
                )
            )
        return lines
    row = detail.get("row")
    if isinstance(row, Mapping):
        for key, value in row.items():
            if key in _QUIET_FIELDS or value in (None, "", [], {}):
                continue
            field, words = _field(model, key), _VALUE_WORDS.get((object_type, key))
            lines.append(Line(_field_label(model, key), None, _value(field, value, words)))
            if len(lines) >= ROW_LINES:
                break
        return lines
    for key, value in detail.items():
        if key == "problem" and value in PROBLEM_LABELS:
            shown = Value(str(PROBLEM_LABELS[value]))
        elif key == "method" and value in METHOD_LABELS:
            shown = Value(str(METHOD_LABELS[value]))
        elif key in _VERBATIM_DETAILS and isinstance(value, str) and value:
            shown = Value(value, quoted="verbatim")
        elif key in _FINGERPRINT_DETAILS and isinstance(value, str) and value:
            shown = Value(value, quoted="fingerprint")
        else:
            # a filter of a list read (an API list's post type): the record's choices say it
            field = _field(model, key)
            chosen = field if field is not None and field.choices else None
            shown = _value(chosen, value, _VALUE_WORDS.get((object_type, key)))
        lines.append(Line(_field_label(None, key), None, shown))
    return lines


def _age_band_words(value: Any) -> str:
    """An officer list's age band (an API read's filter) in org's words. Registered here, not
    by org: org may not import identity, which already reads org's services (the audit search)."""
    from precinct.org import services as org  # read when shown: labels loads with the models

    return str(org.age_band_labels().get(str(value), value))


name_values("org.officer", "age_band", _age_band_words)
