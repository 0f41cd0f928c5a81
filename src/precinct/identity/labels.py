"""Words for the audit log: each action code, object type and recorded field as a label in the
reader's language, never the raw code. Action words carry the context "audit action" so they
cannot share a translation with the same English word elsewhere."""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import override, pgettext_lazy

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
    "backup_created": pgettext_lazy("audit action", "Backup made"),
    "field_keys_rotated": pgettext_lazy("audit action", "Encryption keys rotated"),
    "stats_imported": pgettext_lazy("audit action", "Statistics imported"),
    "demo_loaded": pgettext_lazy("audit action", "Demo data loaded"),
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
}
OTHER_DETAIL = pgettext_lazy("audit detail", "Other detail")
# Why a second-factor code was refused (rules.TotpCheck.problem, the recovery code's check).
PROBLEM_LABELS: dict[str, Promise] = {
    "malformed": pgettext_lazy("audit value", "malformed code"),
    "wrong": pgettext_lazy("audit value", "wrong code"),
    "reused": pgettext_lazy("audit value", "code used before"),
    "wrong recovery code": pgettext_lazy("audit value", "wrong recovery code"),
}
REDACTED = pgettext_lazy("audit value", "(redacted)")
NOT_COPIED = pgettext_lazy("audit value", "(not copied)")
EMPTY = pgettext_lazy("audit value", "(empty)")
LINKED = pgettext_lazy("audit value", "(a linked record)")
YES = pgettext_lazy("audit value", "yes")
NO = pgettext_lazy("audit value", "no")

# Bookkeeping columns a created or deleted row is not described by.
_QUIET_FIELDS = {"id", "bureau_id", "created_at", "updated_at"}
ROW_LINES = 8  # a created or deleted row shows at most this many of its fields


@dataclass(frozen=True)
class Value:
    text: str
    title: str = ""  # the raw value (an id) where it helps, shown on hover only


@dataclass(frozen=True)
class Line:
    label: str
    before: Value | None  # None: not a change (a created row's or a detail's value)
    after: Value


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, OTHER_ACTION))


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


def _value(field: "models.Field[Any, Any] | None", value: Any) -> Value:
    if value is None or value == "" or value == [] or value == {}:
        return Value(str(EMPTY))
    if isinstance(value, str) and value.startswith("<redacted:"):
        return Value(str(REDACTED))
    if isinstance(value, str) and value.startswith("(not copied"):
        return Value(str(NOT_COPIED))
    if isinstance(value, bool):
        return Value(str(YES if value else NO))
    if field is not None and field.is_relation:
        return Value(str(LINKED), title=str(value))
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
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
    return Value(text if len(text) <= 80 else text[:79] + "…", title=text if len(text) > 80 else "")


def _field_label(model: type[models.Model] | None, key: str) -> str:
    field = _field(model, key)
    if field is not None and field.verbose_name:
        return str(field.verbose_name)
    return str(DETAIL_LABELS.get(key, OTHER_DETAIL))


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
            field = _field(model, key)
            lines.append(
                Line(_field_label(model, key), _value(field, before), _value(field, after))
            )
        return lines
    row = detail.get("row")
    if isinstance(row, Mapping):
        for key, value in row.items():
            if key in _QUIET_FIELDS or value in (None, "", [], {}):
                continue
            field = _field(model, key)
            lines.append(Line(_field_label(model, key), None, _value(field, value)))
            if len(lines) >= ROW_LINES:
                break
        return lines
    for key, value in detail.items():
        if key == "problem" and value in PROBLEM_LABELS:
            shown = Value(str(PROBLEM_LABELS[value]))
        else:
            shown = _value(None, value)
        lines.append(Line(_field_label(None, key), None, shown))
    return lines
