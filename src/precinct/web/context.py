"""Navigation: only the modules that exist, and only those the caller's role may open."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from precinct.command import services as command
from precinct.core.scoping import Role
from precinct.identity import rules as access

# The menu: the home page, then at most six groups of pages (a group shows only the pages the
# role may open; a group with one page is that page's link; an empty group is left out).
NAV: list[tuple[Any, list[tuple[str, Any]]]] = [
    (None, [("web:home", _("Home")), ("web:profile", pgettext_lazy("menu", "Me"))]),
    (
        _("Force"),
        [
            ("org:unit_tree", _("Units")),
            ("org:officer_list", _("Officers")),
            ("org:roster_import", _("Roster import")),
            ("org:deployment", _("Deployment")),
            ("merit:recruits", _("New officers")),
        ],
    ),
    (
        _("Supervision"),
        [
            ("supervision:dashboard", _("Supervision")),
            ("supervision:case_list", _("Cases")),
            ("supervision:holidays", _("Holiday calendar")),
        ],
    ),
    (
        _("Command"),
        [
            ("command:board", _("Command")),
            ("command:figures", _("Street figures")),
            ("planning:index", _("Patrol planning")),
        ],
    ),
    (
        _("Merit"),
        [
            ("merit:month", _("Merit")),
            ("merit:achievement_list", _("Achievements")),
            ("merit:award_list", _("Awards")),
            ("merit:promotion", _("Promotion ranking")),
            ("merit:warning_queue", _("Warning queue")),
            ("merit:policy", _("Scoring policy")),
        ],
    ),
    (
        _("Campaigns and statistics"),
        [
            ("campaigns:list", _("Campaigns")),
            ("stats:dashboard", _("Statistics")),
            ("province:cities", _("Cities side by side")),
        ],
    ),
    (
        _("System"),
        [
            ("identity:audit_log", _("Audit log")),
            ("identity:grant_list", _("Approvals")),
            ("accounts:list", _("Accounts")),
            ("admin:index", _("Administration")),
        ],
    ),
]
MAX_TOP = 7  # entries in the menu bar, whatever the role
CREW_TERMINAL = ("crew:terminal", _("Car terminal"))  # for an officer who rides a car


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu for the caller's role: ``nav`` is a list of entries, each a link (``url``,
    ``label``, ``active``) or a group (``label``, ``pages``: links, ``active``)."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": []}
    role = Role(user.role)
    current = request.resolver_match.view_name if request.resolver_match else ""
    scope = getattr(request, "caller", None)  # set for a page its role may open
    entries: list[dict[str, Any]] = []
    for group, pages in NAV:
        links = [
            {"url": reverse(route), "label": label, "active": route == current}
            for route, label in pages
            if access.decide(route, "GET", role).allowed
        ]
        if group is None and scope is not None and scope.self_only and command.rides_a_car(scope):
            route, label = CREW_TERMINAL
            links.append({"url": reverse(route), "label": label, "active": route == current})
        if not links:
            continue
        if group is None or len(links) == 1:
            entries.extend(links)
        else:
            active = any(link["active"] for link in links)
            entries.append({"label": group, "pages": links, "active": active})
    return {"nav": entries, "role_label": user.get_role_display()}
