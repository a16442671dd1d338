"""Every write of automation from monitoring: alert routes (operators), and what alerts and
monitors do to components and incidents (always through incidents.services, under its page
lock, so automation leaves the same status log and audit trail as a person)."""

from statuspage.automation.services.alertmanager import alerts_apply
from statuspage.automation.services.component_hook import (
    ComponentReport,
    component_hook_apply,
    component_reports_apply,
)
from statuspage.automation.services.routes import (
    alert_route_delete,
    alert_route_move,
    alert_route_save,
)

__all__ = [
    "ComponentReport",
    "alert_route_delete",
    "alert_route_move",
    "alert_route_save",
    "alerts_apply",
    "component_hook_apply",
    "component_reports_apply",
]
