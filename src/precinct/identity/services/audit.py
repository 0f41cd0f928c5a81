"""The audit chain: rows snapshotted with secrets redacted, entries written in the caller's
transaction, linked into the MAC chain on commit, verified, listed."""

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, QuerySet

from precinct.cases import services as cases
from precinct.core import clock
from precinct.core.scoping import Role, Scope
from precinct.org import services as org

from .. import labels, rules
from ..models import AuditEntry, AuditHead, User
from .scope import Actor, current_actor

# --- audit --------------------------------------------------------------------------------
# Secrets, citizens' identity numbers and callers' telephone numbers appear in the log only as
# fingerprints.
REDACTED_FIELDS = {
    "password",
    "digest",
    "network_digest",  # a road network's digest, as its own row keeps it (redacted there too)
    "secret",
    "id_number",
    "caller_phone",
    "caller_name",
}
# Bulky derived content the audit log refers to instead of copying (its digest is recorded).
SUMMARISED_FIELDS = {("merit.monthclose", "data"), ("geo.roadnetwork", "data")}


def _fingerprint(value: object) -> str:
    """A secret's stand-in in the log: shows that it changed, reveals nothing of it. Keyed (HMAC
    under the audit key, kept outside the database): a telephone or identity number has so few
    possible values that a plain hash of it is reversed by hashing them all."""
    digest = hmac.new(audit_key(), str(value).encode(), hashlib.sha256).hexdigest()
    return "<redacted:" + digest[:12] + ">"


def snapshot(instance: models.Model) -> dict[str, Any]:
    """JSON-safe values of a row's concrete fields; secrets replaced by a marker; a file kept in
    the row (an import's workbook) by its size and digest."""
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        value = f.value_from_object(instance)
        if (instance._meta.label_lower, f.name) in SUMMARISED_FIELDS:
            value = "(not copied: identified by the row's digest)"
        elif f.name in REDACTED_FIELDS:
            value = _fingerprint(value) if value else ""
        elif isinstance(value, models.fields.files.FieldFile):
            value = value.name or ""
        elif isinstance(value, bytes | bytearray | memoryview):  # a file kept in the row
            data = bytes(value)
            value = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        out[f.attname] = value
    return json.loads(json.dumps(out, cls=DjangoJSONEncoder))


def audit_key() -> bytes:
    """The chain's MAC key. It lives outside the database (environment or var/), never in it."""
    return settings.AUDIT_KEY


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    bureau_id: str = "",
    actor: Actor | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction (so it commits or rolls back with the
    change it records) and link it into the chain once that transaction commits. No lock is taken
    here: business transactions never wait on the audit chain, and cannot deadlock on it."""
    return record_many(
        action,
        object_type=object_type,
        items=[(object_id, detail or {})],
        bureau_id=bureau_id,
        actor=actor,
    )[0]


def record_many(
    action: str,
    *,
    object_type: str,
    items: list[tuple[str, dict[str, Any]]],
    bureau_id: str = "",
    actor: Actor | None = None,
) -> list[AuditEntry]:
    """:func:`record` for many objects of one kind at once, (object id, detail) each: one
    statement, for the bulk passes (a sweep opening tickets)."""
    if not items:
        return []
    who = actor or current_actor()
    at = clock.now()
    entries = AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=at,
                actor=who.username,
                actor_id=who.user_id,
                role=who.role,
                bureau_id=bureau_id or who.bureau_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                ip=who.ip,
                detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
            )
            for object_id, detail in items
        ],
        batch_size=500,
    )
    transaction.on_commit(link_pending, robust=True)
    return entries


class AuditChainBroken(Exception):
    """The chain cannot be extended because its head is gone."""


def link_pending(batch: int = 2000) -> int:
    """Link every committed, unlinked entry into the chain, in the order they were written.
    Serialised by the head row lock; safe to run from any process at any time."""
    key, linked = audit_key(), 0
    while True:
        with transaction.atomic():
            head = AuditHead.objects.select_for_update().filter(pk=1).first()
            if head is None:
                if AuditEntry.objects.filter(seq__isnull=False).exists():
                    raise AuditChainBroken("the chain head is missing: deleted?")
                head = AuditHead.objects.create(pk=1, seq=0, hash=rules.GENESIS)
            pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("at", "id")[:batch])
            seq, prev = head.seq, head.hash
            for entry in pending:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                entry.hash = rules.entry_hash(key, prev, entry.chain_fields())
                entry.save(update_fields=["seq", "prev_hash", "hash"])
                prev = entry.hash
            if pending:
                AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
        linked += len(pending)
        if len(pending) < batch:
            return linked


def record_write(
    action: str, instance: models.Model, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    changes = rules.diff(before, after)
    changes.pop("updated_at", None)  # bookkeeping, not a change of substance
    if action == "update" and not changes:
        return
    bureau = (after or before or {}).get("bureau_id") or ""
    record(
        action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        detail={"changes": changes} if action == "update" else {"row": after or before},
        bureau_id=str(bureau),
    )


def verify_audit_chain(batch: int = 5000) -> tuple[int, rules.ChainBreak | None]:
    """Link what is pending, then walk the chain up to the head read at the start; return (entries
    checked, first break or None). Entries written while it runs are left for the next run."""
    try:
        link_pending()
    except AuditChainBroken as exc:
        return 0, rules.ChainBreak(1, str(exc))
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        return 0, rules.ChainBreak(1, "the chain head is missing: deleted?")
    key, checked, seq, prev = audit_key(), 0, 1, rules.GENESIS
    while seq <= head.seq:
        rows = list(
            AuditEntry.objects.filter(seq__gte=seq, seq__lte=head.seq).order_by("seq")[:batch]
        )
        if not rows:
            break
        chain = [rules.ChainRow(r.seq or 0, r.prev_hash, r.hash, r.chain_fields()) for r in rows]
        broken = rules.verify_chain(chain, key, start_seq=seq, start_hash=prev)
        if broken is not None:
            return checked + (broken.seq - seq), broken
        checked += len(rows)
        seq, prev = (rows[-1].seq or 0) + 1, rows[-1].hash
    if seq <= head.seq or prev != head.hash:
        return checked, rules.ChainBreak(
            seq, f"the chain head says #{head.seq} but the log ends at #{seq - 1}: entries removed"
        )
    return checked, None


def _matching(text: str, bureau_id: uuid.UUID | None) -> Q:
    """Entries a plain-words search finds: by a case number, a police number, a person's name (an
    officer's, with or without an account, or a case's person), a user name or an action in words
    (its label), by anything their details record, and a ledger entry by the reference of its
    payment or the police number of the officer paid."""
    text = text.strip()
    object_ids: set[str] = {text}
    actors: set[str] = set()
    if bureau_id is not None:
        case = cases.case_by_number(bureau_id, text)
        if case is not None:
            object_ids.add(str(case.pk))
        object_ids.update(str(i) for i in org.officer_ids_by_number(bureau_id, [text]).values())
        object_ids.update(_named(bureau_id, text))
    # accounts by user name, by their officer's name (identity's own link), of the officers found
    accounts = User.objects.filter(
        Q(username__iexact=text)
        | Q(officer__name__icontains=text)
        | Q(officer_id__in=[i for i in object_ids if _is_uuid(i)])
    )
    if bureau_id is not None:
        accounts = accounts.filter(bureau_id=bureau_id)
    for pk, username, officer_id in accounts.values_list("pk", "username", "officer_id")[:50]:
        object_ids.add(str(pk))
        actors.add(username)
        if officer_id is not None:
            object_ids.add(str(officer_id))
    object_ids |= _stand_ins(text, object_ids)
    found = Q(object_id__in=object_ids) | Q(actor__iexact=text) | Q(actor__in=actors)
    for object_id in object_ids - {text}:
        found |= Q(detail__icontains=object_id)  # rows that point at it (a case's events)
    codes = labels.action_codes_matching(text)
    if codes:
        found |= Q(action__in=codes)
    return found | Q(detail__icontains=text)


NAMED = 20  # officers, and cases, a name finds at most (each is a scan of the details)


def _named(bureau_id: uuid.UUID, text: str) -> set[str]:
    """Ids of the officers whose name contains ``text`` (any officer of the bureau, with an account
    or not) and of the cases whose person's name does (names are stored in clear; identity
    numbers are sealed, and not searched). Looked up bureau-wide for the auditor, who reads no
    record itself: only the log's entries about them."""
    if not text:
        return set()
    whole = Scope(user_id=None, role=Role.LEADERSHIP, bureau_id=bureau_id)
    today = clock.today(settings.TIME_ZONE)
    officers = org.search_officers(whole, org.OfficerFilter(q=text), today=today)
    found = {str(pk) for pk in officers.values_list("pk", flat=True)[:NAMED]}
    # cases.search_cases matches a number, a unit or a person: keep the cases a person matched
    candidates = list(cases.search_cases(whole, text).values_list("pk", flat=True)[: NAMED * 4])
    names = cases.person_names(candidates, full_identity=True)
    needle = text.casefold()
    persons = {case_id for (case_id, _key), name in names.items() if needle in name.casefold()}
    return found | {str(pk) for pk in list(persons)[:NAMED]}


def _stand_ins(text: str, object_ids: set[str]) -> set[str]:
    """Records that stand in the log for what was searched: a ledger entry names its account and
    its transaction, not the officer paid nor the payment's reference (the transaction's key, as
    the finance export shows it). Ids of the accounts of the officers found and of the
    transaction with that key."""
    officers = [i for i in object_ids if _is_uuid(i)]
    rows = AuditEntry.objects.filter(
        Q(object_type="merit.account", detail__row__officer_id__in=officers)
        | Q(object_type="merit.ledgertransaction", detail__row__key=text)
    )
    return set(rows.values_list("object_id", flat=True)[:NAMED])


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def audit_entries(
    *,
    object_id: str = "",
    actor: str = "",
    action: str = "",
    text: str = "",
    bureau_id: uuid.UUID | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> QuerySet[AuditEntry]:
    """The log newest first, filtered by an object id, a user, an action code and a plain-words
    search (``text``; case and police numbers are looked up in ``bureau_id``)."""
    qs = AuditEntry.objects.order_by("-at", "-id")
    if text.strip():
        qs = qs.filter(_matching(text, bureau_id))
    if object_id:
        qs = qs.filter(Q(object_id=object_id) | Q(detail__icontains=object_id))
    if actor:
        qs = qs.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if before_seq is not None:
        qs = qs.filter(seq__lt=before_seq)
    return qs[:limit]


def audit_entries_since(at: dt.datetime) -> int:
    """How many entries the log has taken since a time (the auditor's home)."""
    return AuditEntry.objects.filter(at__gte=at).count()


def account_names(user_ids: list[str]) -> dict[str, str]:
    """Account id → user name, for the log's entries about accounts."""
    ids = [i for i in dict.fromkeys(user_ids) if _is_uuid(i)]
    return {
        str(pk): name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "username")
    }
