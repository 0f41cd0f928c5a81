"""Secondments (动态用警): their moves, a plan checked, and the share of headquarters seconded."""

import datetime as dt
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from precinct.core.errors import FieldError
from precinct.core.errors import gettext_noop as _

from .officers import OfficerStatus
from .postings import MAX_DAYS_AHEAD, Period
from .units import UnitKind


# --- secondments (动态用警) -----------------------------------------------------------------
class SecondmentStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"  # approved: in force from its start until it is ended
    RETURNED = "returned"
    STAYED = "stayed"  # ended by an approved request to stay: the officer is posted there
    CANCELLED = "cancelled"


class StayDecision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


S = SecondmentStatus
# The moves a secondment may make; every other move is refused.
SECONDMENT_MOVES: dict[SecondmentStatus, frozenset[SecondmentStatus]] = {
    S.PLANNED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.RETURNED, S.STAYED}),
    S.RETURNED: frozenset(),
    S.STAYED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Open secondments: those that hold the officer's time (a new plan may not overlap them).
OPEN_SECONDMENTS = frozenset({S.PLANNED, S.ACTIVE})
SECONDED_FROM = frozenset({UnitKind.DEPARTMENT})
SECONDED_TO = frozenset({UnitKind.STATION, UnitKind.SUB_BUREAU, UnitKind.BRIGADE})
MAX_SECONDMENT_YEARS = 5


def check_move(current: SecondmentStatus, target: SecondmentStatus) -> list[FieldError]:
    if target in SECONDMENT_MOVES[current]:
        return []
    return [
        FieldError(
            "status",
            _("a %(current)s secondment cannot become %(target)s"),
            params={"current": str(current), "target": str(target)},
        )
    ]


@dataclass(frozen=True)
class SecondmentDraft:
    """A secondment plan as the rules see it: kinds of the units, dates, and the officer's facts."""

    from_unit: object
    from_kind: UnitKind
    to_kind: UnitKind
    start: dt.date
    planned_end: dt.date
    purpose: str
    posted_unit: object | None  # the unit of the officer's posting in force on ``start``
    officer_status: OfficerStatus = OfficerStatus.ACTIVE


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_secondment(
    draft: SecondmentDraft, others: Iterable[Period], *, today: dt.date
) -> list[FieldError]:
    """A headquarters officer to a grassroots unit, for a bounded time that overlaps none of his
    other planned or active secondments (``others``: their [start, planned end))."""
    errors: list[FieldError] = []
    if draft.from_kind not in SECONDED_FROM:
        errors.append(FieldError("from_unit", _("must be a headquarters department")))
    if draft.to_kind not in SECONDED_TO:
        errors.append(
            FieldError("to_unit", _("must be a police station, a sub-bureau or a brigade"))
        )
    if draft.planned_end <= draft.start:
        errors.append(FieldError("planned_end", _("must be after the start")))
    elif draft.planned_end > years_after(draft.start, MAX_SECONDMENT_YEARS):
        errors.append(
            FieldError(
                "planned_end",
                _("is more than %(years)s years after the start"),
                params={"years": MAX_SECONDMENT_YEARS},
            )
        )
    if (draft.start - today).days > MAX_DAYS_AHEAD:
        errors.append(FieldError("start", _("is more than a year ahead")))
    if not draft.purpose.strip():
        errors.append(FieldError("purpose", _("is required")))
    elif len(draft.purpose) > 200:
        errors.append(FieldError("purpose", _("is longer than 200 characters")))
    if draft.officer_status != OfficerStatus.ACTIVE:
        errors.append(FieldError("officer", _("is not in active service")))
    elif draft.posted_unit is None or draft.posted_unit != draft.from_unit:
        errors.append(
            FieldError("officer", _("is not posted in this department on the start date"))
        )
    new = Period(draft.start, draft.planned_end)
    for old in others:
        if new.overlaps(old):
            errors.append(
                FieldError(
                    "start",
                    _("overlaps the officer's secondment %(start)s – %(end)s"),
                    params={
                        "start": old.start.isoformat(),
                        "end": old.end.isoformat() if old.end else "",
                    },
                )
            )
    return errors


def check_end(start: dt.date, on: dt.date, today: dt.date) -> list[FieldError]:
    """The day a secondment ends (return, or a granted stay): not before it began, not ahead."""
    if on < start:
        return [
            FieldError(
                "on", _("is before the start %(start)s"), params={"start": start.isoformat()}
            )
        ]
    if on > today:
        return [FieldError("on", _("is in the future"))]
    return []


@dataclass(frozen=True)
class SecondmentSpan:
    """A secondment as the share counts it. ``end`` is the day it ended (exclusive), if it has."""

    key: Hashable
    officer: Hashable
    status: SecondmentStatus
    start: dt.date
    end: dt.date | None = None


COUNTED = frozenset({S.ACTIVE, S.RETURNED, S.STAYED})


def in_force(span: SecondmentSpan, day: dt.date) -> bool:
    """Approved, begun and not ended on ``day``."""
    return span.status in COUNTED and span.start <= day and (span.end is None or day < span.end)


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ShareRow(Generic[K]):
    unit: K
    hq_officers: int
    seconded: int

    @property
    def share(self) -> float:
        return self.seconded / self.hq_officers if self.hq_officers else 0.0


@dataclass(frozen=True)
class Share(Generic[K]):
    hq_officers: int
    seconded: int
    by_unit: list[ShareRow[K]]

    @property
    def share(self) -> float:
        return self.seconded / self.hq_officers if self.hq_officers else 0.0


def seconded_share(
    hq_officers: Mapping[K, Iterable[Hashable]],
    secondments: Iterable[SecondmentSpan],
    day: dt.date,
    *,
    what_if: Iterable[Hashable] = (),
) -> Share[K]:
    """Of the headquarters officers (by department, on their establishment posting), how many are
    on a secondment in force on ``day``: overall and by department. Each officer counts once.
    ``what_if`` names planned secondments to count as if approved and begun (a plan's effect is
    shown before it is approved, whatever its start date)."""
    assumed = set(what_if)
    seconded = {
        s.officer
        for s in secondments
        if in_force(s, day) or (s.status == S.PLANNED and s.key in assumed)
    }
    rows = []
    for unit, officers in hq_officers.items():
        people = set(officers)
        rows.append(ShareRow(unit, len(people), len(people & seconded)))
    return Share(
        hq_officers=sum(r.hq_officers for r in rows),
        seconded=sum(r.seconded for r in rows),
        by_unit=rows,
    )


def short_of_goal(hq_officers: int, seconded: int, goal: float) -> int:
    """How many more officers must be seconded to reach ``goal`` (0 when it is reached)."""
    needed = math.ceil(round(goal * hq_officers, 9))
    return max(needed - seconded, 0)
