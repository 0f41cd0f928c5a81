"""Back-office editing of units and officers for the political department, scoped by bureau."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from precinct.common.admin import RoleScopedAdmin
from precinct.core.capabilities import PEOPLE_ADMINS
from precinct.core.scoping import caller

from . import services
from .models import Assignment, Officer, Secondment, Unit


@admin.register(Unit)
class UnitAdmin(RoleScopedAdmin):
    roles = PEOPLE_ADMINS
    read_only = True  # the unit tree changes through the services (paths are derived)
    list_display = ("name", "kind", "code", "parent", "area_km2")
    list_filter = ("kind",)
    search_fields = ("name", "code")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        return services.scope_units(caller(request))


@admin.register(Officer)
class OfficerAdmin(RoleScopedAdmin):
    roles = PEOPLE_ADMINS
    read_only = True  # edits go through the officer pages, where the business rules are checked
    list_display = (
        "police_number",
        "name",
        "gender",
        "rank",
        "post_type",
        "status",
        "current_unit",
    )
    list_filter = ("post_type", "status", "gender")
    search_fields = ("police_number", "name")
    readonly_fields = ("bureau", "current_unit", "current_position")
    exclude = ("photo",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Officer]:
        return services.scope_officers(caller(request)).select_related("current_unit")


@admin.register(Assignment)
class AssignmentAdmin(RoleScopedAdmin):
    roles = PEOPLE_ADMINS
    read_only = True  # postings are effective-dated history; add them from the officer page
    list_display = ("officer", "unit", "position", "start", "end")
    date_hierarchy = "start"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        officers = services.scope_officers(caller(request))
        return Assignment.objects.filter(officer__in=officers).select_related("officer", "unit")


@admin.register(Secondment)
class SecondmentAdmin(RoleScopedAdmin):
    roles = PEOPLE_ADMINS
    read_only = True  # planned, approved and ended on the deployment page, where the rules apply
    list_display = ("officer", "from_unit", "to_unit", "start", "planned_end", "status")
    list_filter = ("status",)
    date_hierarchy = "start"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Secondment]:
        return services.scope_secondments(caller(request)).select_related(
            "officer", "from_unit", "to_unit"
        )
