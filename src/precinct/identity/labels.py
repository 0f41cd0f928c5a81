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
# Fields without a label of their own (Django's default verbose name is the field's name),
# by the field's name: the same word in every model that has it.
FIELD_LABELS: dict[str, Promise] = {
    "account": pgettext_lazy("audit field", "Account"),
    "action": pgettext_lazy("audit field", "Action"),
    "active": pgettext_lazy("audit field", "In use"),
    "actor": pgettext_lazy("audit field", "Started by"),
    "amount_fen": pgettext_lazy("audit field", "Amount (fen)"),
    "answer": pgettext_lazy("audit field", "Answer"),
    "approved_at": pgettext_lazy("audit field", "Approved at"),
    "approved_by": pgettext_lazy("audit field", "Approved by"),
    "area_km2": pgettext_lazy("audit field", "Area (square kilometres)"),
    "as_of": pgettext_lazy("audit field", "As of"),
    "at": pgettext_lazy("audit field", "Time"),
    "attempts": pgettext_lazy("audit field", "Attempts"),
    "attendance": pgettext_lazy("audit field", "Attendance"),
    "attrs": pgettext_lazy("audit field", "Attributes"),
    "basis": pgettext_lazy("audit field", "Legal basis"),
    "beat_at": pgettext_lazy("audit field", "Last sign of life"),
    "bonus_fen": pgettext_lazy("audit field", "Bonus (fen)"),
    "by": pgettext_lazy("audit field", "By"),
    "campaign": pgettext_lazy("audit field", "Campaign"),
    "campaign_tags": pgettext_lazy("audit field", "Campaigns"),
    "case": pgettext_lazy("audit field", "Case"),
    "cases": pgettext_lazy("audit field", "Cases"),
    "changed": pgettext_lazy("audit field", "Changed"),
    "cleared_at": pgettext_lazy("audit field", "Cleared at"),
    "closed_at": pgettext_lazy("audit field", "Closed at"),
    "closed_by": pgettext_lazy("audit field", "Closed by"),
    "code": pgettext_lazy("audit field", "Code"),
    "confirmed_at": pgettext_lazy("audit field", "Confirmed at"),
    "consumed_at": pgettext_lazy("audit field", "Used at"),
    "content_type": pgettext_lazy("audit field", "File type"),
    "corrects": pgettext_lazy("audit field", "Corrects"),
    "created_by": pgettext_lazy("audit field", "Created by"),
    "data": pgettext_lazy("audit field", "Data"),
    "day": pgettext_lazy("audit field", "Day"),
    "days": pgettext_lazy("audit field", "Days"),
    "decided_by": pgettext_lazy("audit field", "Decided by"),
    "decided_on": pgettext_lazy("audit field", "Decided on"),
    "decision": pgettext_lazy("audit field", "Decision"),
    "deed": pgettext_lazy("audit field", "Deed"),
    "detail": pgettext_lazy("audit field", "Detail"),
    "dispatcher": pgettext_lazy("audit field", "Dispatcher"),
    "disposition": pgettext_lazy("audit field", "Disposition"),
    "done_by": pgettext_lazy("audit field", "Done by"),
    "due_at": pgettext_lazy("audit field", "Due at"),
    "end": pgettext_lazy("audit field", "End"),
    "entered_at": pgettext_lazy("audit field", "Entered at"),
    "entered_by": pgettext_lazy("audit field", "Entered by"),
    "eta_seconds": pgettext_lazy("audit field", "Estimated arrival (seconds)"),
    "evidence": pgettext_lazy("audit field", "Evidence"),
    "failures": pgettext_lazy("audit field", "Failures"),
    "family": pgettext_lazy("audit field", "Figure family"),
    "file": pgettext_lazy("audit field", "File"),
    "file_name": pgettext_lazy("audit field", "File name"),
    "finding": pgettext_lazy("audit field", "Finding"),
    "findings": pgettext_lazy("audit field", "Findings"),
    "findings_due": pgettext_lazy("audit field", "Findings due"),
    "finished_at": pgettext_lazy("audit field", "Finished at"),
    "flags": pgettext_lazy("audit field", "Markers"),
    "from_state": pgettext_lazy("audit field", "From"),
    "full": pgettext_lazy("audit field", "Full sweep"),
    "held_on": pgettext_lazy("audit field", "Held on"),
    "incident": pgettext_lazy("audit field", "Incident"),
    "kind": pgettext_lazy("audit field", "Kind"),
    "last": pgettext_lazy("audit field", "Last number"),
    "last_used_at": pgettext_lazy("audit field", "Last used at"),
    "last_step": pgettext_lazy("audit field", "Last code's time step"),
    "lat": pgettext_lazy("audit field", "Latitude"),
    "lead_officer": pgettext_lazy("audit field", "Lead officer"),
    "leader": pgettext_lazy("audit field", "Leader"),
    "level": pgettext_lazy("audit field", "Level"),
    "lon": pgettext_lazy("audit field", "Longitude"),
    "measure": pgettext_lazy("audit field", "Measure"),
    "meeting_note": pgettext_lazy("audit field", "Meeting note"),
    "memo": pgettext_lazy("audit field", "Memo"),
    "mentor": pgettext_lazy("audit field", "Mentor"),
    "mentor_from": pgettext_lazy("audit field", "Mentor from"),
    "mentor_note": pgettext_lazy("audit field", "Mentor note"),
    "message": pgettext_lazy("audit field", "Message"),
    "met_at": pgettext_lazy("audit field", "Met at"),
    "met_on": pgettext_lazy("audit field", "Met on"),
    "metric": pgettext_lazy("audit field", "Figure"),
    "minutes": pgettext_lazy("audit field", "Minutes"),
    "month": pgettext_lazy("audit field", "Month"),
    "note": pgettext_lazy("audit field", "Note"),
    "notice_end": pgettext_lazy("audit field", "Public notice ends"),
    "notice_start": pgettext_lazy("audit field", "Public notice starts"),
    "occurred_on": pgettext_lazy("audit field", "Occurred on"),
    "officer": pgettext_lazy("audit field", "Officer"),
    "params": pgettext_lazy("audit field", "Parameters"),
    "patrol_unit": pgettext_lazy("audit field", "Patrol unit"),
    "planned_by": pgettext_lazy("audit field", "Planned by"),
    "policy_version": pgettext_lazy("audit field", "Scoring policy version"),
    "polygon": pgettext_lazy("audit field", "Boundary"),
    "position_at": pgettext_lazy("audit field", "Position at"),
    "post_lat": pgettext_lazy("audit field", "Post latitude"),
    "post_lon": pgettext_lazy("audit field", "Post longitude"),
    "prefix": pgettext_lazy("audit field", "Prefix"),
    "progress": pgettext_lazy("audit field", "Progress"),
    "proposal": pgettext_lazy("audit field", "Proposal"),
    "proposal_id": pgettext_lazy("audit field", "Proposal"),
    "object_id": pgettext_lazy("audit field", "Linked record"),
    "quantity": pgettext_lazy("audit field", "Quantity"),
    "rank": pgettext_lazy("audit field", "Place in the recommendation"),
    "reason": pgettext_lazy("audit field", "Reason"),
    "received_by": pgettext_lazy("audit field", "Received by"),
    "recorded_by": pgettext_lazy("audit field", "Recorded by"),
    "refreshed_at": pgettext_lazy("audit field", "Refreshed at"),
    "result": pgettext_lazy("audit field", "Result"),
    "reverses": pgettext_lazy("audit field", "Reverses"),
    "review": pgettext_lazy("audit field", "Review"),
    "reviewer": pgettext_lazy("audit field", "Reviewer"),
    "role": pgettext_lazy("audit field", "Role"),
    "rule": pgettext_lazy("audit field", "Rule"),
    "seconds": pgettext_lazy("audit field", "Seconds"),
    "seq": pgettext_lazy("audit field", "Sequence"),
    "severity": pgettext_lazy("audit field", "Severity"),
    "shift": pgettext_lazy("audit field", "Shift"),
    "source": pgettext_lazy("audit field", "Source"),
    "start": pgettext_lazy("audit field", "Start"),
    "started_at": pgettext_lazy("audit field", "Started at"),
    "state": pgettext_lazy("audit field", "State"),
    "status": pgettext_lazy("audit field", "Status"),
    "status_at": pgettext_lazy("audit field", "Status since"),
    "stay_decided_by": pgettext_lazy("audit field", "Stay decided by"),
    "stay_decided_on": pgettext_lazy("audit field", "Stay decided on"),
    "stay_requested_on": pgettext_lazy("audit field", "Stay requested on"),
    "step": pgettext_lazy("audit field", "Step"),
    "subject": pgettext_lazy("audit field", "Subject"),
    "summary": pgettext_lazy("audit field", "Summary"),
    "tag": pgettext_lazy("audit field", "Tag"),
    "text": pgettext_lazy("audit field", "Text"),
    "theme": pgettext_lazy("audit field", "Theme"),
    "ticket": pgettext_lazy("audit field", "Ticket"),
    "tickets": pgettext_lazy("audit field", "Tickets"),
    "title": pgettext_lazy("audit field", "Title"),
    "to_state": pgettext_lazy("audit field", "To"),
    "trigger_at": pgettext_lazy("audit field", "Started at"),
    "txn": pgettext_lazy("audit field", "Transaction"),
    "type": pgettext_lazy("audit field", "Type"),
    "unit": pgettext_lazy("audit field", "Unit"),
    "used_at": pgettext_lazy("audit field", "Used at"),
    "user": pgettext_lazy("audit field", "User"),
    "valid_from": pgettext_lazy("audit field", "Valid from"),
    "value": pgettext_lazy("audit field", "Value"),
    "version": pgettext_lazy("audit field", "Version"),
    "warning_case": pgettext_lazy("audit field", "Warning case"),
    "warning_published": pgettext_lazy("audit field", "Warning published"),
    "year": pgettext_lazy("audit field", "Year"),
    "zone": pgettext_lazy("audit field", "Patrol zone"),
}

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
    "hash", "prev_hash", "language", "path", "sort_order", "secret", "prefix",
}  # fmt: skip
ROW_LINES = 8  # a created or deleted row shows at most this many of its fields


@dataclass(frozen=True)
class Value:
    text: str
    title: str = ""  # a long text in full, shown on hover only
    linked: str = ""  # a linked record's id: the page links to the entries about it


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
        else:
            shown = _value(None, value)
        lines.append(Line(_field_label(None, key), None, shown))
    return lines
