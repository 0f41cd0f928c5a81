"""Case figures for the statistics: cases accepted per unit, the first case accepted."""

import datetime as dt
import uuid

from django.db.models import Count, Min, Q

from ..models import CaseEvent


def accepted_counts(
    bureau_id: uuid.UUID,
    *,
    start: dt.datetime,
    end: dt.datetime,
    homicide_words: tuple[str, ...],
    drug_words: tuple[str, ...],
) -> list[tuple[uuid.UUID | None, int, int, int]]:
    """Per unit, the cases accepted (受案: the ``case_accepted`` event) in [start, end):
    administrative (public-order) cases, criminal cases whose title names a homicide, and cases
    whose title names drugs."""

    def any_title(words: tuple[str, ...]) -> Q:
        q = Q(pk__in=[])
        for w in words:
            q |= Q(case__title__contains=w)
        return q

    return list(
        CaseEvent.objects.filter(
            bureau_id=bureau_id,
            type="case_accepted",
            at__gte=start,
            at__lt=end,
            corrections__isnull=True,  # only events still in force: a correction replaces one
        )
        .values("case__unit_id")
        .annotate(
            public_order=Count("case_id", filter=Q(case__kind="administrative"), distinct=True),
            homicides=Count(
                "case_id",
                filter=Q(case__kind="criminal") & any_title(homicide_words),
                distinct=True,
            ),
            drugs=Count("case_id", filter=any_title(drug_words), distinct=True),
        )
        .values_list("case__unit_id", "public_order", "homicides", "drugs")
    )


def first_accepted(bureau_id: uuid.UUID, *, since: dt.datetime | None = None) -> dt.datetime | None:
    """When the bureau's first case (since a time) was accepted, by the events in force."""
    qs = CaseEvent.objects.filter(
        bureau_id=bureau_id, type="case_accepted", corrections__isnull=True
    )
    if since is not None:
        qs = qs.filter(at__gte=since)
    return qs.aggregate(m=Min("at"))["m"]
