"""The standard address register (标准地址): a street and a house number name a point. Pure:
reading the register's rows, and splitting what a dispatcher types into street and number."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

MAX_STREET = 60
MAX_NUMBER = 16
MAX_ROWS = 200_000
COLUMNS = ("street", "number", "lon", "lat")  # 街路巷, 门牌号, 经度, 纬度
HEADERS = {  # a header cell, as a user may write it → the column
    "street": "street", "街路巷": "street", "街道": "street", "道路": "street",
    "number": "number", "门牌号": "number", "門牌號": "number", "门牌": "number",
    "lon": "lon", "经度": "lon", "經度": "lon", "longitude": "lon",
    "lat": "lat", "纬度": "lat", "緯度": "lat", "latitude": "lat",
}  # fmt: skip
_NUMBER_END = re.compile(r"(\d+(?:-\d+)?)\s*号?\s*(?:附近)?$")


@dataclass(frozen=True)
class AddressRow:
    street: str
    number: str
    lon: float
    lat: float

    @property
    def label(self) -> str:
        return f"{self.street}{self.number}号"


def normalise(text: Any) -> str:
    """Full-width letters and digits as plain ones, no spaces: how the register keeps a name."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def split_query(text: str) -> tuple[str, str]:
    """What a dispatcher typed, as (street, house number): "红军路12号" → ("红军路", "12");
    "红军路" → ("红军路", ""); "12" → ("", "12")."""
    clean = normalise(text)
    found = _NUMBER_END.search(clean)
    if found is None:
        return clean.removesuffix("附近"), ""
    return clean[: found.start()], found.group(1)


def _column_of(header: Sequence[Any]) -> dict[str, int]:
    where: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = HEADERS.get(normalise(cell).lower())
        if name is not None and name not in where:
            where[name] = i
    return where


def _number(value: Any) -> float | None:
    try:
        x = float(normalise(value))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_rows(header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]]) -> list[AddressRow]:
    """The register's rows (with their line numbers in the file), all checked: every bad row is
    named with its field, and nothing is returned unless all are right (one point a street and
    number)."""
    where = _column_of(header)
    missing = [c for c in COLUMNS if c not in where]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "header",
                    _("the first row must name the columns %(columns)s"),
                    1,
                    {"columns": "街路巷, 门牌号, 经度, 纬度"},
                )
            ]
        )
    errors: list[FieldError] = []
    out: list[AddressRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in rows:
        cells = list(values) + [None] * (len(header) - len(values))
        if all(normalise(c) == "" for c in cells):
            continue
        street = normalise(cells[where["street"]])
        number = normalise(cells[where["number"]]).removesuffix("号")
        lon, lat = _number(cells[where["lon"]]), _number(cells[where["lat"]])
        if not street or len(street) > MAX_STREET:
            errors.append(FieldError("street", _("1 to 60 characters"), line))
        if not number or len(number) > MAX_NUMBER:
            errors.append(FieldError("number", _("1 to 16 characters"), line))
        if lon is None or not -180 <= lon <= 180:
            errors.append(FieldError("lon", _("a longitude, -180 to 180"), line))
        if lat is None or not -90 <= lat <= 90:
            errors.append(FieldError("lat", _("a latitude, -90 to 90"), line))
        key = (street, number)
        if key in seen and street and number:
            errors.append(
                FieldError(
                    "number",
                    _("%(address)s is already on row %(row)s"),
                    line,
                    {"address": f"{street}{number}号", "row": seen[key]},
                )
            )
        seen.setdefault(key, line)
        if lon is not None and lat is not None:
            out.append(AddressRow(street, number, lon, lat))
        if len(out) > MAX_ROWS:
            errors.append(FieldError("file", _("at most 200,000 addresses"), line))
            break
    if errors:
        raise ValidationFailed(errors)
    if not out:
        raise ValidationFailed([FieldError("file", _("no addresses in the file"))])
    return out
