"""The legal basis as a reader cites it: 'CPL 85; 规定 127' -> 《刑事诉讼法》第八十五条；
《公安机关办理刑事案件程序规定》第一百二十七条. Pure: the statute names are msgids (translated at the
edge, which passes them in as ``name``); article numbers become Chinese numerals here."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from precinct.core.errors import gettext_noop as _


@dataclass(frozen=True)
class Statute:
    name: str  # msgid: the statute's name without 《》
    edition: str = ""  # msgid: which version, e.g. "(2012)", or ""


_PUBLIC_ORDER = _("Public Security Administration Punishments Law")
_CRIMINAL_PROVISIONS = Statute(
    _("Provisions on the Procedures for Handling Criminal Cases by Public Security Organs")
)
_ADMIN_PROVISIONS = Statute(
    _("Provisions on the Procedures for Handling Administrative Cases by Public Security Organs")
)

# The abbreviations of the rule table (and of shared/supervision-rules.md, in either script).
STATUTES: dict[str, Statute] = {
    "CPL": Statute(_("Criminal Procedure Law")),
    "规定": _CRIMINAL_PROVISIONS,
    "規定": _CRIMINAL_PROVISIONS,
    "行规": _ADMIN_PROVISIONS,
    "行規": _ADMIN_PROVISIONS,
    "治安12": Statute(_PUBLIC_ORDER, _("(2012)")),
    "治安25": Statute(_PUBLIC_ORDER, _("(revised 2025)")),
    "行强": Statute(_("Administrative Coercion Law")),
    "行強": Statute(_("Administrative Coercion Law")),
    "行罚": Statute(_("Administrative Penalty Law")),
    "行罰": Statute(_("Administrative Penalty Law")),
    # cited whole, without articles
    "公安部 2015 受案立案改革意见": Statute(
        _(
            "Opinions of the Ministry of Public Security on Reforming and Improving the Case "
            "Acceptance and Filing System"
        ),
        _("(2015)"),
    ),
    "涉案财物管理若干规定 (2015)": Statute(
        _("Provisions on the Management of Property Involved in Cases by Public Security Organs"),
        _("(2015)"),
    ),
}

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_numeral(n: int) -> str:
    """An article number as the statutes write it: 85 -> 八十五, 127 -> 一百二十七, 10 -> 十,
    110 -> 一百一十, 105 -> 一百零五, 1005 -> 一千零五 (1 to 9999)."""
    if not 0 < n < 10000:
        raise ValueError(f"article numbers run from 1 to 9999, not {n}")
    out, zero, started = [], False, False
    for value, unit in _UNITS:
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out.append("零")
            # 十 alone, not 一十, at the head of a number under twenty
            out.append(
                unit if (value == 10 and digit == 1 and not started) else _DIGITS[digit] + unit
            )
            started, zero = True, False
        elif started:
            zero = True
    if n:
        if zero:
            out.append("零")
        out.append(_DIGITS[n])
    return "".join(out)


@dataclass(frozen=True)
class Citation:
    """One statute and the articles cited from it: each article a (first, last) range, equal for
    a single article. ``statute`` is None where the text named no known statute (``text`` kept)."""

    text: str
    statute: Statute | None
    articles: tuple[tuple[int, int], ...] = ()


_RANGE = re.compile(r"^(\d{1,4})\s*(?:[–—\-~～]\s*(\d{1,4}))?$")


def _parse_part(part: str) -> Citation:
    if part in STATUTES:
        return Citation(part, STATUTES[part])
    abbr, _sep, rest = part.partition(" ")
    statute = STATUTES.get(abbr)
    if statute is None:
        return Citation(part, None)
    articles = []
    for item in rest.split(","):
        m = _RANGE.match(item.strip())
        if m is None:
            return Citation(part, None)
        first = int(m.group(1))
        articles.append((first, int(m.group(2) or first)))
    return Citation(part, statute, tuple(articles))


def parse_basis(basis: str) -> tuple[Citation, ...]:
    """'CPL 119; 规定 80, 200' -> the citations of CPL (119) and 规定 (80, 200)."""
    return tuple(_parse_part(p.strip()) for p in re.split(r"[;；]", basis) if p.strip())


def _articles_zh(articles: tuple[tuple[int, int], ...]) -> str:
    return "、".join(
        f"第{chinese_numeral(a)}条"
        if a == b
        else f"第{chinese_numeral(a)}条至第{chinese_numeral(b)}条"
        for a, b in articles
    )


def _articles_latin(articles: tuple[tuple[int, int], ...]) -> str:
    if not articles:
        return ""
    items = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in articles)
    single = len(articles) == 1 and articles[0][0] == articles[0][1]
    return (" art. " if single else " arts. ") + items


def cite(basis: str, *, name: Callable[[str], str], chinese: bool) -> str:
    """The basis in words: each statute by its name (``name`` translates a msgid) and its articles,
    in Chinese numerals inside 《》 where ``chinese``. Text that names no known statute stays."""
    out = []
    for c in parse_basis(basis):
        if c.statute is None:
            out.append(c.text)
            continue
        title, edition = name(c.statute.name), name(c.statute.edition) if c.statute.edition else ""
        if chinese:
            out.append(f"《{title}》{edition}{_articles_zh(c.articles)}")
        else:
            out.append(f"{title}{' ' + edition if edition else ''}{_articles_latin(c.articles)}")
    return ("；" if chinese else "; ").join(out)
