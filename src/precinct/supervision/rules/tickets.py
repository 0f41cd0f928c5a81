"""The supervision ticket's state machine. Pure."""

from precinct.core.capabilities import TICKET_HANDLERS, TICKET_VERIFIERS
from precinct.core.scoping import Role

# (from, to) -> roles that may make the move
TRANSITIONS: dict[tuple[str, str], frozenset[Role]] = {
    ("open", "rectifying"): TICKET_HANDLERS,
    ("rectifying", "rectified"): TICKET_HANDLERS,
    ("rectified", "verified"): TICKET_VERIFIERS,
    ("rectified", "rectifying"): TICKET_VERIFIERS,  # sent back
    ("open", "accountability"): TICKET_VERIFIERS,
    ("rectifying", "accountability"): TICKET_VERIFIERS,
    ("rectified", "accountability"): TICKET_VERIFIERS,
}
FINAL = frozenset({"verified", "accountability"})


def may_move(from_state: str, to_state: str, role: Role) -> bool:
    return role in TRANSITIONS.get((from_state, to_state), frozenset())


def next_states(from_state: str, role: Role) -> list[str]:
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == from_state and role in roles]
