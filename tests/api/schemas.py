"""JSON Schemas of Statuspage's public v2 documents, written from
shared/reference/statuspage-api.md section 1 (not from our serializers).

Objects are closed (`additionalProperties: false`) and every key is required: the reference's
objects always carry every key, null where a value does not apply.
"""

from __future__ import annotations

ID = {"type": "string", "pattern": "^[0-9a-z]{12}$"}
# Milliseconds are mandatory; offset is Z or +/-HH:MM.
TIMESTAMP = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$",
}
NULLABLE_TIMESTAMP = {"anyOf": [TIMESTAMP, {"type": "null"}]}
COMPONENT_STATUS = {
    "enum": [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ]
}
INDICATOR = {"enum": ["none", "minor", "major", "critical", "maintenance"]}
IMPACT = {"enum": ["none", "minor", "major", "critical", "maintenance"]}
INCIDENT_STATUS = {"enum": ["investigating", "identified", "monitoring", "resolved", "postmortem"]}
MAINTENANCE_STATUS = {"enum": ["scheduled", "in_progress", "verifying", "completed"]}
DESCRIPTIONS = [
    "All Systems Operational",
    "Partially Degraded Service",
    "Degraded System Service",
    "Minor Service Outage",
    "Partial System Outage",
    "Major System Outage",
    "Service Under Maintenance",
]


def closed(properties: dict, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }


PAGE = closed(
    {
        "id": ID,
        "name": {"type": "string"},
        "url": {"type": "string", "pattern": "^https?://"},
        "time_zone": {"type": "string", "minLength": 1},
        "updated_at": TIMESTAMP,
    }
)
STATUS = closed({"indicator": INDICATOR, "description": {"enum": DESCRIPTIONS}})

_COMPONENT_FIELDS = {
    "id": ID,
    "name": {"type": "string"},
    "status": COMPONENT_STATUS,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "position": {"type": "integer", "minimum": 1},
    "description": {"type": ["string", "null"]},
    "showcase": {"type": "boolean"},
    "start_date": {
        "anyOf": [{"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, {"type": "null"}]
    },
    "page_id": ID,
    "only_show_if_degraded": {"type": "boolean"},
}
COMPONENT = closed(
    {**_COMPONENT_FIELDS, "group_id": {"anyOf": [ID, {"type": "null"}]}, "group": {"const": False}}
)
GROUP = closed(
    {
        **_COMPONENT_FIELDS,
        "group_id": {"type": "null"},
        "group": {"const": True},
        "components": {"type": "array", "items": ID},
    }
)
COMPONENT_ROW = {"oneOf": [COMPONENT, GROUP]}

AFFECTED = closed(
    {
        "code": ID,
        "name": {"type": "string"},
        "old_status": COMPONENT_STATUS,
        "new_status": COMPONENT_STATUS,
    }
)


def update(status: dict) -> dict:
    return closed(
        {
            "id": ID,
            "status": status,
            "body": {"type": "string"},
            "incident_id": ID,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "display_at": TIMESTAMP,
            "affected_components": {
                "anyOf": [{"type": "array", "items": AFFECTED}, {"type": "null"}]
            },
            "deliver_notifications": {"type": "boolean"},
            "custom_tweet": {"type": "null"},
            "tweet_id": {"type": "null"},
        }
    )


_INCIDENT_FIELDS = {
    "id": ID,
    "name": {"type": "string"},
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "monitoring_at": NULLABLE_TIMESTAMP,
    "resolved_at": NULLABLE_TIMESTAMP,
    "impact": IMPACT,
    "shortlink": {"type": "string", "pattern": "^https?://"},
    "started_at": TIMESTAMP,
    "page_id": ID,
    "components": {"type": "array", "items": COMPONENT},
}
INCIDENT = closed(
    {
        **_INCIDENT_FIELDS,
        "status": INCIDENT_STATUS,
        "incident_updates": {"type": "array", "items": update(INCIDENT_STATUS), "minItems": 1},
    }
)
MAINTENANCE = closed(
    {
        **_INCIDENT_FIELDS,
        "status": MAINTENANCE_STATUS,
        "impact": {"const": "maintenance"},
        "incident_updates": {"type": "array", "items": update(MAINTENANCE_STATUS), "minItems": 1},
        "scheduled_for": TIMESTAMP,
        "scheduled_until": TIMESTAMP,
    }
)


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


ENDPOINTS = {
    "summary.json": closed(
        {
            "page": PAGE,
            "status": STATUS,
            "components": _list(COMPONENT_ROW),
            "incidents": _list(INCIDENT),
            "scheduled_maintenances": _list(MAINTENANCE),
        }
    ),
    "status.json": closed({"page": PAGE, "status": STATUS}),
    "components.json": closed({"page": PAGE, "components": _list(COMPONENT_ROW)}),
    "incidents.json": closed({"page": PAGE, "incidents": _list(INCIDENT)}),
    "incidents/unresolved.json": closed({"page": PAGE, "incidents": _list(INCIDENT)}),
    "scheduled-maintenances.json": closed(
        {"page": PAGE, "scheduled_maintenances": _list(MAINTENANCE)}
    ),
    "scheduled-maintenances/upcoming.json": closed(
        {"page": PAGE, "scheduled_maintenances": _list(MAINTENANCE)}
    ),
    "scheduled-maintenances/active.json": closed(
        {"page": PAGE, "scheduled_maintenances": _list(MAINTENANCE)}
    ),
}
INCIDENT_DETAIL = closed({"page": PAGE, "incident": {"oneOf": [INCIDENT, MAINTENANCE]}})


# --- webhook payloads (reference section 2) -------------------------------------------------

WEBHOOK_META = closed(
    {
        "unsubscribe": {"type": "string", "pattern": "^https?://"},
        "documentation": {"type": "string", "pattern": "^https?://"},
        "generated_at": TIMESTAMP,
    }
)
WEBHOOK_PAGE = closed(
    {"id": ID, "status_indicator": INDICATOR, "status_description": {"enum": DESCRIPTIONS}}
)
# The incident object as in the API, plus these (null or false where they do not apply).
_WEBHOOK_INCIDENT_EXTRAS = {
    "backfilled": {"type": "boolean"},
    "impact_override": {"anyOf": [IMPACT, {"type": "null"}]},
    "postmortem_body": {"type": ["string", "null"]},
    "postmortem_published_at": NULLABLE_TIMESTAMP,
    "scheduled_for": NULLABLE_TIMESTAMP,
    "scheduled_until": NULLABLE_TIMESTAMP,
    "scheduled_remind_prior": {"type": "boolean"},
    "scheduled_auto_in_progress": {"type": "boolean"},
    "scheduled_auto_completed": {"type": "boolean"},
}


def _with_extras(obj: dict) -> dict:
    # The API's own field schemas win: a maintenance's scheduled_* are never null.
    properties = {**_WEBHOOK_INCIDENT_EXTRAS, **obj["properties"]}
    return closed(properties)


WEBHOOK_INCIDENT = closed(
    {
        "meta": WEBHOOK_META,
        "page": WEBHOOK_PAGE,
        "incident": {"oneOf": [_with_extras(INCIDENT), _with_extras(MAINTENANCE)]},
    }
)
COMPONENT_UPDATE = closed(
    {
        "id": ID,
        "component_id": ID,
        "old_status": COMPONENT_STATUS,
        "new_status": COMPONENT_STATUS,
        "created_at": TIMESTAMP,
        "component_type": {"const": "Component"},
    }
)
WEBHOOK_COMPONENT = closed(
    {
        "meta": WEBHOOK_META,
        "page": WEBHOOK_PAGE,
        "component_update": COMPONENT_UPDATE,
        "component": COMPONENT,
    }
)
