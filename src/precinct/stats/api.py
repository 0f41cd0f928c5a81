"""JSON API of the public-safety statistics: the monthly figures over a span of months."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _
from precinct.identity.services import caller

from . import rules, services

router = Router(tags=["statistics"])


class MonthlyQuery(Schema):
    from_: str = Field(..., alias="from", pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    to: str = Field(..., pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


class MetricOut(Schema):
    code: str
    label: str
    unit: str
    computed: bool
    better: str


class MonthFiguresOut(Schema):  # not MonthOut: OpenAPI names components by class (merit has one)
    month: str
    values: dict[str, float | None]


class MonthlyOut(Schema):
    metrics: list[MetricOut]
    months: list[MonthFiguresOut]


@router.get("/stats/monthly", response=MonthlyOut, url_name="stats_monthly")
def monthly(request: HttpRequest, query: Query[MonthlyQuery]) -> Any:
    """Every figure of each month in [from, to] (at most 240 months): computed from precinct's
    own incidents and cases where its records cover the month, imported before. Scoped: a unit
    chief gets the sum of his units' figures."""
    first, last = rules.parse_month(query.from_), rules.parse_month(query.to)
    errors = [FieldError(name, _("a month as YYYY-MM")) for name, m in (("from", first),
              ("to", last)) if m is None]  # fmt: skip
    if errors or first is None or last is None:
        raise ValidationFailed(errors)
    return {
        "metrics": [
            {
                "code": m.code,
                "label": gettext(m.label),
                "unit": gettext(m.unit),
                "computed": m.computed,
                "better": m.better,
            }
            for m in rules.METRICS
        ],
        "months": services.monthly(caller(request), first=first, last=last),
    }
