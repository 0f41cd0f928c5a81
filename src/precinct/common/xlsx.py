"""Excel sheets that hold what users typed: as text, never as formulas, and without the control
characters the file format cannot carry; and uploaded workbooks opened within limits."""

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _


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


# --- uploaded workbooks, bounded before they are parsed (issue 18) -------------------------------
# An .xlsx is a zip of XML parts: a 99 KB file can unpack to a 100 MB cell, and a one-cell sheet
# can declare a range that openpyxl fills with millions of empty cells. Limits after Apache POI's
# (ZipSecureFile) and Excel's own; XML entity expansion is refused by expat (2.4+) itself.
MiB = 1024 * 1024
MAX_PARTS = 1_000  # parts (zip members) in the archive
MAX_PART_BYTES = 64 * MiB  # one part unpacked
MAX_UNPACKED_BYTES = 128 * MiB  # all parts unpacked
MAX_RATIO = 100  # unpacked / packed, for a part past RATIO_FROM_BYTES (POI's minimum inflate ratio)
RATIO_FROM_BYTES = MiB
MAX_ROWS = 1_048_576  # Excel's own
MAX_CELLS = 4_000_000  # rows × columns as openpyxl hands them over (a register's 1M rows × 4)
MAX_CELL_CHARS = 32_767  # Excel's own

NOT_A_WORKBOOK = _("not an Excel workbook (.xlsx)")


def _refuse(message: str, row: int | None = None, **params: object) -> ValidationFailed:
    return ValidationFailed([FieldError("file", message, row=row, params=params)])


def check_archive(content: bytes) -> None:
    """Refuse a workbook whose archive would unpack past the limits, from the sizes it states
    (zipfile never unpacks a part past the size it states: a part that understates its size
    fails its checksum when read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(NOT_A_WORKBOOK) from exc
    if len(parts) > MAX_PARTS:
        raise _refuse(_("the workbook has too many parts (more than %(max)s)"), max=MAX_PARTS)
    total = 0
    for part in parts:
        packed = max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * packed:
            raise _refuse(
                _("the workbook unpacks to more than %(ratio)s times its size: not an ordinary "
                  "workbook"),
                ratio=MAX_RATIO,
            )  # fmt: skip
        total += part.file_size
        if part.file_size > MAX_PART_BYTES or total > MAX_UNPACKED_BYTES:
            limit = MAX_PART_BYTES if part.file_size > MAX_PART_BYTES else MAX_UNPACKED_BYTES
            raise _refuse(
                _("the workbook is too large once unpacked (more than %(mb)s MB)"),
                mb=f"{limit / MiB:.3g}",
            )


def open_upload(content: bytes) -> Any:
    """An uploaded workbook, read-only and with cached values instead of formulas, once its
    archive is within the limits (:func:`check_archive`); read its rows with :func:`rows`."""
    from openpyxl import load_workbook

    check_archive(content)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # not a workbook after all: a damaged part, a missing one, …
        raise _refuse(NOT_A_WORKBOOK) from exc


def rows(ws: Any) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows as values (``iter_rows(values_only=True)``), refused as they are read past
    MAX_ROWS rows, MAX_CELLS cells (the empty ones openpyxl fills in count) or a cell longer than
    Excel allows (the row is named)."""
    cells = 0
    for n, line in enumerate(ws.iter_rows(values_only=True), start=1):
        if n > MAX_ROWS:
            raise _refuse(_("the sheet has too many rows (more than %(max)s)"), max=MAX_ROWS)
        cells += max(len(line), 1)
        if cells > MAX_CELLS:
            raise _refuse(_("the sheet has too many cells (more than %(max)s)"), max=MAX_CELLS)
        for value in line:
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise _refuse(
                    _("a cell holds more than %(max)s characters"), row=n, max=MAX_CELL_CHARS
                )
        yield line
