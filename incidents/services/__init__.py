"""Every state change of the incident domain goes through these functions.

Each runs in one transaction, takes the page lock, logs status changes and an audit entry,
bumps the public generation and announces a domain event.

Other apps import from this package only, never from its modules: `page_lock`,
`audit_record`, `audit_snapshot` and `public_changed` (a change another app shows on the
public pages) are here for their own writes (API keys, alert routes,
subscribers), so every door leaves the same audit trail under the same lock.
"""

from incidents.errors import ServiceError
from incidents.services.audiences import audience_delete, audience_save
from incidents.services.common import (
    SYSTEM,
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    page_id_of,
    page_lock,
    public_changed,
)
from incidents.services.components import (
    component_create,
    component_delete,
    component_group_create,
    component_group_delete,
    component_group_set_members,
    component_group_update,
    component_maintenance_end,
    component_status_set,
    component_update,
)
from incidents.services.incident import (
    incident_create,
    incident_delete,
    incident_edit,
    incident_reopen,
    incident_resolve,
    incident_update_edit,
    incident_update_post,
    postmortem_publish,
    postmortem_save_draft,
)
from incidents.services.maintenance import (
    maintenance_cancel,
    maintenance_complete,
    maintenance_delete,
    maintenance_reschedule,
    maintenance_run_due,
    maintenance_schedule,
    maintenance_start,
    maintenance_update_post,
)
from incidents.services.ordering import page_entry_move
from incidents.services.page_settings import page_create, page_update
from incidents.services.templates import incident_template_delete, incident_template_save
from incidents.services.translations import (
    translated_field,
    translation_languages,
    translations_set,
)

__all__ = [
    "audience_delete",
    "audience_save",
    "SYSTEM",
    "Actor",
    "PageRef",
    "page_id_of",
    "ServiceError",
    "audit_record",
    "audit_snapshot",
    "component_create",
    "component_delete",
    "component_group_create",
    "component_group_delete",
    "component_group_set_members",
    "component_group_update",
    "component_maintenance_end",
    "component_status_set",
    "component_update",
    "incident_create",
    "incident_delete",
    "incident_edit",
    "incident_reopen",
    "incident_resolve",
    "incident_template_delete",
    "incident_template_save",
    "incident_update_edit",
    "incident_update_post",
    "maintenance_cancel",
    "maintenance_complete",
    "maintenance_delete",
    "maintenance_reschedule",
    "maintenance_run_due",
    "maintenance_schedule",
    "maintenance_start",
    "maintenance_update_post",
    "postmortem_publish",
    "postmortem_save_draft",
    "page_entry_move",
    "page_lock",
    "page_create",
    "page_update",
    "public_changed",
    "translated_field",
    "translation_languages",
    "translations_set",
]
