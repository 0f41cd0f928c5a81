"""Issue 18 (What to build 3): an uploaded workbook is bounded before openpyxl parses it. A 99 KB
file whose one cell unpacks to 100 MB, a sheet that declares a huge range, a cell past Excel's
own length: each is refused with the ``file`` field named, quickly and without the memory the
workbook asks for. Every import of an uploaded workbook goes through ``precinct.common.xlsx``
(the roster, the statistics, the address register)."""

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable

import pytest

from precinct.core.errors import ValidationFailed
from precinct.stats.services.importing import read_xlsx

MiB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
    f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
HEADER = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'

Parts = Callable[[zipfile.ZipFile], None]


def _workbook(
    rows: str = HEADER,
    shared: tuple[str, ...] = ("月份", "刑事警情"),
    *,
    dimension: str = "",
    big: tuple[str, int] | None = None,
) -> bytes:
    """A minimal .xlsx (what Excel needs, nothing more). ``big``: (the shared string's or the
    sheet's inline cell's part, MB) streams a cell of that many MB of "A" into that part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", PACKAGE_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        sheet_head = f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{rows}'
        strings = "".join(f"<si><t>{s}</t></si>" for s in shared)
        if big and big[0] == "sheet":
            _stream(z, "xl/worksheets/sheet1.xml", sheet_head + '<row r="2"><c r="A2" '
                    't="inlineStr"><is><t>', big[1], "</t></is></c></row></sheetData></worksheet>")  # fmt: skip
        else:
            z.writestr("xl/worksheets/sheet1.xml", sheet_head + "</sheetData></worksheet>")
        if big and big[0] == "shared":
            _stream(z, "xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}<si><t>', big[1],
                    "</t></si></sst>")  # fmt: skip
        else:
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
    return out.getvalue()


def _stream(z: zipfile.ZipFile, name: str, head: str, mb: int, tail: str) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as part:
        part.write(head.encode())
        for _ in range(mb):
            part.write(b"A" * 1_000_000)
        part.write(tail.encode())


def _refused(content: bytes, read: Callable[[bytes], object] = read_xlsx) -> tuple[str, int]:
    """The refusal's message and the memory the reading took at its peak."""
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as caught:
            read(content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [error] = caught.value.errors
    assert error.field == "file"
    return error.text, peak


@pytest.fixture(scope="module")
def shared_string_bomb() -> bytes:
    bomb = _workbook(big=("shared", 100))
    assert len(bomb) < 110_000  # the penetration test's "107 KB workbook", a 100 MB cell
    return bomb


def test_a_99_kb_workbook_with_a_100_mb_shared_string_is_refused_before_it_is_parsed(
    shared_string_bomb,
) -> None:
    text, peak = _refused(shared_string_bomb)
    assert "100" in text  # unpacks to more than 100 times its size
    assert peak < 5 * MiB


def test_a_sheet_with_a_100_mb_inline_cell_is_refused_before_it_is_parsed() -> None:
    text, peak = _refused(_workbook(big=("sheet", 100)))
    assert "100" in text
    assert peak < 5 * MiB


def test_a_workbook_that_understates_its_unpacked_size_is_cut_at_what_it_states() -> None:
    """The sizes checked are the archive's own; a part that claims less than it holds is read
    only as far as its claim (then fails its checksum): a lie does not get past the caps."""
    content = bytearray(_workbook(big=("shared", 50)))
    name = b"xl/sharedStrings.xml"
    end = content.rindex(b"PK\x05\x06")  # the end of the central directory
    at = struct.unpack("<I", content[end + 16 : end + 20])[0]  # its first entry
    while content[at + 46 : at + 46 + len(name)] != name:
        sizes = struct.unpack("<HHH", content[at + 28 : at + 34])
        at += 46 + sum(sizes)
    assert struct.unpack("<I", content[at + 24 : at + 28])[0] > 50_000_000
    content[at + 24 : at + 28] = struct.pack("<I", 1000)  # its unpacked size: "1,000 bytes"
    _text, peak = _refused(bytes(content))
    assert peak < 5 * MiB


def test_a_declared_range_of_millions_of_cells_is_refused_while_it_is_read() -> None:
    """openpyxl fills the rows and columns a sheet's dimension declares: a one-cell sheet
    declaring A1:Z200000 would be 5.2 million cells."""
    rows = HEADER + '<row r="200000"><c r="A200000"><v>1</v></c></row>'
    text, _peak = _refused(_workbook(rows, dimension="A1:Z200000"))
    assert "cells" in text


def test_a_cell_longer_than_excel_allows_is_refused_with_its_row() -> None:
    rows = HEADER + '<row r="2"><c r="A2" t="s"><v>2</v></c></row>'
    content = _workbook(rows, ("月份", "刑事警情", "x" * 40_000))
    with pytest.raises(ValidationFailed) as caught:
        read_xlsx(content)
    [error] = caught.value.errors
    assert (error.field, error.row) == ("file", 2) and "32767" in error.text


def test_the_caps_on_rows_parts_and_unpacked_size(monkeypatch) -> None:
    from precinct.common import xlsx

    rows = HEADER + "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in (2, 3, 4))
    content = _workbook(rows)
    assert len(read_xlsx(content)[1]) == 3
    for name, value, word in [
        ("MAX_ROWS", 3, "rows"),
        ("MAX_CELLS", 4, "cells"),  # 2 in the header, 1 in each row
        ("MAX_PARTS", 5, "parts"),
        ("MAX_PART_BYTES", 500, "MB"),
        ("MAX_UNPACKED_BYTES", 1000, "MB"),
    ]:
        with monkeypatch.context() as m:
            m.setattr(xlsx, name, value)
            text, _peak = _refused(content)
        assert word in text, (name, text)
    with pytest.raises(ValidationFailed) as caught:
        read_xlsx(b"PK\x03\x04 not really a zip")
    assert caught.value.errors[0].field == "file"


def test_the_roster_and_the_address_register_go_through_the_caps(city, shared_string_bomb) -> None:
    from precinct.command import services as command
    from precinct.org import services as org

    political, centre = city.scope("political"), city.scope("command")
    _refused(shared_string_bomb, lambda c: org.read_roster(political, c, today=city.today))
    _refused(
        shared_string_bomb, lambda c: command.import_register(centre, c, filename="register.xlsx")
    )
