"""Officers and their postings: records, photos, assignments, lookups, workforce summary."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet

from precinct.core.errors import FieldError, NotFound, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import Assignment, Officer, Unit
from ._common import _editable_unit, _require_editor, scope_officers, scope_units

# --- officers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerFacts:
    id: uuid.UUID
    police_number: str
    name: str
    unit_id: uuid.UUID | None
    post_type: str
    birth_date: dt.date


def officer_facts(bureau_id: uuid.UUID, *, active_only: bool = True) -> list[OfficerFacts]:
    """Every officer of the bureau, as the merit module scores them, by police number."""
    qs = Officer.objects.filter(bureau_id=bureau_id)
    if active_only:
        qs = qs.filter(status=rules.OfficerStatus.ACTIVE)
    return [
        OfficerFacts(*row)
        for row in qs.order_by("police_number").values_list(
            "pk", "police_number", "name", "current_unit_id", "post_type", "birth_date"
        )
    ]


def post_type_labels() -> dict[str, Any]:
    from ..models import POST_TYPE_LABELS

    return dict(POST_TYPE_LABELS)


def age_band_labels() -> dict[str, Any]:
    """Each age band's code (the filter's value) and its words in the user's language."""
    from ..models import AGE_BAND_LABELS

    return dict(AGE_BAND_LABELS)


def police_number_of(officer_id: uuid.UUID) -> str:
    return (
        Officer.objects.filter(pk=officer_id).values_list("police_number", flat=True).first() or ""
    )


@dataclass(frozen=True)
class OfficerFilter:
    q: str = ""
    unit_id: uuid.UUID | None = None
    post_type: str = ""
    age_band: str = ""
    status: str = ""


def search_officers(scope: Scope, flt: OfficerFilter, *, today: dt.date) -> QuerySet[Officer]:
    qs = scope_officers(scope).select_related("current_unit")
    q = flt.q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(police_number__startswith=q))
    if flt.unit_id:
        path = scope_units(scope).filter(pk=flt.unit_id).values_list("path", flat=True).first()
        qs = qs.filter(current_unit__path__startswith=path) if path else qs.none()
    if flt.post_type:
        qs = qs.filter(post_type=flt.post_type)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.age_band:
        earliest, latest = rules.birth_range(rules.AgeBand(flt.age_band), today)
        qs = qs.filter(birth_date__lte=latest)
        if earliest is not None:
            qs = qs.filter(birth_date__gt=earliest)
    return qs.order_by("police_number")


def get_officer(scope: Scope, officer_id: uuid.UUID) -> Officer:
    officer = scope_officers(scope).select_related("current_unit").filter(pk=officer_id).first()
    if officer is None:
        raise NotFound("officer")
    return officer


def officer_history(scope: Scope, officer_id: uuid.UUID) -> list[Assignment]:
    officer = get_officer(scope, officer_id)
    return list(
        Assignment.objects.filter(officer=officer).select_related("unit").order_by("-start")
    )


def _check_number_free(
    bureau_id: uuid.UUID, number: str, exclude: uuid.UUID | None = None
) -> list[FieldError]:
    qs = Officer.objects.filter(bureau_id=bureau_id, police_number=number)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return (
        [
            FieldError(
                "police_number",
                _("police number %(number)s is already in use"),
                params={"number": number},
            )
        ]
        if qs.exists()
        else []
    )


def _apply(officer: Officer, data: rules.OfficerData) -> None:
    officer.police_number = data.police_number
    officer.name = data.name.strip()
    officer.gender = data.gender.value
    officer.birth_date = data.birth_date
    officer.hire_date = data.hire_date
    officer.rank = data.rank
    officer.post_type = data.post_type.value
    officer.status = data.status.value
    officer.party = data.party.value


def _fields(officer: Officer) -> tuple[object, ...]:
    return tuple(getattr(officer, f) for f in rules.OfficerData.__dataclass_fields__)


OWN_RECORD = _("you may not change your own record: another editor does")


def _refuse_own_record(scope: Scope, officer: Officer, data: rules.OfficerData) -> None:
    """Separation of duties (issue 18, V11): nobody changes his own personnel record (his rank,
    post, status …); another editor does. Saving it unchanged (a new photo) is no change."""
    if scope.officer_id is None or officer.pk != scope.officer_id:
        return
    changed = [
        name
        for name in rules.OfficerData.__dataclass_fields__
        if _comparable(getattr(data, name)) != _comparable(getattr(officer, name))
    ]
    if changed:
        raise ValidationFailed([FieldError(name, OWN_RECORD) for name in changed])


def _comparable(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def create_officer(
    scope: Scope,
    *,
    data: rules.OfficerData,
    unit_id: uuid.UUID,
    position: str,
    start: dt.date | None,
    today: dt.date,
) -> Officer:
    _require_editor(scope)
    assert scope.bureau_id is not None
    unit = _editable_unit(scope, unit_id)
    errors = rules.check_officer(data, today) + _check_number_free(
        scope.bureau_id, data.police_number
    )
    errors += rules.check_assignment(
        rules.Period(start or today, None), [], hire_date=data.hire_date, today=today
    )
    if not position.strip():
        errors.append(FieldError("position", _("is required")))
    if errors:
        raise ValidationFailed(errors)
    officer = Officer(bureau_id=scope.bureau_id)
    _apply(officer, data)
    officer.save()
    Assignment.objects.create(
        bureau_id=scope.bureau_id,
        officer=officer,
        unit=unit,
        position=position.strip(),
        start=start or today,
    )
    refresh_current_unit(officer, today)
    return officer


def update_officer(
    scope: Scope, officer_id: uuid.UUID, *, data: rules.OfficerData, today: dt.date
) -> Officer:
    _require_editor(scope)
    officer = get_officer(scope, officer_id)
    _refuse_own_record(scope, officer, data)
    errors = rules.check_officer(data, today) + _check_number_free(
        officer.bureau_id, data.police_number, exclude=officer.pk
    )
    if errors:
        raise ValidationFailed(errors)
    _apply(officer, data)
    officer.save()
    return officer


def set_photo(scope: Scope, officer_id: uuid.UUID, *, content: bytes) -> Officer:
    """Store an officer's photo (JPEG or PNG, at most 2 MB) under a name nobody can guess."""
    _require_editor(scope)
    officer = get_officer(scope, officer_id)
    errors = rules.check_photo(content)
    if errors:
        raise ValidationFailed(errors)
    kind = rules.photo_type(content)
    assert kind is not None
    old = officer.photo.name if officer.photo else ""
    officer.photo.save(f"{uuid.uuid4().hex}.{kind[0]}", ContentFile(content), save=False)
    officer.save(update_fields=["photo", "updated_at"])
    if old:
        transaction.on_commit(lambda: officer.photo.storage.delete(old))
    return officer


def photo(scope: Scope, officer_id: uuid.UUID) -> tuple[bytes, str]:
    """An officer's photo bytes and content type, for callers who may see the officer."""
    officer = get_officer(scope, officer_id)
    if not officer.photo:
        raise NotFound("photo")
    with officer.photo.open("rb") as fh:
        content = fh.read()
    kind = rules.photo_type(content)
    return content, kind[1] if kind else "application/octet-stream"


def add_assignment(
    scope: Scope,
    officer_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    position: str,
    start: dt.date,
    note: str = "",
    today: dt.date,
) -> Assignment:
    """Post an officer to a unit from ``start``; the posting in force then is closed at ``start``."""
    _require_editor(scope)
    officer = get_officer(scope, officer_id)
    if scope.officer_id is not None and officer.pk == scope.officer_id:
        raise ValidationFailed(
            [FieldError("", _("you may not post yourself: another editor does"))]
        )
    unit = _editable_unit(scope, unit_id)
    return _post(officer, unit, position=position, start=start, note=note, today=today)


def _post(
    officer: Officer, unit: Unit, *, position: str, start: dt.date, note: str, today: dt.date
) -> Assignment:
    """The posting itself, once the caller's right to make it is settled (``add_assignment``, or a
    granted request to stay on secondment)."""
    history = list(Assignment.objects.filter(officer=officer).select_for_update())
    new = rules.Period(start, None)
    errors = rules.check_assignment(
        new,
        [rules.Period(a.start, a.end) for a in history],
        hire_date=officer.hire_date,
        today=today,
    )
    if not position.strip():
        errors.append(FieldError("position", _("is required")))
    if errors:
        raise ValidationFailed(errors)
    for a in history:
        if a.end is None:
            a.end = start
            a.save(update_fields=["end", "updated_at"])
    assignment = Assignment.objects.create(
        bureau_id=officer.bureau_id,
        officer=officer,
        unit=unit,
        position=position.strip(),
        start=start,
        note=note,
    )
    refresh_current_unit(officer, today)
    return assignment


def _in_force(postings: Iterable[Assignment], today: dt.date) -> tuple[uuid.UUID | None, str]:
    """(unit, position) of the posting in force on ``today``, or (None, "")."""
    history = {str(a.pk): a for a in postings}
    key = rules.current_period({k: rules.Period(a.start, a.end) for k, a in history.items()}, today)
    return (history[key].unit_id, history[key].position) if key else (None, "")


def refresh_current_unit(officer: Officer, today: dt.date) -> None:
    """Derive the officer's current unit and position from the assignment history."""
    unit_id, position = _in_force(Assignment.objects.filter(officer=officer), today)
    if officer.current_unit_id != unit_id or officer.current_position != position:
        officer.current_unit_id = unit_id
        officer.current_position = position
        officer.save(update_fields=["current_unit", "current_position", "updated_at"])


def bulk_load(
    *,
    bureau_id: uuid.UUID,
    officers: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    today: dt.date,
    batch_size: int = 1000,
) -> None:
    """Trusted bulk insert for the demo loader (the caller records one audit entry for it).
    ``officers`` are Officer field dicts with an ``id``; ``assignments`` reference them by
    ``officer_id``. Current unit and position are derived here from the postings."""
    rows = [Officer(bureau_id=bureau_id, **o) for o in officers]
    posts = [Assignment(bureau_id=bureau_id, **a) for a in assignments]
    by_officer: dict[uuid.UUID, list[Assignment]] = {}
    for a in posts:
        by_officer.setdefault(a.officer_id, []).append(a)
    for o in rows:
        unit_id, position = _in_force(by_officer.get(o.pk, []), today)
        if unit_id is not None:
            o.current_unit_id, o.current_position = unit_id, position
    Officer.objects.bulk_create(rows, batch_size=batch_size)
    Assignment.objects.bulk_create(posts, batch_size=batch_size)


def officer_ids_by_number(bureau_id: uuid.UUID, numbers: list[str]) -> dict[str, uuid.UUID]:
    return dict(
        Officer.objects.filter(bureau_id=bureau_id, police_number__in=numbers).values_list(
            "police_number", "id"
        )
    )


def scoped_officer_ids_by_number(scope: Scope, numbers: list[str]) -> dict[str, uuid.UUID]:
    """Police number → id for the officers the caller may see. A number outside the scope is
    missing, like one that does not exist: a form must not tell the two apart (that would let a
    unit chief learn which numbers exist elsewhere)."""
    return dict(
        scope_officers(scope).filter(police_number__in=numbers).values_list("police_number", "id")
    )


def officer_in_bureau(bureau_id: uuid.UUID, officer_id: uuid.UUID) -> Officer:
    """An officer of the bureau, whoever's unit (a mentor may come from headquarters)."""
    return Officer.objects.get(bureau_id=bureau_id, pk=officer_id)


# --- summaries --------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkforceSummary:
    officers: int
    units: int
    over_50: int
    average_age: float
    second_line: int
    by_post_type: list[tuple[str, int]]
    by_age_band: list[tuple[str, int]]

    @property
    def over_50_share(self) -> float:
        return self.over_50 / self.officers if self.officers else 0.0


def workforce_summary(scope: Scope, *, today: dt.date) -> WorkforceSummary:
    rows = list(
        scope_officers(scope)
        .exclude(status=rules.OfficerStatus.RETIRED)
        .values_list("birth_date", "post_type", "status")
    )
    ages = [rules.age_on(b, today) for b, _p, _s in rows]
    posts: dict[str, int] = {}
    bands: dict[str, int] = {b.value: 0 for b in rules.AgeBand}
    for birth, post, _s in rows:
        posts[post] = posts.get(post, 0) + 1
        bands[rules.age_band(birth, today).value] += 1
    return WorkforceSummary(
        officers=len(rows),
        units=scope_units(scope).count(),
        over_50=sum(1 for a in ages if a >= 50),
        average_age=round(sum(ages) / len(ages), 1) if ages else 0.0,
        second_line=sum(1 for *_x, s in rows if s == rules.OfficerStatus.SECOND_LINE),
        by_post_type=sorted(posts.items(), key=lambda kv: -kv[1]),
        by_age_band=list(bands.items()),
    )


def refresh_current_units(*, bureau_id: uuid.UUID | None = None, today: dt.date) -> int:
    """Re-derive every officer's current unit from the postings (for postings dated ahead that have
    since come into force). Returns how many officers changed."""
    officers = Officer.objects.all()
    postings = Assignment.objects.all()
    if bureau_id is not None:
        officers, postings = (
            officers.filter(bureau_id=bureau_id),
            postings.filter(bureau_id=bureau_id),
        )
    history: dict[uuid.UUID, list[Assignment]] = {}
    for a in postings.only("id", "officer_id", "unit_id", "position", "start", "end"):
        history.setdefault(a.officer_id, []).append(a)
    changed = 0
    for officer in officers.only("id", "current_unit_id", "current_position"):
        unit_id, position = _in_force(history.get(officer.pk, []), today)
        if (officer.current_unit_id, officer.current_position) != (unit_id, position):
            officer.current_unit_id, officer.current_position = unit_id, position
            officer.save(update_fields=["current_unit", "current_position", "updated_at"])
            changed += 1
    return changed
