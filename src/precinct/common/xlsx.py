"""Excel sheets that hold what users typed: as text, never as formulas, and without the control
characters the file format cannot carry."""

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet


def cell(value: Any) -> Any:
    """A value for ``Worksheet.append``: text loses control characters the format forbids."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def row(values: list[Any]) -> list[Any]:
    return [cell(v) for v in values]


def no_formulas(ws: Worksheet) -> None:
    """Every cell openpyxl took for a formula (text starting with "=") becomes plain text again:
    a deed, a name or a reason typed as "=HYPERLINK(…)" must not run in finance's Excel. No sheet
    of precinct's contains a formula of its own."""
    for line in ws.iter_rows():
        for c in line:
            if c.data_type == "f":
                c.data_type = "s"
