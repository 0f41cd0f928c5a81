"""The legal basis in words: statute names and articles in Chinese numerals (issue 17)."""

import pytest

from precinct.supervision.rules.basis import STATUTES, chinese_numeral, cite, parse_basis
from precinct.supervision.rules.table import RULES

ZH = {
    "Criminal Procedure Law": "刑事诉讼法",
    "Provisions on the Procedures for Handling Criminal Cases by Public Security Organs": (
        "公安机关办理刑事案件程序规定"
    ),
    "Public Security Administration Punishments Law": "治安管理处罚法",
    "(2012)": "（2012年）",
}


def zh(msgid: str) -> str:
    return ZH.get(msgid, msgid)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (19, "十九"),
        (20, "二十"),
        (85, "八十五"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (119, "一百一十九"),
        (127, "一百二十七"),
        (200, "二百"),
        (208, "二百零八"),
        (1000, "一千"),
        (1005, "一千零五"),
        (1010, "一千零一十"),
        (2100, "二千一百"),
        (9999, "九千九百九十九"),
    ],
)
def test_article_numbers_in_chinese_numerals(n: int, words: str) -> None:
    assert chinese_numeral(n) == words


@pytest.mark.parametrize("n", [0, -1, 10000])
def test_article_numbers_out_of_range_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="1 to 9999"):
        chinese_numeral(n)


def test_the_example_of_the_issue() -> None:
    assert (
        cite("CPL 85; 规定 127", name=zh, chinese=True)
        == "《刑事诉讼法》第八十五条；《公安机关办理刑事案件程序规定》第一百二十七条"
    )


def test_several_articles_a_range_an_edition_and_a_statute_cited_whole() -> None:
    assert cite("CPL 156, 158, 159", name=zh, chinese=True) == (
        "《刑事诉讼法》第一百五十六条、第一百五十八条、第一百五十九条"
    )
    assert cite("规定 148–150", name=zh, chinese=True) == (
        "《公安机关办理刑事案件程序规定》第一百四十八条至第一百五十条"
    )
    assert cite("治安12 83", name=zh, chinese=True) == "《治安管理处罚法》（2012年）第八十三条"
    assert cite("涉案财物管理若干规定 (2015)", name=str, chinese=True).startswith("《Provisions")


def test_in_english_the_statutes_names_and_arabic_articles() -> None:
    assert cite("CPL 85; 规定 127, 128", name=str, chinese=False) == (
        "Criminal Procedure Law art. 85; Provisions on the Procedures for Handling Criminal "
        "Cases by Public Security Organs arts. 127, 128"
    )


def test_every_basis_of_the_rule_table_names_known_statutes() -> None:
    for rule in RULES:
        citations = parse_basis(rule.basis)
        assert citations, rule.id
        assert all(c.statute is not None for c in citations), (rule.id, rule.basis)
        text = cite(rule.basis, name=zh, chinese=True)
        assert not any(abbr in text for abbr in ("CPL", "规定 ", "行规", "治安1", "治安2")), text


def test_unknown_text_is_kept_as_written() -> None:
    assert cite("某规章 3", name=zh, chinese=True) == "某规章 3"
    assert cite("CPL 八十五", name=zh, chinese=True) == "CPL 八十五"
    assert "CPL" in STATUTES and "規定" in STATUTES  # either script of the specification
