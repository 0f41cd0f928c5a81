"""Names as a role may read them (issue 17): whole for full-identity readers, else masked."""

import pytest

from precinct.cases.rules import mask_name, shown_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), (" 王五 ", "王*"), ("", "")],
)
def test_a_name_keeps_its_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_full_identity_readers_read_the_whole_name() -> None:
    assert shown_name("张三", full_identity=True) == "张三"
    assert shown_name("张三", full_identity=False) == "张*"
