"""Who may do what is named once (core.capabilities, ADR 0002, issue 15): a set of roles written
anywhere else in ``src/`` — or a role check spelled with a Role member — fails here, so a second
definition cannot creep back."""

import ast
from pathlib import Path

import pytest

import precinct
from precinct.core import capabilities
from precinct.core.scoping import ALL_ROLES, Role
from precinct.identity import rules
from tests.support import parse_python

SRC = Path(precinct.__file__).parent
ROOT = SRC.parent  # paths below are relative to src/

# Where roles may be written: the capabilities themselves, and the data scope they build on
# (BUREAU_WIDE, BUSINESS_ROLES and the Scope's own properties).
HOME = {"precinct/core/capabilities.py", "precinct/core/scoping.py", "precinct/core/roles.py"}

# Known exceptions, each with the number of role sets and role checks it still writes. They go
# next; when one is fixed, lower its number here (or remove the line) — the test says so.
KNOWN: dict[str, int] = {}


def _role_names(tree: ast.Module) -> set[str]:
    """The names that stand for Role in a module: ``Role``, ``from … import Role as X``, ``X = Role``."""
    names = {"Role"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname for a in node.names if a.name == "Role" and a.asname}
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_role_member(node: ast.AST, names: set[str]) -> bool:
    """``Role.OFFICER`` (or ``R.OFFICER``, ``scoping.Role.OFFICER``)."""
    if not isinstance(node, ast.Attribute) or node.attr not in Role.__members__:
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id in names) or (
        isinstance(owner, ast.Attribute) and owner.attr == "Role"
    )


def _mentions_roles(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Name) and node.id in names:  # frozenset(Role)
        return True
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return any(_is_role_member(e, names) for e in node.elts)
    return _is_role_member(node, names)


def role_sets_and_checks(source: str) -> list[tuple[int, str]]:
    """(line, what) of every set of roles written out, and every role check spelled with a Role
    member, in one module's source."""
    tree = parse_python(source)
    names = _role_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Set) and any(_is_role_member(e, names) for e in node.elts):
            found.append((node.lineno, "a set of roles"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"frozenset", "set"}
            and any(_mentions_roles(a, names) for a in node.args)
            and not any(isinstance(a, ast.Set) for a in node.args)  # counted as the set itself
        ):
            found.append((node.lineno, f"{node.func.id}() of roles"))
        elif isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                left_or_right = [node.left, right]
                if isinstance(op, ast.Eq | ast.NotEq) and any(
                    _is_role_member(side, names) for side in left_or_right
                ):
                    found.append((node.lineno, "a role compared with a Role member"))
                elif (
                    isinstance(op, ast.In | ast.NotIn)
                    and isinstance(right, ast.List | ast.Tuple)
                    and any(_is_role_member(e, names) for e in right.elts)
                ):
                    found.append((node.lineno, "a role looked up in a list of roles"))
    return found


def _scan() -> dict[str, list[tuple[int, str]]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in HOME or "/migrations/" in rel:
            continue
        found = role_sets_and_checks(path.read_text(encoding="utf-8"))
        if found:
            out[rel] = found
    return out


def test_no_set_of_roles_is_written_outside_the_capabilities() -> None:
    problems = [
        f"{rel}:{line}: {what}"
        for rel, found in _scan().items()
        if len(found) > KNOWN.get(rel, 0)
        for line, what in found
    ]
    assert not problems, (
        "Who may do what is named once, in precinct/core/capabilities.py: use (or add) a named "
        "capability there instead of writing roles here:\n" + "\n".join(problems)
    )


def test_the_known_exceptions_are_still_there() -> None:
    """A fixed exception is taken off the list, so that it cannot come back unnoticed."""
    scan = _scan()
    stale = {
        rel: (allowed, len(scan.get(rel, [])))
        for rel, allowed in KNOWN.items()
        if len(scan.get(rel, [])) < allowed
    }
    assert not stale, f"lower these in KNOWN (allowed, found): {stale}"


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ("from precinct.core.scoping import Role\nX = frozenset({Role.OFFICER})\n", 1),
        ("from precinct.core.scoping import Role as R\nX = {R.OFFICER, R.AUDITOR}\n", 1),
        ("from precinct.core import scoping\nX = frozenset([scoping.Role.OFFICER])\n", 1),
        ("from precinct.core.scoping import Role\nR = Role\nok = r in A | {R.UNIT_CHIEF}\n", 1),
        ("from precinct.core.scoping import Role\nok = s.role == Role.OFFICER\n", 1),
        ("from precinct.core.scoping import Role\nok = s.role not in (Role.OFFICER,)\n", 1),
        ("from precinct.core.scoping import Role\nALL = frozenset(Role)\n", 1),
        # the capabilities' names, and a scope built with a role, are not role sets
        ("from precinct.core import capabilities as can\nok = s.role in can.COMMAND\n", 0),
        ("from precinct.core.scoping import Role\ns = Scope(role=Role.OFFICER)\n", 0),
        ("X = {'officer', 'auditor'}\n", 0),
    ],
)
def test_the_scan_sees_role_sets_however_they_are_spelled(source: str, count: int) -> None:
    assert len(role_sets_and_checks(source)) == count


def _named() -> dict[str, frozenset[Role]]:
    return {
        name: value
        for name, value in vars(capabilities).items()
        if name.isupper() and isinstance(value, frozenset)
    }


def test_every_capability_is_a_set_of_roles() -> None:
    named = _named()
    assert len(named) > 30
    for name, value in named.items():
        assert value, name
        assert all(isinstance(r, Role) for r in value), name


def test_the_policy_only_uses_named_capabilities() -> None:
    """Every role set in POLICY is one of the capabilities (or every role): the policy, the
    services and the pages read the same names."""
    named = {*_named().values(), ALL_ROLES}
    for table in (rules.POLICY, rules.NAMESPACE_POLICY):
        for route, methods in table.items():
            for method, roles in methods.items():
                assert roles in named, f"{route} {method}: {sorted(roles)} has no name"


def test_the_policy_keeps_its_old_names() -> None:
    """Callers that read identity.rules.PEOPLE_READERS and the like read the same capability."""
    for name in ("PEOPLE_READERS", "MERIT_ENTERERS", "MERIT_APPROVERS", "COMMAND", "STATS_READERS",
                 "HOLIDAY_ENTERERS", "DEPLOYMENT_PLANNERS", "CAMPAIGN_TICKERS"):  # fmt: skip
        assert getattr(rules, name) is getattr(capabilities, name)


def test_a_few_capabilities_say_who() -> None:
    can = capabilities
    assert can.PEOPLE_READERS - {Role.OFFICER} == can.OVERVIEW_READERS
    assert {Role.COMMAND_CENTRE, Role.OFFICER} == can.UNIT_TERMINALS
    assert {Role.LEGAL_SUPERVISION, Role.LEADERSHIP, Role.UNIT_CHIEF} == can.CAMPAIGN_TICKERS
    assert can.AWARD_READERS == can.PACK_READERS  # the same people, for two reasons
