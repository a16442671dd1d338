"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of the management API.

Each resource module declares the paths it serves in `OPENAPI_PATHS` (relative to /api/v1);
this module merges the fragments of MODULES and the shared schemas. Adding a resource module
means adding it to MODULES (tests check every route is documented and every documented
operation answers)."""

from __future__ import annotations

import functools
import importlib
import json

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from statuspage.api.v1.openapi_parts import SCHEMAS

MODULES = [
    "statuspage.api.v1.pages",
    "statuspage.api.v1.components",
    "statuspage.api.v1.groups",
    "statuspage.api.v1.incidents",
    "statuspage.api.v1.templates",
    "statuspage.api.v1.subscribers",
    "statuspage.api.v1.integrations",
    "statuspage.api.v1.monitors",
    "statuspage.api.v1.audiences",
    "statuspage.api.v1.metrics",
    "statuspage.api.v1.uptime_report",
]

OPENAPI_PATHS: dict = {}

_PAGE_ID = {
    "name": "page_id",
    "in": "path",
    "required": True,
    "description": "The page's id (GET /pages lists it).",
    "schema": {"type": "string"},
}


@functools.cache
def document() -> dict:
    paths: dict = {}
    schemas = dict(SCHEMAS)
    for name in MODULES:
        module = importlib.import_module(name)
        for path, item in module.OPENAPI_PATHS.items():
            if path in paths:
                raise ValueError(f"{path} is documented twice (in {name}).")
            item = dict(item)
            if "{page_id}" in path:
                item["parameters"] = [_PAGE_ID, *item.get("parameters", [])]
            paths[path] = item
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    # Atlassian's description spells every path with `.json`; each answers both ways.
    for path, item in list(paths.items()):
        paths[path + ".json"] = {**item, "x-same-as": path}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Status page management API",
            "version": "1",
            "description": (
                "Statuspage-compatible management API. Authenticate with the header "
                "`Authorization: OAuth <api key>` (or `?api_key=`). Bodies are JSON or "
                "form-encoded, wrapped in the resource name; fields outside the documented "
                "ones (current and older Statuspage names) are refused with a 422 naming them. "
                "Every path also answers with a `.json` suffix (`/pages/{page_id}/incidents.json`"
                "), as Statuspage's own description writes them. Statuspage's metrics, page "
                "access, postmortem and incident subscriber endpoints answer 501 naming the "
                "missing feature."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"oauth_header": []}, {"api_key_query": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "oauth_header": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The key, prefixed: `OAuth <api key>`.",
                },
                "api_key_query": {"type": "apiKey", "in": "query", "name": "api_key"},
            },
        },
    }


@require_safe
def openapi_json(request):
    response = HttpResponse(
        json.dumps(document(), separators=(",", ":")), content_type="application/json"
    )
    # The same for everyone and changes only with a deploy.
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
