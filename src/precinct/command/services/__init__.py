"""Use cases of command and patrol; the entry point owns the transaction. The public names."""

from ._common import COMMAND_ROLES, MAX_KEY, TOPIC, keying
from .addresses import import_register, replace_register, suggest
from .board import UnitView, board, board_version, crew_on_shift, unit_views
from .crew import crew_car, crew_terminal, rides_a_car
from .dispatch import dispatch, recommendations, record_position
from .figures import Figures, figures
from .fleet import CarSpec, ZoneSpec, bulk_load_history, install_fleet, install_roster
from .intake import body_digests, intake, zone_at
from .queries import (
    car_posts,
    cars_on,
    desk_seconds,
    first_received,
    get_incident,
    incident_counts,
    incident_history,
    incident_points,
    list_incidents,
    scope_incidents,
    scope_patrol_units,
    shows_full_phone,
    street_by_response,
    street_counts,
)
from .steps import cancel_incident, close_incident, once, recall_unit, set_unit_status, timeline

__all__ = [
    "COMMAND_ROLES",
    "MAX_KEY",
    "TOPIC",
    "CarSpec",
    "Figures",
    "UnitView",
    "ZoneSpec",
    "board",
    "board_version",
    "body_digests",
    "bulk_load_history",
    "cancel_incident",
    "car_posts",
    "cars_on",
    "close_incident",
    "crew_car",
    "crew_on_shift",
    "crew_terminal",
    "desk_seconds",
    "dispatch",
    "figures",
    "first_received",
    "get_incident",
    "import_register",
    "incident_counts",
    "incident_history",
    "incident_points",
    "install_fleet",
    "install_roster",
    "intake",
    "keying",
    "list_incidents",
    "once",
    "recall_unit",
    "recommendations",
    "record_position",
    "replace_register",
    "rides_a_car",
    "scope_incidents",
    "scope_patrol_units",
    "set_unit_status",
    "shows_full_phone",
    "street_by_response",
    "street_counts",
    "suggest",
    "timeline",
    "unit_views",
    "zone_at",
]
