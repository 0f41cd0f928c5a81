"""Special campaigns run as checklists (清单式推进): the states of a checklist item and the moves
between them, what is overdue, progress by campaign and by owner unit, targets. Pure: no I/O, no
clock (today is an argument)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from precinct.core.errors import FieldError, ValidationFailed
from precinct.core.errors import gettext_noop as _

OPEN, IN_PROGRESS, DONE = "open", "in_progress", "done"
ITEM_STATES = (OPEN, IN_PROGRESS, DONE)
DUE_SOON_DAYS = 3  # an unfinished item due within this many days is flagged "due soon"
LEVELS = ("national", "provincial", "city")
LINK_KINDS = ("case", "incident", "achievement")
METRICS = ("cases", "incidents", "achievements", "manual")  # what a target counts
MAX_DAYS = 3 * 366  # a campaign of more than three years is a programme, not a campaign
MAX_TASK = 300
MAX_EVIDENCE = 2000
MAX_TARGET = 1_000_000_000  # a target's goal or value (the column is a 32-bit integer)


@dataclass(frozen=True)
class ItemFacts:
    status: str
    due: dt.date
    owner: Any  # the owner unit (an id, or a name)
    done_on: dt.date | None = None


def item_flag(item: ItemFacts, today: dt.date) -> str:
    """``done``, ``late_done`` (done after its due date), ``overdue``, ``due_soon`` or ``open``."""
    if item.status == DONE:
        return "late_done" if item.done_on is not None and item.done_on > item.due else "done"
    if item.due < today:
        return "overdue"
    if (item.due - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "open"


@dataclass(frozen=True)
class Progress:
    total: int = 0
    done: int = 0
    overdue: int = 0
    due_soon: int = 0
    late_done: int = 0  # done, but after the due date (counted in ``done`` too)

    @property
    def share(self) -> float | None:
        """Share of the items done; None for a campaign without items."""
        return self.done / self.total if self.total else None

    @property
    def on_time(self) -> float | None:
        """Share of the items due by now that were done by their due date."""
        due = self.done + self.overdue
        return (self.done - self.late_done) / due if due else None


def progress(items: Iterable[ItemFacts], today: dt.date) -> Progress:
    total = done = overdue = soon = late = 0
    for item in items:
        total += 1
        flag = item_flag(item, today)
        if flag in ("done", "late_done"):
            done += 1
            late += flag == "late_done"
        elif flag == "overdue":
            overdue += 1
        elif flag == "due_soon":
            soon += 1
    return Progress(total, done, overdue, soon, late)


def progress_by_owner(items: Iterable[ItemFacts], today: dt.date) -> dict[Any, Progress]:
    """Progress of each owner unit's items; owners in the order they first appear."""
    groups: dict[Any, list[ItemFacts]] = {}
    for item in items:
        groups.setdefault(item.owner, []).append(item)
    return {owner: progress(group, today) for owner, group in groups.items()}


def phase(starts: dt.date, ends: dt.date, closed: bool, today: dt.date) -> str:
    """``planned`` (not begun), ``active``, ``ended`` (past its end, not closed) or ``closed``."""
    if closed:
        return "closed"
    if today < starts:
        return "planned"
    return "active" if today <= ends else "ended"


def check_move(
    current: str, new: str, *, evidence: str, reason: str, manager: bool
) -> list[FieldError]:
    """Can an item go from ``current`` to ``new``? Done needs evidence (what was done, where
    it is recorded); taking a done item back (reopening) is for the campaign's managers, with a
    reason."""
    errors: list[FieldError] = []
    if new not in ITEM_STATES:
        errors.append(
            FieldError("status", _("must be one of %(choices)s"), None,
                       {"choices": ", ".join(ITEM_STATES)})
        )  # fmt: skip
        return errors
    if new == current:
        errors.append(FieldError("status", _("is already %(state)s"), None, {"state": current}))
        return errors
    if new == DONE and not evidence.strip():
        errors.append(FieldError("evidence", _("say what was done and where it is recorded")))
    if len(evidence) > MAX_EVIDENCE:
        errors.append(
            FieldError("evidence", _("must be at most %(n)s characters"), None,
                       {"n": MAX_EVIDENCE})
        )  # fmt: skip
    if current == DONE:
        if not manager:
            errors.append(FieldError("status", _("only the campaign's managers reopen an item")))
        elif not reason.strip():
            errors.append(FieldError("reason", _("say why the item is reopened")))
    return errors


def check_campaign(data: Mapping[str, Any]) -> dict[str, Any]:
    """A new campaign's fields, cleaned; every problem named by its field."""
    errors: list[FieldError] = []
    code = str(data.get("code") or "").strip()
    name = str(data.get("name") or "").strip()
    if not code or len(code) > 32:
        errors.append(FieldError("code", _("1 to 32 characters")))
    if not name or len(name) > 100:
        errors.append(FieldError("name", _("1 to 100 characters")))
    level = data.get("level") or "city"
    if level not in LEVELS:
        errors.append(
            FieldError("level", _("must be one of %(choices)s"), None,
                       {"choices": ", ".join(LEVELS)})
        )  # fmt: skip
    starts, ends = data.get("starts"), data.get("ends")
    if not isinstance(starts, dt.date):
        errors.append(FieldError("starts", _("a date is required")))
    if not isinstance(ends, dt.date):
        errors.append(FieldError("ends", _("a date is required")))
    if isinstance(starts, dt.date) and isinstance(ends, dt.date):
        if ends < starts:
            errors.append(FieldError("ends", _("must not be before the start")))
        elif (ends - starts).days > MAX_DAYS:
            errors.append(
                FieldError("ends", _("at most %(n)s days after the start"), None, {"n": MAX_DAYS})
            )
    goal = str(data.get("goal") or "").strip()
    if len(goal) > 4000:
        errors.append(FieldError("goal", _("must be at most %(n)s characters"), None, {"n": 4000}))
    if errors:
        raise ValidationFailed(errors)
    return {"code": code, "name": name, "level": level, "starts": starts, "ends": ends,
            "goal": goal}  # fmt: skip


def check_item(
    task: str, due: dt.date | None, *, starts: dt.date, ends: dt.date, row: int | None = None
) -> list[FieldError]:
    """A checklist item: a task of at most :data:`MAX_TASK` characters, due within the
    campaign."""
    errors: list[FieldError] = []
    if not task.strip() or len(task) > MAX_TASK:
        errors.append(FieldError("task", _("1 to %(n)s characters"), row, {"n": MAX_TASK}))
    if due is None:
        errors.append(FieldError("due", _("a date is required"), row))
    elif not starts <= due <= ends:
        errors.append(
            FieldError("due", _("must fall within the campaign (%(starts)s – %(ends)s)"), row,
                       {"starts": starts.isoformat(), "ends": ends.isoformat()})
        )  # fmt: skip
    return errors


def check_target(name: str, metric: str, goal: int) -> list[FieldError]:
    errors: list[FieldError] = []
    if not name.strip() or len(name) > 100:
        errors.append(FieldError("name", _("1 to 100 characters")))
    if metric not in METRICS:
        errors.append(
            FieldError("metric", _("must be one of %(choices)s"), None,
                       {"choices": ", ".join(METRICS)})
        )  # fmt: skip
    if not 0 < goal <= MAX_TARGET:
        errors.append(
            FieldError("goal", _("a whole number from 1 to %(n)s"), None, {"n": MAX_TARGET})
        )
    return errors


def target_share(achieved: int, goal: int) -> float:
    """How far a numeric target is reached (may exceed 1: over-fulfilled)."""
    return achieved / goal if goal > 0 else 0.0
