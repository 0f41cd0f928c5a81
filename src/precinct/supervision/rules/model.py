"""The engine's data: cases, events, rules and findings. Pure, immutable values."""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from .periods import Limit


class CaseKind(StrEnum):
    CRIMINAL = "criminal"
    ADMINISTRATIVE = "administrative"


class State(StrEnum):
    PENDING = "pending"
    DUE_SOON = "due_soon"
    MET = "met"
    LATE = "late"
    OVERDUE = "overdue"
    WAIVED = "waived"
    VIOLATED = "violated"


PROBLEM_STATES = frozenset({State.LATE, State.OVERDUE, State.VIOLATED})


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class LimitKind(StrEnum):
    DEADLINE = "deadline"  # a period in hours, days or months
    IMMEDIATE = "immediate"  # "立即" / "promptly": a configurable grace, reported as its own kind
    MANDATORY = "mandatory"  # a condition, not a period (e.g. audio-video recording)


FLAGS = (
    "major",
    "roving",
    "repeated",
    "gang",
    "life_or_death",
    "detention_possible",
    "many_suspects",
    "identity_unknown",
    "public_order",
    "leads_to_check",
)


@dataclass(frozen=True)
class Case:
    id: str
    kind: CaseKind
    flags: Mapping[str, bool] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        if name == "public_order" and name not in self.flags:
            return self.kind is CaseKind.ADMINISTRATIVE
        return bool(self.flags.get(name, False))


_NO_ATTRS: Mapping[str, Any] = {}


class Event(NamedTuple):
    """A step on the timeline. A named tuple, not a dataclass: a sweep builds millions of them."""

    type: str
    at: dt.datetime  # aware
    subject: str | None = None
    attrs: Mapping[str, Any] = _NO_ATTRS  # never mutated
    seq: int = 0  # position in the source, a tie-breaker only

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)


Predicate = Callable[[Event], bool]


@dataclass(frozen=True)
class Match:
    """Events of these types (and, optionally, this ``measure`` and predicate)."""

    types: frozenset[str]
    measure: str | None = None
    where: Predicate | None = None
    plain: bool = field(init=False, default=False)  # matches on the type alone

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", self.measure is None and self.where is None)

    def __call__(self, event: Event) -> bool:
        if event.type not in self.types:
            return False
        if self.measure is not None and event.get("measure") != self.measure:
            return False
        return self.where is None or self.where(event)


def on(*types: str, measure: str | None = None, where: Predicate | None = None) -> Match:
    return Match(frozenset(types), measure, where)


@dataclass(frozen=True)
class Rule:
    """One legal time limit or mandatory step, in one version of the law."""

    id: str
    title: str  # short Chinese title, as supervisors say it
    case_kind: CaseKind
    trigger: Match
    follow_up: Match
    basis: str
    severity: Severity
    limit: Limit | None = None  # None: IMMEDIATE (grace) or MANDATORY
    kind: LimitKind = LimitKind.DEADLINE
    in_custody: bool = False  # no holiday extension while the person is held
    # the lawful limit chosen by the case's flags (default: ``limit``)
    limit_for: Callable[[Case, Event], Limit] | None = None
    # approved extensions: events that set the total ("total") or add ("add") to the limit
    extension: Match | None = None
    extension_attr: str = ""
    extension_mode: str = "add"
    max_extensions: int | None = None
    extension_cap: int | None = None  # the most one approval may grant (add) / set (total)
    extension_total_cap: int | None = None  # the most all approvals together may add
    total_cap_for: Callable[[Case], int] | None = None  # "total" mode: the cap chosen by flags
    waiver: Match | None = None  # a recorded lawful exception (with its reason)
    # time that does not count (e.g. A08's expert opinion): from each start event to the matching
    # end event (or to the follow-up, or to now, while it is still running), in whole days
    excluded: tuple[Match, Match] | None = None
    also_required: Match | None = None  # a second follow-up that must also be done
    applies: Callable[[Case, list[Event]], bool] | None = None
    version: str = ""
    valid_from: dt.datetime | None = None  # by trigger time, inclusive
    valid_to: dt.datetime | None = None  # exclusive
    evaluator: str = ""  # name of a special evaluator for rules that are not a plain period

    always_in_force: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "always_in_force", self.valid_from is None and self.valid_to is None
        )

    def in_force(self, at: dt.datetime) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )


class Finding(NamedTuple):
    """One rule's verdict on one subject (a named tuple: cheap to make by the million)."""

    rule: str
    subject: str
    trigger_at: dt.datetime
    due_at: dt.datetime | None
    state: State
    met_at: dt.datetime | None
    severity: Severity
    basis: str
    kind: LimitKind
    title: str = ""
    reason: str = ""
    version: str = ""

    @property
    def problem(self) -> bool:
        return self.state in PROBLEM_STATES

    def as_dict(self, tz: Any = None) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            if t is None:
                return None
            return (t.astimezone(tz) if tz else t).isoformat()

        out: dict[str, Any] = {
            "rule": self.rule,
            "subject": self.subject,
            "trigger_at": iso(self.trigger_at),
            "due_at": iso(self.due_at),
            "state": self.state.value,
            "met_at": iso(self.met_at),
            "severity": self.severity.value,
            "basis": self.basis,
            "kind": self.kind.value,
            "title": self.title,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.version:
            out["version"] = self.version
        return out
