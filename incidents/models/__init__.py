"""The domain: the page, its components, incidents, maintenance, incident templates, and the
status-change log.

State changes go through incidents.services; reads through incidents.selectors. Models hold
fields, constraints and small derived properties only.
"""

from __future__ import annotations

from incidents.models.audiences import Audience
from incidents.models.base import (
    MAX_TEXT_LENGTH,
    CheckedModel,
    PublicIdModel,
    check_text_fields,
    new_public_id,
    text_problem,
    validate_time_zone,
)
from incidents.models.components import Component, ComponentGroup, ComponentStatusChange
from incidents.models.events import (
    AffectedComponent,
    Incident,
    IncidentComponent,
    IncidentTemplate,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    UpdateBase,
)
from incidents.models.pages import (
    Page,
    PageHost,
    Visibility,
    default_page_id,
    page_field,
    validate_host,
)
from incidents.models.records import AuditEntry, PublicChange

__all__ = [
    "new_public_id",
    "validate_time_zone",
    "MAX_TEXT_LENGTH",
    "text_problem",
    "check_text_fields",
    "CheckedModel",
    "PublicIdModel",
    "validate_host",
    "Visibility",
    "default_page_id",
    "Page",
    "PageHost",
    "Audience",
    "page_field",
    "ComponentGroup",
    "Component",
    "ComponentStatusChange",
    "Incident",
    "IncidentComponent",
    "UpdateBase",
    "AffectedComponent",
    "IncidentUpdate",
    "Maintenance",
    "MaintenanceUpdate",
    "IncidentTemplate",
    "AuditEntry",
    "PublicChange",
]
