"""Figures as people read them: thousands separated by commas (15,850,861 — the convention of
Chinese statistics too; Django's zh-hans and zh-hant formats group by nothing) and the unit of
each figure (``{% amount value metric %}`` → 15,850,861 起)."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from .. import rules

register = template.Library()
NONE = "—"
_MARK = "\x00"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def figure(value: Any, decimals: int = 2) -> str:
    """``{{ value|figure }}``: 15,850,861 or 20,552.5 (at most ``decimals`` places); — for none."""
    return rules.grouped(_number(value), int(decimals)) or NONE


@register.simple_tag
def amount(value: Any, metric: rules.Metric, decimals: int = 1) -> SafeString:
    """A figure with its unit in the page's language, the unit in a ``<small>``:
    ``{% amount line.ytd line.metric %}`` → 15,850,861 <small>起</small>."""
    number = rules.grouped(_number(value), int(decimals))
    if number is None:
        return format_html("{}", NONE)
    before, _found, after = (gettext(metric.amount) % {"n": _MARK}).partition(_MARK)
    return format_html(
        "{}{}{}",
        format_html("<small>{}</small>", before) if before.strip() else before,
        number,
        format_html("<small>{}</small>", after) if after.strip() else after,
    )
