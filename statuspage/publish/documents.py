"""Documents the publisher renders in bulk rather than one request each: every incident's JSON.

`/api/v2/incidents/<id>.json` exists for every incident and maintenance window, and each one
changes with every public write (it carries the page's `updated_at`, as Statuspage's does), so
every publish renders all of them again. Through the request path each costs the middleware
chain and three queries of its own; here all of them cost one page and component tree and
three queries per batch. The bytes are built by the same code as the API view's
(`incidents.wire.incident_document`, `statuspage.json_http.json_bytes`), read as the view's
are (the replica when it has replayed the generation, else the primary), and sent with the
same `Content-Type` and `Cache-Control`; tests/publish/test_documents.py compares each one
with the origin's answer, byte for byte and header for header.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from incidents import selectors, wire
from incidents.models import Incident, Maintenance
from statuspage.db_router import replica_reads
from statuspage.json_http import JSON_CONTENT_TYPE, json_bytes
from statuspage.public_cache import (
    cache_control,
    document_key,
    document_version,
    page_generation,
    rendered_elsewhere,
)

INCIDENT_JSON = re.compile(r"/api/v2/incidents/([0-9a-z]{12})\.json")
# The view's cache key reads `?page` (statuspage.api.views: @public_json).
_QUERY_PARAMS = ("page",)
# Ids per query: bounded memory, and an IN list every database takes.
BATCH = 500


def incident_json(public_ids: Collection[str]) -> dict[str, bytes]:
    """public id -> the bytes of its `/api/v2/incidents/<id>.json`, for each id that is an
    incident or a maintenance window (an incident first, as the view looks them up). Ids
    that are neither are left out: asked for through the app, they answer 404. Raises
    DatabaseError."""
    # The default page's, the one the publisher publishes.
    page_id = page_generation()[0]
    generation = int(document_version(page_id).partition(".")[0])
    bodies: dict[str, bytes] = {}
    with replica_reads(generation, page_id):
        ctx = wire.Context()
        ids = sorted(public_ids)
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            found: list[Incident | Maintenance] = [
                *selectors.incidents_by_public_ids(batch),
                *selectors.maintenance_by_public_ids(batch),
            ]
            for obj in found:
                if obj.public_id not in bodies:
                    bodies[obj.public_id] = json_bytes(wire.incident_document(ctx, obj))
    for public_id, body in bodies.items():
        path = f"/api/v2/incidents/{public_id}.json"
        key = document_key(path, _QUERY_PARAMS, _no_query, page=page_id)
        rendered_elsewhere(key, body, JSON_CONTENT_TYPE)
    return bodies


def incident_json_headers() -> tuple[str, str]:
    """The `Content-Type` and `Cache-Control` the origin sends with each of them."""
    return JSON_CONTENT_TYPE, cache_control()


def _no_query(_name: str, default: str) -> str:
    return default
