"""The legal-deadline engine: pure rules, no ORM, no clock (``now`` is always an argument)."""

from .engine import Settings, evaluate
from .interchange import InterchangeError, parse
from .model import PROBLEM_STATES, Case, CaseKind, Event, Finding, LimitKind, Rule, Severity, State
from .table import RULE_IDS, RULES

__all__ = [
    "PROBLEM_STATES",
    "RULES",
    "RULE_IDS",
    "Case",
    "CaseKind",
    "Event",
    "Finding",
    "InterchangeError",
    "LimitKind",
    "Rule",
    "Settings",
    "Severity",
    "State",
    "evaluate",
    "parse",
]
