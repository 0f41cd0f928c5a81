"""A page that asks ``decide()`` whether to show a button names a route and method the policy
knows: a misspelt name is denied to everyone, and the button would quietly vanish."""

import ast
from pathlib import Path

import precinct
from precinct.identity import rules
from tests.support import parse_python

SRC = Path(precinct.__file__).parent


def _asked() -> list[tuple[str, str, str]]:
    """(file:line, route, method) of every ``….decide("route", "METHOD", …)`` in ``src/``."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(parse_python(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "decide"
            ):
                continue
            words = [
                a.value
                for a in node.args[:2]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if len(words) == 2:
                found.append((f"{path.relative_to(SRC)}:{node.lineno}", words[0], words[1]))
    return found


def test_the_pages_ask_about_routes_the_policy_knows() -> None:
    asked = _asked()
    assert len(asked) >= 10  # the merit and campaign pages, supervision's
    unknown = [
        f"{where}: {route} {method}"
        for where, route, method in asked
        if method not in rules.POLICY.get(route, {})
    ]
    assert not unknown, "no such route or method in identity.rules.POLICY:\n" + "\n".join(unknown)
