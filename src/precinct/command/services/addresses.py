"""The standard address register: imported whole, searched as the dispatcher types."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Iterable
from typing import Any

from precinct.common import transactions, xlsx
from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.core.scoping import Scope
from precinct.geo.rules import crs as coordinates

from ..models import AddressPoint
from ..rules.addresses import AddressRow, read_rows, split_query
from ._common import _require_command

MAX_SUGGESTIONS = 10


def _rows_of(content: bytes, filename: str) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """The header and the numbered rows of a CSV (UTF-8, with or without BOM) or Excel file."""
    if filename.lower().endswith(".xlsx"):
        wb = xlsx.open_upload(content)  # within the limits on unpacked size and cells
        lines: Iterable[Any] = xlsx.rows(wb.worksheets[0])
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed([FieldError("file", _("not UTF-8 text (CSV)"))]) from exc
        lines = csv.reader(io.StringIO(text))
    it = iter(lines)
    header = list(next(it, []) or [])
    return header, [(n, list(r)) for n, r in enumerate(it, start=2)]


@transactions.inside
def replace_register(bureau_id: uuid.UUID, rows: list[AddressRow]) -> int:
    """The bureau's register becomes ``rows``, all of them or none (the caller's transaction)."""
    AddressPoint.objects.filter(bureau_id=bureau_id).delete()
    AddressPoint.objects.bulk_create(
        [
            AddressPoint(
                bureau_id=bureau_id, street=r.street, number=r.number, lon=r.lon, lat=r.lat
            )
            for r in rows
        ],
        batch_size=5000,
    )
    return len(rows)


def import_register(
    scope: Scope, content: bytes, *, filename: str, crs: str = coordinates.DEFAULT
) -> int:
    """Replace the register from a file (columns 街路巷, 门牌号, 经度, 纬度): every bad row named,
    nothing written unless all are right. The command centre keeps it. ``crs``: the coordinate
    system of the file's positions (a register drawn on a Chinese web map is GCJ-02); they are
    stored in WGS-84 (ADR 0038)."""
    _require_command(scope)
    assert scope.bureau_id is not None
    header, rows = _rows_of(content, filename)
    system = coordinates.Crs(crs)
    register = [
        dataclasses.replace(r, lon=lon, lat=lat)
        for r in read_rows(header, rows)
        for lon, lat in [coordinates.to_wgs84(r.lon, r.lat, system)]
    ]
    return replace_register(scope.bureau_id, register)


def suggest(scope: Scope, text: str, *, limit: int = MAX_SUGGESTIONS) -> list[AddressRow]:
    """Register entries for what the dispatcher has typed so far: the street's name begins with
    (or holds) the typed street, and the number begins with the typed number; the closest
    matches first (a whole number before its longer neighbours)."""
    _require_command(scope)
    assert scope.bureau_id is not None
    street, number = split_query(text[:100])
    if not street and not number:
        return []
    qs = AddressPoint.objects.filter(bureau_id=scope.bureau_id)
    if street:
        qs = qs.filter(street__contains=street)  # those that begin with it rank first
    if number:
        qs = qs.filter(number__startswith=number)
    found = qs.values_list("street", "number", "lon", "lat")[: limit * 20]
    ranked = sorted(
        found,
        key=lambda r: (
            not r[0].startswith(street),
            r[1] != number,
            len(r[0]),
            r[0],
            len(r[1]),
            r[1],
        ),
    )
    return [AddressRow(*r) for r in ranked[:limit]]
