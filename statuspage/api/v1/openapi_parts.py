"""Building blocks for the OpenAPI fragments each /api/v1/ module declares in OPENAPI_PATHS,
and the shared schemas. statuspage.api.v1.openapi assembles the document."""

from __future__ import annotations

from incidents.enums import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus
from incidents.models import Visibility


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


def ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def query(name: str, kind: str, *, fmt: str | None = None, maximum: int | None = None, enum=None):
    schema: dict = {"type": kind}
    if kind == "integer":
        schema["minimum"] = 1
        schema["maximum"] = maximum or 100_000
    if fmt:
        schema["format"] = fmt
    if enum:
        schema["enum"] = list(enum)
    return {"name": name, "in": "query", "required": False, "schema": schema}


def json_body(resource: str, schema: str, *, required: bool = True) -> dict:
    """A body wrapped in its resource name, as JSON or as Rails-style form fields."""
    wrapped = {
        "type": "object",
        "properties": {resource: ref(schema)},
        "required": [resource] if required else [],
    }
    return {
        "required": required,
        "content": {
            "application/json": {"schema": wrapped},
            "application/x-www-form-urlencoded": {"schema": wrapped},
        },
    }


_ERROR = ok(ref("Error"), "Error")
ERRORS = {
    str(code): {**_ERROR, "description": text}
    for code, text in (
        (400, "Malformed request or parameter"),
        (401, "Missing or invalid API key"),
        (403, "The key lacks the scope"),
        (404, "Unknown page or id"),
        (413, "Body too large"),
        (415, "Unsupported body type"),
        (422, "Invalid field values"),
        (429, "Rate limit exceeded (see Retry-After)"),
    )
}

_TS = {"type": "string", "format": "date-time"}
_TS_NULL = {"type": ["string", "null"], "format": "date-time"}
_ID = {"type": "string"}
_STR_NULL = {"type": ["string", "null"]}


def _obj(properties: dict, *, required: bool = True) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = sorted(properties)
    return schema


_UPDATE = _obj(
    {
        "id": _ID,
        "status": {"type": "string"},
        "body": {"type": "string"},
        "incident_id": _ID,
        "created_at": _TS,
        "updated_at": _TS,
        "display_at": _TS,
        "affected_components": {
            "type": ["array", "null"],
            "items": _obj(
                {
                    "code": _ID,
                    "name": {"type": "string"},
                    "old_status": {"enum": ComponentStatus.values},
                    "new_status": {"enum": ComponentStatus.values},
                }
            ),
        },
        "deliver_notifications": {"type": "boolean"},
        "custom_tweet": {"type": "null"},
        "tweet_id": {"type": "null"},
    }
)

_COMPONENT = _obj(
    {
        "id": _ID,
        "page_id": _ID,
        "group_id": {"type": ["string", "null"]},
        "name": {"type": "string"},
        "description": _STR_NULL,
        "status": {"enum": ComponentStatus.values},
        "position": {"type": "integer"},
        "showcase": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "start_date": {"type": ["string", "null"], "format": "date"},
        "group": {"type": "boolean"},
        "created_at": _TS,
        "updated_at": _TS,
    }
)
_COMPONENT["properties"]["components"] = {"type": "array", "items": _ID}

_INCIDENT = _obj(
    {
        "id": _ID,
        "page_id": _ID,
        "name": {"type": "string"},
        "status": {"enum": IncidentStatus.values + MaintenanceStatus.values},
        "impact": {"enum": Impact.values},
        "impact_override": {"enum": [*Impact.values, None]},
        "created_at": _TS,
        "updated_at": _TS,
        "started_at": _TS,
        "monitoring_at": _TS_NULL,
        "resolved_at": _TS_NULL,
        "shortlink": {"type": "string"},
        "backfilled": {"type": "boolean"},
        "postmortem_body": _STR_NULL,
        "postmortem_body_last_updated_at": _TS_NULL,
        "postmortem_published_at": _TS_NULL,
        "metadata": {"type": "object"},
        "scheduled_for": _TS_NULL,
        "scheduled_until": _TS_NULL,
        "scheduled_remind_prior": {"type": "boolean"},
        "scheduled_reminded_at": _TS_NULL,
        "scheduled_auto_in_progress": {"type": "boolean"},
        "scheduled_auto_completed": {"type": "boolean"},
        "incident_updates": array_of("IncidentUpdate"),
        "components": array_of("Component"),
    }
)

_BOOL_IN = {"type": ["boolean", "string"]}


def _translations(*texts: str) -> dict:
    """Our extension (Statuspage clients ignore it): operator-written translations by language
    code ("de", "pt-br"), each of the page's offered languages but its own; null removes one."""
    entry = {
        "type": ["object", "null"],
        "properties": {t: {"type": "string", "minLength": 1} for t in texts},
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "Translations by language code (an extension of this API).",
        "additionalProperties": entry,
    }


# Shown on every incident and update, but not required of Statuspage-shaped documents.
_INCIDENT["properties"]["translations"] = _translations("name")
_UPDATE["properties"]["translations"] = _translations("body")

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["error"],
    },
    "Page": _obj(
        {
            "id": _ID,
            "name": {"type": "string"},
            "url": {"type": "string"},
            "time_zone": {"type": "string"},
            "updated_at": _TS,
            "subdomain": {
                "type": "string",
                "description": "The page's slug: it is also served under /p/{subdomain}/.",
            },
            "domain": {
                "type": ["string", "null"],
                "description": "The first of `hosts`, or null (Statuspage's custom domain).",
            },
            "hosts": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Every host name the page answers on: lowercase, without port, "
                "each unique across the install's pages.",
            },
            "visibility": {
                "enum": Visibility.values,
                "description": "Who may read the page: `public` (everyone), `private` (signed-in "
                "readers) or `audience` (readers see their audience's components). Stored and "
                "returned; not enforced yet: every page is served as public.",
            },
        }
    ),
    "PageInput": _obj(
        {
            "name": {"type": "string", "maxLength": 120},
            "url": {"type": "string"},
            "time_zone": {"type": "string"},
            "hosts": {"type": "array", "items": {"type": "string"}},
            "visibility": {"enum": Visibility.values},
        },
        required=False,
    ),
    "Component": _COMPONENT,
    "ComponentInput": _obj(
        {
            "name": {"type": "string", "maxLength": 120},
            "description": {"type": "string"},
            "status": {"enum": ComponentStatus.values},
            "group_id": {"type": ["string", "null"]},
            "showcase": _BOOL_IN,
            "only_show_if_degraded": _BOOL_IN,
            "start_date": {"type": ["string", "null"], "format": "date"},
            "deliver_notifications": _BOOL_IN,
        },
        required=False,
    ),
    "ComponentGroup": _obj(
        {
            "id": _ID,
            "page_id": _ID,
            "name": {"type": "string"},
            "description": _STR_NULL,
            "components": {"type": "array", "items": _ID},
            "position": {"type": "integer"},
            "created_at": _TS,
            "updated_at": _TS,
        }
    ),
    "ComponentGroupInput": _obj(
        {
            "name": {"type": "string", "maxLength": 120},
            "description": {"type": "string"},
            "components": {"type": "array", "items": _ID},
        },
        required=False,
    ),
    "Uptime": _obj(
        {
            "range_start": {"type": "string", "format": "date"},
            "range_end": {"type": "string", "format": "date"},
            "uptime_percentage": {"type": ["number", "null"]},
            "major_outage": {"type": "integer"},
            "partial_outage": {"type": "integer"},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "related_events": {
                "type": "array",
                "items": _obj({"name": {"type": "string"}, "code": _ID}),
            },
        }
    ),
    "Incident": _INCIDENT,
    "IncidentUpdate": _UPDATE,
    "IncidentInput": _obj(
        {
            "name": {"type": "string", "maxLength": 200},
            "status": {"enum": IncidentStatus.values + MaintenanceStatus.values},
            "impact_override": {"enum": [*Impact.values, None]},
            "body": {"type": "string"},
            "component_ids": {"type": "array", "items": _ID},
            "components": {
                "type": "object",
                "additionalProperties": {"enum": ComponentStatus.values},
            },
            "deliver_notifications": _BOOL_IN,
            "metadata": {"type": "object"},
            "backfilled": _BOOL_IN,
            "backfill_date": {"type": "string", "format": "date-time"},
            "scheduled_for": {"type": "string", "format": "date-time"},
            "scheduled_until": {"type": "string", "format": "date-time"},
            "scheduled_remind_prior": _BOOL_IN,
            "scheduled_auto_in_progress": _BOOL_IN,
            "scheduled_auto_completed": _BOOL_IN,
            # "body" translates the update this request posts.
            "translations": _translations("name", "body"),
        },
        required=False,
    ),
    "IncidentUpdateInput": _obj(
        {
            "body": {"type": "string"},
            "display_at": {"type": "string", "format": "date-time"},
            "deliver_notifications": _BOOL_IN,
            "translations": _translations("body"),
        },
        required=False,
    ),
    "IncidentTemplate": _obj(
        {
            "id": _ID,
            "name": {"type": "string"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "group_id": {"type": "null"},
            "update_status": {"enum": list(IncidentStatus.values[:3])},
            "should_tweet": {"type": "boolean"},
            "should_send_notifications": {"type": "boolean"},
            "components": array_of("Component"),
            "created_at": _TS,
            "updated_at": _TS,
        }
    ),
    "IncidentTemplateInput": _obj(
        {
            "name": {"type": "string", "maxLength": 120},
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string"},
            "group_id": {"type": ["string", "null"]},
            "update_status": {"enum": list(IncidentStatus.values[:3])},
            "should_tweet": _BOOL_IN,
            "should_send_notifications": _BOOL_IN,
            "component_ids": {"type": "array", "items": _ID},
        },
        required=False,
    ),
}
