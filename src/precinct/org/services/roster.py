"""The roster workbook: export, template and the all-or-nothing import."""

import datetime as dt
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from precinct.common import transactions, xlsx
from precinct.core import capabilities as can
from precinct.core.errors import FieldError, PermissionDenied, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope

from .. import rules
from ..models import Assignment, Officer
from ._common import scope_officers
from .officers import _apply, _fields, add_assignment, refresh_current_unit
from .units import units_by_code


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
PROGRESS_EVERY = 250  # rows between two progress reports of a roster being read


def _importer_bureau(scope: Scope) -> uuid.UUID:
    """The importing caller's bureau: only the political department imports the roster."""
    if scope.role not in can.ROSTER_IMPORTERS:
        raise PermissionDenied("only the political department imports the roster")
    assert scope.bureau_id is not None
    return scope.bureau_id


@dataclass(frozen=True)
class RosterSheet:
    """A roster workbook read and its rows checked (nothing written yet)."""

    rows: list[rules.RosterRow]
    seen: dict[str, int]  # police number → its row


Progress = Callable[[int, int], None]


def import_roster(scope: Scope, content: bytes, *, today: dt.date) -> ImportResult:
    """Create or update officers from a roster workbook. All rows are checked first; if any row is
    bad, nothing is written and every error is reported with its row and column."""
    return apply_roster(scope, read_roster(scope, content, today=today), today=today)


def read_roster(
    scope: Scope, content: bytes, *, today: dt.date, progress: Progress | None = None
) -> RosterSheet:
    """The workbook's rows, each checked on its own (``progress(rows read, rows in all)`` as it
    goes); writes nothing, so an import job reads outside its transaction."""
    bureau_id = _importer_bureau(scope)
    wb = xlsx.open_upload(content)  # within the limits on unpacked size and cells
    try:
        parsed, seen = _read_roster(wb, bureau_id, today, progress)
    except ValidationFailed:
        raise
    except Exception as exc:  # a damaged sheet is found only while its rows are read
        raise ValidationFailed([FieldError("file", _("not an Excel workbook (.xlsx)"))]) from exc
    return RosterSheet(parsed, seen)


@transactions.inside
def apply_roster(scope: Scope, sheet: RosterSheet, *, today: dt.date) -> ImportResult:
    """Write a checked roster, all or nothing: each officer's new posting is checked against his
    history first (in this transaction), and nothing is written if any row is refused."""
    bureau_id = _importer_bureau(scope)
    parsed, seen = sheet.rows, sheet.seen
    units = units_by_code(bureau_id)
    existing = {
        o.police_number: o
        for o in Officer.objects.filter(bureau_id=bureau_id, police_number__in=list(seen))
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
            officer = Officer(bureau_id=bureau_id)
            _apply(officer, row.officer)
            officer.save()
            Assignment.objects.create(
                bureau_id=bureau_id,
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
    wb: Any, bureau_id: uuid.UUID, today: dt.date, progress: Progress | None = None
) -> tuple[list[rules.RosterRow], dict[str, int]]:
    """The first sheet's header and rows, checked."""
    ws = wb.worksheets[0]
    total = max((ws.max_row or 1) - 1, 1)  # the sheet's own dimension: an estimate, may be off
    rows = xlsx.rows(ws)
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

    return _check_roster_rows(bureau_id, columns, rows, today, progress, total)


def _check_roster_rows(
    bureau_id: uuid.UUID,
    columns: list[str | None],
    rows: Any,
    today: dt.date,
    progress: Progress | None = None,
    total: int = 1,
) -> tuple[list[rules.RosterRow], dict[str, int]]:
    """Parse and check every data row; raise with all the errors, naming rows and columns."""
    units = units_by_code(bureau_id)
    errors: list[FieldError] = []
    parsed: list[rules.RosterRow] = []
    seen: dict[str, int] = {}
    for row_no, values in enumerate(rows, start=2):
        if progress is not None and row_no % PROGRESS_EVERY == 0:
            progress(row_no - 1, max(total, row_no - 1))
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
