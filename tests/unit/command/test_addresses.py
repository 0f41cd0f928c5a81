"""The standard address register's rules: reading its rows, splitting what is typed."""

import pytest

from precinct.command.rules import AddressRow, read_rows, split_query
from precinct.core.errors import ValidationFailed

HEADER = ["街路巷", "门牌号", "经度", "纬度"]


def test_what_is_typed_splits_into_street_and_number() -> None:
    assert split_query("红军路12号") == ("红军路", "12")
    assert split_query(" 红军路 １２ ") == ("红军路", "12")  # full-width digits, spaces
    assert split_query("红军路12号附近") == ("红军路", "12")
    assert split_query("红军路") == ("红军路", "")
    assert split_query("12") == ("", "12")
    assert split_query("解放路3-2号") == ("解放路", "3-2")


def test_rows_are_read_whole() -> None:
    rows = [(2, ["红军路", "12号", "130.3", "47.35"]), (3, ["解放路", "１", 130.31, 47.36])]
    assert read_rows(HEADER, rows) == [
        AddressRow("红军路", "12", 130.3, 47.35),
        AddressRow("解放路", "1", 130.31, 47.36),
    ]
    assert read_rows(["street", "number", "lon", "lat"], rows[:1])[0].label == "红军路12号"


def test_every_bad_row_is_named_and_nothing_is_read() -> None:
    rows = [
        (2, ["红军路", "12", "130.3", "47.35"]),
        (3, ["", "1", "130.3", "47.35"]),
        (4, ["红军路", "12", "130.3", "47.35"]),  # the same address again
        (5, ["解放路", "2", "东经130", "147"]),
    ]
    with pytest.raises(ValidationFailed) as exc:
        read_rows(HEADER, rows)
    found = {(e.row, e.field) for e in exc.value.errors}
    assert found == {(3, "street"), (4, "number"), (5, "lon"), (5, "lat")}


def test_a_file_without_the_columns_or_rows_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_rows(["地址", "坐标"], [(2, ["红军路12号", "130,47"])])
    assert exc.value.errors[0].field == "header"
    with pytest.raises(ValidationFailed) as exc:
        read_rows(HEADER, [(2, ["", "", "", ""])])
    assert exc.value.errors[0].field == "file"
