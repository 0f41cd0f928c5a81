"""The roster workbook: its columns and values, and one row cleaned into an officer and a posting."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _

from .officers import Gender, OfficerData, OfficerStatus, Party, PostType, check_officer
from .units import UNIT_CODE

# --- roster (Excel) -----------------------------------------------------------------------
# Column headers of the roster workbook, in order: (field, header). Headers are fixed Chinese
# labels so that a workbook exported in any UI language imports again.
ROSTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("police_number", "警号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("hire_date", "参加工作日期"),
    ("rank", "警衔"),
    ("post_type", "警种"),
    ("status", "状态"),
    ("party", "政治面貌"),
    ("unit_code", "单位代码"),
    ("position", "职务"),
    ("start", "任职日期"),
)
ROSTER_OPTIONAL = frozenset({"start", "party", "status"})

ROSTER_VALUES: dict[str, dict[str, str]] = {
    "gender": {"男": "M", "女": "F"},
    "post_type": {
        "社区民警": "community",
        "刑警": "criminal",
        "治安警": "public_order",
        "网警": "cyber",
        "交警": "traffic",
        "巡警": "patrol",
        "法制": "legal",
        "指挥": "command",
        "政工": "political",
        "其他": "other",
    },
    "status": {"在职": "active", "退居二线": "second_line", "退休": "retired"},
    "party": {
        "中共党员": "cpc_member",
        "中共预备党员": "cpc_probationary",
        "共青团员": "league",
        "群众": "none",
    },
}
ROSTER_LABELS: dict[str, dict[str, str]] = {
    field: {code: label for label, code in values.items()}
    for field, values in ROSTER_VALUES.items()
}


@dataclass(frozen=True)
class RosterRow:
    row: int
    officer: OfficerData
    unit_code: str
    position: str
    start: dt.date | None


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(text)


def parse_roster_row(
    row_no: int, raw: Mapping[str, object], today: dt.date
) -> tuple[RosterRow | None, list[FieldError]]:
    """Clean one roster row (header field → cell value); errors name the row and the column."""
    errors: list[FieldError] = []
    header = dict(ROSTER_COLUMNS)

    def err(field: str, message: str, **params: object) -> None:
        errors.append(FieldError(header.get(field, field), message, row=row_no, params=params))

    cells: dict[str, str] = {}
    dates: dict[str, dt.date] = {}
    for field, _label in ROSTER_COLUMNS:
        value = raw.get(field)
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty:
            if field not in ROSTER_OPTIONAL:
                err(field, _("is required"))
            continue
        if field in {"birth_date", "hire_date", "start"}:
            try:
                dates[field] = _as_date(value)
            except ValueError:
                err(field, _("%(value)s is not a date (YYYY-MM-DD)"), value=str(value))
            continue
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if field in ROSTER_VALUES:
            mapping = ROSTER_VALUES[field]
            if text in mapping:
                text = mapping[text]
            elif text not in mapping.values():
                err(
                    field,
                    _("%(value)s is not one of %(allowed)s"),
                    value=text,
                    allowed="、".join(mapping),
                )
                continue
        cells[field] = text
    if errors:
        return None, errors
    data = OfficerData(
        police_number=cells["police_number"].zfill(6)
        if cells["police_number"].isdigit()
        else cells["police_number"],
        name=cells["name"],
        gender=Gender(cells["gender"]),
        birth_date=dates["birth_date"],
        hire_date=dates["hire_date"],
        rank=cells["rank"],
        post_type=PostType(cells["post_type"]),
        status=OfficerStatus(cells.get("status", "active")),
        party=Party(cells.get("party", "none")),
    )
    for e in check_officer(data, today):
        err(e.field, e.message, **e.params)
    if not UNIT_CODE.match(cells["unit_code"]):
        err("unit_code", _("is not a unit code"))
    if len(cells["position"]) > 40:
        err("position", _("is longer than 40 characters"))
    if errors:
        return None, errors
    return RosterRow(row_no, data, cells["unit_code"], cells["position"], dates.get("start")), []
