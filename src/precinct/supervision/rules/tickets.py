"""The supervision ticket's state machine. Pure."""

from precinct.core.scoping import Role

# (from, to) -> roles that may make the move
TRANSITIONS: dict[tuple[str, str], frozenset[Role]] = {
    ("open", "rectifying"): frozenset({Role.UNIT_CHIEF, Role.LEGAL_SUPERVISION}),
    ("rectifying", "rectified"): frozenset({Role.UNIT_CHIEF, Role.LEGAL_SUPERVISION}),
    ("rectified", "verified"): frozenset({Role.LEGAL_SUPERVISION}),
    ("rectified", "rectifying"): frozenset({Role.LEGAL_SUPERVISION}),  # sent back
    ("open", "accountability"): frozenset({Role.LEGAL_SUPERVISION}),
    ("rectifying", "accountability"): frozenset({Role.LEGAL_SUPERVISION}),
    ("rectified", "accountability"): frozenset({Role.LEGAL_SUPERVISION}),
}
FINAL = frozenset({"verified", "accountability"})


def may_move(from_state: str, to_state: str, role: Role) -> bool:
    return role in TRANSITIONS.get((from_state, to_state), frozenset())


def next_states(from_state: str, role: Role) -> list[str]:
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == from_state and role in roles]
