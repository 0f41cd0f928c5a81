"""The menu: at most seven entries in the bar for every role, pages grouped, only those the role
may open (issue 17)."""

from types import SimpleNamespace

import pytest

from precinct.core.scoping import Role
from precinct.identity import rules as access
from precinct.web import context


def _menu(role: Role) -> list[dict]:
    request = SimpleNamespace(
        user=SimpleNamespace(
            is_authenticated=True, role=role.value, get_role_display=lambda: role.value
        ),
        resolver_match=SimpleNamespace(view_name="merit:promotion"),
    )
    return context.navigation(request)["nav"]  # type: ignore[arg-type]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_at_most_seven_entries_and_only_pages_it_may_open(role: Role) -> None:
    entries = _menu(role)
    assert 1 <= len(entries) <= context.MAX_TOP
    for entry in entries:
        for link in entry.get("pages", [entry]):
            route = next(
                r for _g, pages in context.NAV for r, _l in pages if _url(r) == link["url"]
            )
            assert access.decide(route, "GET", role).allowed


def _url(route: str) -> str:
    from django.urls import reverse

    return reverse(route)


def test_the_political_department_has_its_pages_in_groups_and_the_current_one_marked() -> None:
    entries = _menu(Role.POLITICAL_DEPT)
    pages = sum(len(e.get("pages", [e])) for e in entries)
    assert pages > context.MAX_TOP  # more pages than the bar can hold: grouped
    merit = next(e for e in entries if "pages" in e and any(p["active"] for p in e["pages"]))
    assert merit["active"]
