"""Postings: periods in a unit, a new posting checked against the earlier ones, the one in force."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date | None  # exclusive; None = open

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: "Period") -> bool:
        a_end = self.end or dt.date.max
        b_end = other.end or dt.date.max
        return self.start < b_end and other.start < a_end


MAX_DAYS_AHEAD = 366


def check_assignment(
    new: Period,
    existing: Iterable[Period],
    *,
    hire_date: dt.date | None = None,
    today: dt.date | None = None,
) -> list[FieldError]:
    """A new posting may not start inside a closed earlier one (an open one is closed at its start),
    before the officer was hired, or more than a year ahead."""
    errors: list[FieldError] = []
    if new.end is not None and new.end <= new.start:
        errors.append(FieldError("end", _("must be after the start")))
    if hire_date is not None and new.start < hire_date:
        errors.append(
            FieldError(
                "start",
                _("is before the hire date %(hire)s"),
                params={"hire": hire_date.isoformat()},
            )
        )
    if today is not None and (new.start - today).days > MAX_DAYS_AHEAD:
        errors.append(FieldError("start", _("is more than a year ahead")))
    for old in existing:
        if old.end is None:
            if new.start <= old.start:
                errors.append(
                    FieldError(
                        "start",
                        _("must be after the current posting's start %(start)s"),
                        params={"start": old.start.isoformat()},
                    )
                )
        elif new.overlaps(old):
            errors.append(
                FieldError(
                    "start",
                    _("overlaps the posting %(start)s – %(end)s"),
                    params={"start": old.start.isoformat(), "end": old.end.isoformat()},
                )
            )
    return errors


def current_period(periods: Mapping[str, Period], today: dt.date) -> str | None:
    """Key of the posting in force on ``today`` (the latest-starting one if several)."""
    live = [(p.start, k) for k, p in periods.items() if p.contains(today)]
    return max(live)[1] if live else None
