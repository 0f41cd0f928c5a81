"""Organisation use cases. Every query goes through ``scope_officers`` / ``scope_units``: the one
place where the caller's role, bureau and unit decide what is visible."""

import datetime as dt
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from precinct.common import xlsx
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Role, Scope

from . import rules
from .models import Assignment, Bureau, Officer, Secondment, Unit


# --- scoping: the one helper ------------------------------------------------------------
def scope_units(scope: Scope) -> QuerySet[Unit]:
    if not scope.reads_business_data or scope.bureau_id is None:
        return Unit.objects.none()
    qs = Unit.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(path__startswith=scope.unit_subtree)
    return qs.none()


def scope_officers(scope: Scope) -> QuerySet[Officer]:
    if not scope.reads_business_data or scope.bureau_id is None:
        return Officer.objects.none()
    qs = Officer.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        if scope.today is None:
            return qs.filter(current_unit__path__startswith=scope.unit_subtree)
        # Everyone with a posting in the subtree that has not ended: current staff and incoming
        # officers whose posting starts later; those posted away leave on the day it ends.
        postings = Assignment.objects.filter(
            officer=OuterRef("pk"), unit__path__startswith=scope.unit_subtree
        ).filter(Q(end__isnull=True) | Q(end__gt=scope.today))
        return qs.filter(Exists(postings))
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(pk=scope.officer_id)
    return qs.none()


def _require_editor(scope: Scope) -> None:
    if not scope.can_edit_people:
        raise PermissionDenied("this role may not change officers' records")


def _editable_unit(scope: Scope, unit_id: uuid.UUID) -> Unit:
    unit = scope_units(scope).filter(pk=unit_id).first()
    if unit is None:
        raise ValidationFailed([FieldError("unit", _("unknown unit, or outside your scope"))])
    return unit


# --- units ------------------------------------------------------------------------------
def unit_path(unit_id: uuid.UUID) -> str | None:
    return Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()


@dataclass
class UnitNode:
    unit: Unit
    officers: int
    children: list["UnitNode"] = field(default_factory=list)

    @property
    def total_officers(self) -> int:
        return self.officers + sum(c.total_officers for c in self.children)


def unit_tree(scope: Scope) -> list[UnitNode]:
    """The visible units as a forest (roots: the topmost visible units), with officer counts."""
    units = list(scope_units(scope).order_by("path", "sort_order"))
    counts = dict(
        scope_officers(scope)
        .exclude(status=rules.OfficerStatus.RETIRED)
        .values_list("current_unit")
        .annotate(n=Count("id"))
        .values_list("current_unit", "n")
    )
    nodes = {u.pk: UnitNode(u, counts.get(u.pk, 0)) for u in units}
    roots: list[UnitNode] = []
    for u in units:
        parent = nodes.get(u.parent_id) if u.parent_id else None
        (parent.children if parent else roots).append(nodes[u.pk])
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.unit.sort_order, n.unit.code))
    return roots


def list_units(scope: Scope) -> QuerySet[Unit]:
    return scope_units(scope).order_by("path")


def create_unit(
    *,
    bureau_id: uuid.UUID,
    kind: rules.UnitKind,
    code: str,
    name: str,
    parent_id: uuid.UUID | None,
    area_km2: float | None = None,
    sort_order: int = 0,
) -> Unit:
    parent = Unit.objects.filter(pk=parent_id, bureau_id=bureau_id).first() if parent_id else None
    errors = rules.check_unit_parent(kind, rules.UnitKind(parent.kind) if parent else None)
    if not rules.UNIT_CODE.match(code):
        errors.append(FieldError("code", _("letters, digits, '-' and '_' only (1–32)")))
    if Unit.objects.filter(bureau_id=bureau_id, code=code).exists():
        errors.append(FieldError("code", _("unit code %(code)s is taken"), params={"code": code}))
    if errors:
        raise ValidationFailed(errors)
    return Unit.objects.create(
        bureau_id=bureau_id,
        kind=kind.value,
        code=code,
        name=name,
        parent=parent,
        path=rules.child_path(parent.path if parent else "/", code),
        area_km2=area_km2,
        sort_order=sort_order,
    )


def create_bureau(*, code: str, name: str, time_zone: str = "Asia/Shanghai") -> Bureau:
    return Bureau.objects.create(code=code, name=name, time_zone=time_zone)


def bureau_id_by_code(code: str) -> uuid.UUID | None:
    return Bureau.objects.filter(code=code).values_list("pk", flat=True).first()


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
    from .models import POST_TYPE_LABELS

    return dict(POST_TYPE_LABELS)


def bureau_ids() -> list[uuid.UUID]:
    return list(Bureau.objects.order_by("pk").values_list("pk", flat=True))


def first_bureau() -> Bureau | None:
    return Bureau.objects.order_by("created_at").first()


def unit_choices(bureau_id: uuid.UUID | None) -> QuerySet[Unit]:
    """Units an account may be attached to (names only; for account administration)."""
    if bureau_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(bureau_id=bureau_id).order_by("path")


def bureau_choices(bureau_id: uuid.UUID | None) -> QuerySet[Bureau]:
    return Bureau.objects.filter(pk=bureau_id) if bureau_id else Bureau.objects.none()


def police_number_of(officer_id: uuid.UUID) -> str:
    return (
        Officer.objects.filter(pk=officer_id).values_list("police_number", flat=True).first() or ""
    )


def units_by_code(bureau_id: uuid.UUID) -> dict[str, Unit]:
    return {u.code: u for u in Unit.objects.filter(bureau_id=bureau_id)}


# --- officers ---------------------------------------------------------------------------
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


# --- roster workbook --------------------------------------------------------------------
def export_roster(scope: Scope, *, today: dt.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append([label for _f, label in rules.ROSTER_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    qs = scope_officers(scope).select_related("current_unit").order_by("police_number")
    starts = dict(
        Assignment.objects.filter(officer__in=qs, end__isnull=True).values_list(
            "officer_id", "start"
        )
    )
    for o in qs.iterator(chunk_size=2000):
        ws.append(
            xlsx.row(
                [
                    o.police_number,
                    o.name,
                    rules.ROSTER_LABELS["gender"][o.gender],
                    o.birth_date,
                    o.hire_date,
                    o.rank,
                    rules.ROSTER_LABELS["post_type"][o.post_type],
                    rules.ROSTER_LABELS["status"][o.status],
                    rules.ROSTER_LABELS["party"][o.party],
                    o.current_unit.code if o.current_unit else "",
                    o.current_position,
                    starts.get(o.pk),
                ]
            )
        )
    for col, width in zip(
        "ABCDEFGHIJKL", (10, 10, 6, 12, 14, 10, 10, 10, 14, 12, 12, 12), strict=True
    ):
        ws.column_dimensions[col].width = width
        for cell in ws[col][1:]:
            if col in "DEL":
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    xlsx.no_formulas(ws)  # names and positions are typed by people
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roster_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append([label for _f, label in rules.ROSTER_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    moved: int


MAX_ROSTER_ROWS = 20000


def import_roster(scope: Scope, content: bytes, *, today: dt.date) -> ImportResult:
    """Create or update officers from a roster workbook. All rows are checked first; if any row is
    bad, nothing is written and every error is reported with its row and column."""
    from openpyxl import load_workbook

    if scope.role != Role.POLITICAL_DEPT:
        raise PermissionDenied("only the political department imports the roster")
    assert scope.bureau_id is not None
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed([FieldError("file", _("not an Excel workbook (.xlsx)"))]) from exc
    try:
        parsed, seen = _read_roster(wb, scope.bureau_id, today)
    except ValidationFailed:
        raise
    except Exception as exc:  # a damaged sheet is found only while its rows are read
        raise ValidationFailed([FieldError("file", _("not an Excel workbook (.xlsx)"))]) from exc
    units = units_by_code(scope.bureau_id)
    existing = {
        o.police_number: o
        for o in Officer.objects.filter(bureau_id=scope.bureau_id, police_number__in=list(seen))
    }
    histories: dict[uuid.UUID, list[rules.Period]] = {}
    for a in Assignment.objects.filter(officer__in=list(existing.values())):
        histories.setdefault(a.officer_id, []).append(rules.Period(a.start, a.end))
    errors: list[FieldError] = []
    for row in parsed:
        officer = existing.get(row.officer.police_number)
        history = histories.get(officer.pk, []) if officer else []
        moves = officer is None or (
            officer.current_unit_id != units[row.unit_code].pk
            or officer.current_position != row.position
        )
        if moves:
            problems = rules.check_assignment(
                rules.Period(row.start or today, None),
                history,
                hire_date=row.officer.hire_date,
                today=today,
            )
            errors += [
                FieldError("任职日期", e.message, row=row.row, params=e.params) for e in problems
            ]
    if errors:
        raise ValidationFailed(errors)

    created = updated = moved = 0
    for row in parsed:
        unit = units[row.unit_code]
        officer = existing.get(row.officer.police_number)
        if officer is None:
            officer = Officer(bureau_id=scope.bureau_id)
            _apply(officer, row.officer)
            officer.save()
            Assignment.objects.create(
                bureau_id=scope.bureau_id,
                officer=officer,
                unit=unit,
                position=row.position,
                start=row.start or today,
            )
            refresh_current_unit(officer, today)
            created += 1
            continue
        before = _fields(officer)
        _apply(officer, row.officer)
        if _fields(officer) != before:
            officer.save()
            updated += 1
        if officer.current_unit_id != unit.pk or officer.current_position != row.position:
            add_assignment(
                scope,
                officer.pk,
                unit_id=unit.pk,
                position=row.position,
                start=row.start or today,
                note="roster import",
                today=today,
            )
            moved += 1
    return ImportResult(created, updated, moved)


def _read_roster(
    wb: Any, bureau_id: uuid.UUID, today: dt.date
) -> tuple[list[rules.RosterRow], dict[str, int]]:
    """The first sheet's header and rows, checked."""
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ValidationFailed([FieldError("file", _("the workbook is empty"))])
    by_label = {label: f for f, label in rules.ROSTER_COLUMNS}
    by_field = {f: f for f, _label in rules.ROSTER_COLUMNS}
    columns = [
        by_label.get(str(h).strip(), by_field.get(str(h).strip())) if h else None for h in header
    ]
    missing = [
        label
        for f, label in rules.ROSTER_COLUMNS
        if f not in columns and f not in rules.ROSTER_OPTIONAL
    ]
    if missing:
        raise ValidationFailed(
            [FieldError(m, _("column is missing from the header row"), row=1) for m in missing]
        )

    return _check_roster_rows(bureau_id, columns, rows, today)


def _check_roster_rows(
    bureau_id: uuid.UUID, columns: list[str | None], rows: Any, today: dt.date
) -> tuple[list[rules.RosterRow], dict[str, int]]:
    """Parse and check every data row; raise with all the errors, naming rows and columns."""
    units = units_by_code(bureau_id)
    errors: list[FieldError] = []
    parsed: list[rules.RosterRow] = []
    seen: dict[str, int] = {}
    for row_no, values in enumerate(rows, start=2):
        if row_no - 1 > MAX_ROSTER_ROWS:
            raise ValidationFailed(
                [FieldError("file", _("more than %(n)s rows"), params={"n": MAX_ROSTER_ROWS})]
            )
        if values is None or all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue
        raw = {f: v for f, v in zip(columns, values, strict=False) if f}
        row, row_errors = rules.parse_roster_row(row_no, raw, today)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.unit_code not in units:
            errors.append(
                FieldError(
                    "单位代码",
                    _("unknown unit code %(code)s"),
                    row=row_no,
                    params={"code": row.unit_code},
                )
            )
        number = row.officer.police_number
        if number in seen:
            errors.append(
                FieldError(
                    "警号", _("duplicate of row %(row)s"), row=row_no, params={"row": seen[number]}
                )
            )
        seen[number] = row_no
        parsed.append(row)
    if errors:
        raise ValidationFailed(errors)
    if not parsed:
        raise ValidationFailed([FieldError("file", _("no data rows"))])
    return parsed, seen


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


# --- secondments (动态用警) ---------------------------------------------------------------
# The political department plans secondments and records what happens to them; the bureau's
# leadership approves them and decides requests to stay (a stay changes the establishment).
SECONDMENT_PLANNERS = frozenset({Role.POLITICAL_DEPT})
SECONDMENT_APPROVERS = frozenset({Role.LEADERSHIP})
STAY_NOTE = "stayed after secondment"


def scope_secondments(scope: Scope) -> QuerySet[Secondment]:
    """The one scoping helper for secondments: the bureau-wide roles see the bureau's; a unit chief
    those from or to a unit of his subtree and those of the officers he sees; an officer his own."""
    if not scope.reads_business_data or scope.bureau_id is None:
        return Secondment.objects.none()
    qs = Secondment.objects.filter(bureau_id=scope.bureau_id)
    if scope.whole_bureau:
        return qs
    if scope.unit_subtree is not None:
        return qs.filter(
            Q(from_unit__path__startswith=scope.unit_subtree)
            | Q(to_unit__path__startswith=scope.unit_subtree)
            | Q(officer__in=scope_officers(scope).values("pk"))
        )
    if scope.self_only and scope.officer_id is not None:
        return qs.filter(officer_id=scope.officer_id)
    return qs.none()


def _require_role(scope: Scope, roles: frozenset[Role], what: str) -> None:
    if scope.role not in roles:
        raise PermissionDenied(f"this role may not {what}")


def _who(scope: Scope) -> str:
    return str(scope.user_id or "system")


@dataclass(frozen=True)
class SecondmentFilter:
    status: str = ""
    from_unit_id: uuid.UUID | None = None
    to_unit_id: uuid.UUID | None = None
    officer_id: uuid.UUID | None = None
    q: str = ""


def list_secondments(scope: Scope, flt: SecondmentFilter | None = None) -> QuerySet[Secondment]:
    flt = flt or SecondmentFilter()
    qs = scope_secondments(scope).select_related("officer", "from_unit", "to_unit")
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.from_unit_id:
        qs = qs.filter(from_unit_id=flt.from_unit_id)
    if flt.to_unit_id:
        qs = qs.filter(to_unit_id=flt.to_unit_id)
    if flt.officer_id:
        qs = qs.filter(officer_id=flt.officer_id)
    q = flt.q.strip()
    if q:
        qs = qs.filter(Q(officer__name__icontains=q) | Q(officer__police_number__startswith=q))
    return qs.order_by("-start", "officer__police_number", "pk")


def get_secondment(scope: Scope, secondment_id: uuid.UUID) -> Secondment:
    found = (
        scope_secondments(scope)
        .select_related("officer", "from_unit", "to_unit")
        .filter(pk=secondment_id)
        .first()
    )
    if found is None:
        raise NotFound("secondment")
    return found


def officer_secondments(scope: Scope, officer_id: uuid.UUID) -> list[Secondment]:
    """An officer's rotation history, oldest first (for those who may see the officer)."""
    officer = get_officer(scope, officer_id)
    return list(
        scope_secondments(scope)
        .filter(officer=officer)
        .select_related("from_unit", "to_unit")
        .order_by("start", "pk")
    )


def officer_by_number(scope: Scope, police_number: str) -> uuid.UUID | None:
    """The id of an officer the caller may see, by police number."""
    return (
        scope_officers(scope)
        .filter(police_number=police_number.strip())
        .values_list("pk", flat=True)
        .first()
    )


def _open_periods(officer: Officer, *, exclude: uuid.UUID | None = None) -> list[rules.Period]:
    qs = Secondment.objects.filter(officer=officer, status__in=rules.OPEN_SECONDMENTS)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return [rules.Period(a, b) for a, b in qs.values_list("start", "planned_end")]


def _draft(
    officer: Officer,
    from_unit: Unit,
    to_unit: Unit,
    *,
    start: dt.date,
    planned_end: dt.date,
    purpose: str,
) -> rules.SecondmentDraft:
    posted_unit, _position = _in_force(Assignment.objects.filter(officer=officer), start)
    return rules.SecondmentDraft(
        from_unit=from_unit.pk,
        from_kind=rules.UnitKind(from_unit.kind),
        to_kind=rules.UnitKind(to_unit.kind),
        start=start,
        planned_end=planned_end,
        purpose=purpose,
        posted_unit=posted_unit,
        officer_status=rules.OfficerStatus(officer.status),
    )


def plan_secondment(
    scope: Scope,
    *,
    officer_id: uuid.UUID,
    from_unit_id: uuid.UUID,
    to_unit_id: uuid.UUID,
    start: dt.date,
    planned_end: dt.date,
    purpose: str,
    today: dt.date,
) -> Secondment:
    """Plan a secondment (it counts once the leadership approves it)."""
    _require_role(scope, SECONDMENT_PLANNERS, "plan secondments")
    officer = scope_officers(scope).select_for_update().filter(pk=officer_id).first()
    units = {u.pk: u for u in scope_units(scope).filter(pk__in=[from_unit_id, to_unit_id])}
    from_unit, to_unit = units.get(from_unit_id), units.get(to_unit_id)
    errors = []
    if officer is None:
        errors.append(FieldError("officer", _("unknown officer, or outside your scope")))
    if from_unit is None:
        errors.append(FieldError("from_unit", _("unknown unit, or outside your scope")))
    if to_unit is None:
        errors.append(FieldError("to_unit", _("unknown unit, or outside your scope")))
    if errors:
        raise ValidationFailed(errors)
    assert officer is not None and from_unit is not None and to_unit is not None
    draft = _draft(
        officer, from_unit, to_unit, start=start, planned_end=planned_end, purpose=purpose
    )
    errors = rules.check_secondment(draft, _open_periods(officer), today=today)
    if errors:
        raise ValidationFailed(errors)
    return Secondment.objects.create(
        bureau_id=officer.bureau_id,
        officer=officer,
        from_unit=from_unit,
        to_unit=to_unit,
        start=start,
        planned_end=planned_end,
        purpose=purpose.strip(),
        status=rules.SecondmentStatus.PLANNED,
        planned_by=_who(scope),
    )


def _locked(scope: Scope, secondment_id: uuid.UUID) -> Secondment:
    """The secondment, in scope, its row locked for the change."""
    found = (
        scope_secondments(scope)
        .select_for_update()
        .select_related("officer", "from_unit", "to_unit")
        .filter(pk=secondment_id)
        .first()
    )
    if found is None:
        raise NotFound("secondment")
    return found


def _move(s: Secondment, target: rules.SecondmentStatus) -> None:
    errors = rules.check_move(rules.SecondmentStatus(s.status), target)
    if errors:
        raise ValidationFailed(errors)


def approve_secondment(
    scope: Scope, secondment_id: uuid.UUID, *, today: dt.date, now: dt.datetime
) -> Secondment:
    """Approve a planned secondment: it is checked again (the officer's posting or his other
    secondments may have changed since it was planned)."""
    _require_role(scope, SECONDMENT_APPROVERS, "approve secondments")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.ACTIVE)
    draft = _draft(
        s.officer,
        s.from_unit,
        s.to_unit,
        start=s.start,
        planned_end=s.planned_end,
        purpose=s.purpose,
    )
    errors = rules.check_secondment(draft, _open_periods(s.officer, exclude=s.pk), today=today)
    if errors:
        raise ValidationFailed(errors)
    s.status = rules.SecondmentStatus.ACTIVE
    s.approved_by, s.approved_at = _who(scope), now
    s.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return s


def cancel_secondment(scope: Scope, secondment_id: uuid.UUID, *, note: str = "") -> Secondment:
    _require_role(scope, SECONDMENT_PLANNERS, "cancel secondments")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.CANCELLED)
    s.status, s.end_note = rules.SecondmentStatus.CANCELLED, note.strip()[:200]
    s.save(update_fields=["status", "end_note", "updated_at"])
    return s


def record_return(
    scope: Scope, secondment_id: uuid.UUID, *, on: dt.date, note: str = "", today: dt.date
) -> Secondment:
    """The officer came back to headquarters on ``on`` (his posting there never ended)."""
    _require_role(scope, SECONDMENT_PLANNERS, "record returns")
    s = _locked(scope, secondment_id)
    _move(s, rules.SecondmentStatus.RETURNED)
    errors = rules.check_end(s.start, on, today)
    if errors:
        raise ValidationFailed(errors)
    s.status, s.ended_on, s.end_note = rules.SecondmentStatus.RETURNED, on, note.strip()[:200]
    s.save(update_fields=["status", "ended_on", "end_note", "updated_at"])
    return s


def request_stay(
    scope: Scope, secondment_id: uuid.UUID, *, on: dt.date, note: str, today: dt.date
) -> Secondment:
    """Record the officer's request to stay in the receiving unit, for the leadership to decide."""
    _require_role(scope, SECONDMENT_PLANNERS, "record requests to stay")
    s = _locked(scope, secondment_id)
    errors = []
    if s.status != rules.SecondmentStatus.ACTIVE:
        errors.append(FieldError("status", _("only an officer on secondment can ask to stay")))
    elif s.stay_requested and not s.stay_decision:
        errors.append(FieldError("status", _("a request to stay is already waiting")))
    if on > today:
        errors.append(FieldError("on", _("is in the future")))
    elif on < s.start:
        errors.append(
            FieldError("on", _("is before the start %(start)s"), params={"start": str(s.start)})
        )
    if not note.strip():
        errors.append(FieldError("note", _("is required")))
    if errors:
        raise ValidationFailed(errors)
    s.stay_requested, s.stay_requested_on, s.stay_note = True, on, note.strip()[:200]
    s.stay_decision, s.stay_decided_by, s.stay_decided_on = "", "", None
    s.save(
        update_fields=[
            "stay_requested",
            "stay_requested_on",
            "stay_note",
            "stay_decision",
            "stay_decided_by",
            "stay_decided_on",
            "updated_at",
        ]
    )
    return s


def decide_stay(
    scope: Scope,
    secondment_id: uuid.UUID,
    *,
    grant: bool,
    on: dt.date,
    position: str = "",
    today: dt.date,
) -> Secondment:
    """Decide a request to stay. Granted, the secondment ends as "stayed" on ``on`` and the officer
    is posted to the receiving unit from that day (the posting in headquarters closes then);
    refused, the secondment goes on."""
    _require_role(scope, SECONDMENT_APPROVERS, "decide requests to stay")
    s = _locked(scope, secondment_id)
    if s.status != rules.SecondmentStatus.ACTIVE or not s.stay_requested or s.stay_decision:
        raise ValidationFailed([FieldError("status", _("no request to stay is waiting"))])
    s.stay_decided_by, s.stay_decided_on = _who(scope), on
    fields = ["stay_decision", "stay_decided_by", "stay_decided_on", "updated_at"]
    if not grant:
        if on > today:
            raise ValidationFailed([FieldError("on", _("is in the future"))])
        s.stay_decision = rules.StayDecision.REFUSED
        s.save(update_fields=fields)
        return s
    _move(s, rules.SecondmentStatus.STAYED)
    errors = rules.check_end(s.start, on, today)
    if errors:
        raise ValidationFailed(errors)
    s.stay_decision, s.status, s.ended_on = rules.StayDecision.GRANTED, "stayed", on
    s.save(update_fields=[*fields, "status", "ended_on"])
    try:
        _post(s.officer, s.to_unit, position=position, start=on, note=STAY_NOTE, today=today)
    except ValidationFailed as exc:  # name the decision's own field
        raise ValidationFailed(
            [
                FieldError("on" if e.field == "start" else e.field, e.message, e.row, e.params)
                for e in exc.errors
            ]
        ) from exc
    return s


@dataclass(frozen=True)
class DepartmentShare:
    unit_id: uuid.UUID
    name: str
    hq_officers: int
    seconded: int
    share: float


@dataclass(frozen=True)
class DeploymentSummary:
    goal: float
    hq_officers: int
    seconded: int
    share: float
    short_of_goal: int
    by_department: list[DepartmentShare]
    what_if: list[uuid.UUID]  # the planned secondments counted as if approved


def secondment_goal() -> float:
    return float(settings.PRECINCT_SECONDMENT_GOAL)


def deployment_summary(
    scope: Scope, *, today: dt.date, what_if: Iterable[uuid.UUID] = ()
) -> DeploymentSummary:
    """The live share of headquarters officers (active, posted in a headquarters department) on a
    secondment in force on ``today``, overall and by department, within the caller's scope. With
    ``what_if``, those planned secondments count as if approved and begun."""
    departments = list(
        scope_units(scope).filter(kind=rules.UnitKind.DEPARTMENT).order_by("sort_order", "path")
    )
    hq: dict[uuid.UUID, list[uuid.UUID]] = {d.pk: [] for d in departments}
    officers = scope_officers(scope).filter(
        status=rules.OfficerStatus.ACTIVE, current_unit_id__in=list(hq)
    )
    for officer_id, unit_id in officers.values_list("pk", "current_unit_id"):
        hq[unit_id].append(officer_id)
    assumed = set(what_if)
    S = rules.SecondmentStatus
    rows = Secondment.objects.filter(officer__in=officers.values("pk")).filter(
        Q(status=S.ACTIVE, start__lte=today)
        | Q(status__in=[S.RETURNED, S.STAYED], start__lte=today, ended_on__gt=today)
        | Q(status=S.PLANNED, pk__in=list(assumed))
    )
    found = list(rows.values_list("pk", "officer_id", "status", "start", "ended_on"))
    spans = [rules.SecondmentSpan(pk, o, S(st), start, end) for pk, o, st, start, end in found]
    share = rules.seconded_share(hq, spans, today, what_if=assumed)
    names = {d.pk: d.name for d in departments}
    goal = secondment_goal()
    return DeploymentSummary(
        goal=goal,
        hq_officers=share.hq_officers,
        seconded=share.seconded,
        share=share.share,
        short_of_goal=rules.short_of_goal(share.hq_officers, share.seconded, goal),
        by_department=[
            DepartmentShare(r.unit, names[r.unit], r.hq_officers, r.seconded, r.share)
            for r in share.by_unit
        ],
        what_if=sorted(pk for pk, _o, st, _s, _e in found if st == S.PLANNED),
    )


def deployment_units(scope: Scope) -> tuple[list[Unit], list[Unit]]:
    """(headquarters departments, grassroots units) in scope: the two ends of a secondment."""
    units = list(scope_units(scope).order_by("path"))
    return (
        sorted(
            (u for u in units if u.kind in rules.SECONDED_FROM),
            key=lambda u: (u.sort_order, u.path),
        ),
        [u for u in units if u.kind in rules.SECONDED_TO],
    )


def bulk_load_secondments(*, bureau_id: uuid.UUID, rows: list[dict[str, Any]]) -> int:
    """Trusted bulk insert for the demo loader (which records one audit entry for the load)."""
    Secondment.objects.bulk_create(
        [Secondment(bureau_id=bureau_id, **r) for r in rows], batch_size=1000
    )
    return len(rows)
