"""Navigation: only the modules that exist, and only those the caller's role may open."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from precinct.command import services as command
from precinct.core.scoping import Role
from precinct.identity import rules as access

NAV: list[tuple[str, Any]] = [
    ("web:home", _("Home")),
    ("org:unit_tree", _("Units")),
    ("org:officer_list", _("Officers")),
    ("org:roster_import", _("Roster import")),
    ("org:deployment", _("Deployment")),
    ("supervision:dashboard", _("Supervision")),
    ("supervision:case_list", _("Cases")),
    ("supervision:holidays", _("Holiday calendar")),
    ("command:board", _("Command")),
    ("command:figures", _("Street figures")),
    ("planning:index", _("Patrol planning")),
    ("campaigns:list", _("Campaigns")),
    ("stats:dashboard", _("Statistics")),
    ("merit:month", _("Merit")),
    ("merit:achievement_list", _("Achievements")),
    ("merit:award_list", _("Awards")),
    ("merit:promotion", _("Promotion ranking")),
    ("merit:policy", _("Scoring policy")),
    ("merit:recruits", _("New officers")),
    ("merit:warning_queue", _("Warning queue")),
    ("identity:audit_log", _("Audit log")),
    ("admin:index", _("Administration")),
]
CREW_TERMINAL = ("crew:terminal", _("Car terminal"))  # for an officer who rides a car


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav": []}
    role = Role(user.role)
    items = []
    current = request.resolver_match.view_name if request.resolver_match else ""
    for route, label in NAV:
        if access.decide(route, "GET", role).allowed:
            items.append({"url": reverse(route), "label": label, "active": route == current})
    scope = getattr(request, "caller", None)  # set for a page its role may open
    if scope is not None and scope.self_only and command.rides_a_car(scope):
        route, label = CREW_TERMINAL
        items.insert(1, {"url": reverse(route), "label": label, "active": route == current})
    return {"nav": items, "role_label": user.get_role_display()}
