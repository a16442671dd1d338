"""The OpenAPI document matches the implementation: every route is documented, every
documented operation answers, and real responses validate against the documented schemas."""

from __future__ import annotations

import jsonschema
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from statuspage.access.models import Role
from statuspage.api.v1 import openapi
from tests.api.v1.conftest import OBJECTS_COMPONENT_ID, OBJECTS_METRIC_ID
from tests.conftest import SUITE_NOW

NOW_UNIX = int(SUITE_NOW.timestamp())

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")


def _document() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    return response.json()


def _v1_routes() -> list[str]:
    """The /api/v1 URL patterns as OpenAPI paths (`<str:x>` -> `{x}`), catch-all excluded."""
    resolver = get_resolver()
    v1 = next(
        p
        for p in resolver.url_patterns
        if isinstance(p, URLResolver) and str(p.pattern).startswith("api/v1")
    )
    out = []
    for pattern in v1.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if pattern.name in ("api-v1-not-found", "api-v1-openapi") or str(pattern.name).startswith(
            "api-v1-not-implemented-"
        ):
            continue
        out.append("/" + route.replace("<id:", "{").replace(">", "}"))
    return out


def test_every_route_is_documented_and_nothing_else():
    documented = set(_document()["paths"])
    assert set(_v1_routes()) == documented


def test_every_path_is_documented_with_its_json_spelling_too():
    paths = _document()["paths"]
    plain = [p for p, item in paths.items() if "x-same-as" not in item]
    assert plain
    for path in plain:
        alias = paths[path + ".json"]
        assert alias["x-same-as"] == path
        assert {k: v for k, v in alias.items() if k != "x-same-as"} == paths[path]


def test_schemas_are_valid_json_schema_and_refs_resolve():
    doc = _document()
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    for path, item in doc["paths"].items():
        for method in set(item) & set(METHODS):
            operation = item[method]
            assert operation["responses"], (path, method)
            for response in operation["responses"].values():
                for media in response.get("content", {}).values():
                    _validator(doc, media["schema"])  # refs resolve at build time


def _validator(doc: dict, schema: dict) -> jsonschema.Draft202012Validator:
    root = {**schema, "components": doc["components"]}
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


BODIES = {
    ("/pages/{page_id}", "patch"): {"page": {"name": "Renamed page"}},
    ("/pages/{page_id}/components", "post"): {"component": {"name": "New"}},
    ("/pages/{page_id}/components/{component_id}", "patch"): {"component": {"name": "N"}},
    ("/pages/{page_id}/components/{component_id}", "put"): {"component": {"status": "operational"}},
    ("/pages/{page_id}/component-groups", "post"): {"component_group": {"name": "G2"}},
    ("/pages/{page_id}/component-groups/{group_id}", "patch"): {"component_group": {"name": "G3"}},
    ("/pages/{page_id}/component-groups/{group_id}", "put"): {"component_group": {"name": "G4"}},
    ("/pages/{page_id}/incidents", "post"): {"incident": {"name": "I", "body": "b"}},
    ("/pages/{page_id}/incidents/{incident_id}", "patch"): {"incident": {"status": "monitoring"}},
    ("/pages/{page_id}/incidents/{incident_id}", "put"): {"incident": {"name": "Renamed"}},
    ("/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}", "patch"): {
        "incident_update": {"body": "Edited"}
    },
    ("/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}", "put"): {
        "incident_update": {"deliver_notifications": False}
    },
    ("/pages/{page_id}/subscribers", "post"): {"subscriber": {"email": "n@example.test"}},
    ("/pages/{page_id}/subscribers/{subscriber_id}", "patch"): {"component_ids": []},
    ("/pages/{page_id}/subscribers/{subscriber_id}/resend_confirmation", "post"): {},
    ("/pages/{page_id}/incident_templates", "post"): {
        "template": {"name": "T", "title": "t", "body": "b"}
    },
    ("/integrations/alertmanager", "post"): {
        "version": "4",
        "status": "firing",
        "receiver": "statuspage",
        "groupKey": '{}:{alertname="Down"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Down"},
                "startsAt": "2026-11-22T10:00:00Z",
                "fingerprint": "0123456789abcdef",
            }
        ],
    },
    ("/integrations/component-status", "post"): {"component": "Spare", "status": "operational"},
    ("/pages/{page_id}/monitors", "post"): {
        "monitor": {"name": "N", "kind": "heartbeat", "component_id": OBJECTS_COMPONENT_ID}
    },
    ("/pages/{page_id}/monitors/{monitor_id}", "patch"): {"monitor": {"interval_seconds": 120}},
    ("/pages/{page_id}/monitors/{monitor_id}", "put"): {"monitor": {"name": "Renamed"}},
    ("/pages/{page_id}/audiences", "post"): {
        "audience": {
            "name": "Partners",
            "slug": "partners",
            "component_ids": [OBJECTS_COMPONENT_ID],
            "domains": ["partner.example"],
        }
    },
    ("/pages/{page_id}/audiences/{audience_id}", "patch"): {"audience": {"claim_name": ""}},
    ("/pages/{page_id}/audiences/{audience_id}", "put"): {"audience": {"name": "Acme Corp"}},
    ("/pages/{page_id}/metrics_providers", "post"): {"metrics_provider": {"type": "Self"}},
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}", "patch"): {
        "metrics_provider": {"type": "Self"}
    },
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}/metrics", "post"): {
        "metric": {"name": "Queue depth", "component_id": OBJECTS_COMPONENT_ID}
    },
    ("/pages/{page_id}/metrics/data", "post"): {
        "data": {OBJECTS_METRIC_ID: [{"timestamp": NOW_UNIX - 60, "value": 3}]}
    },
    ("/pages/{page_id}/metrics/{metric_id}", "patch"): {"metric": {"suffix": "ms"}},
    ("/pages/{page_id}/metrics/{metric_id}", "put"): {"metric": {"name": "Renamed"}},
    ("/pages/{page_id}/metrics/{metric_id}/data", "post"): {
        "data": {"timestamp": NOW_UNIX - 30, "value": 2.5}
    },
}


def test_every_documented_operation_answers_as_documented(v1, objects):
    doc = _document()
    client = v1(Role.ADMIN)
    operations = [
        (path, method)
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item and "x-same-as" not in item
    ]
    # Deletes last, so every other call still finds its object.
    operations.sort(key=lambda op: op[1] == "delete")
    assert len(operations) >= 20
    for path, method in operations:
        url = "/api/v1" + path.format(**objects)
        if method == "delete" and "{component_id}" in path:
            url = "/api/v1" + path.format(**(objects | {"component_id": objects["spare"]}))
        if method in ("get", "delete"):
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, BODIES[(path, method)])
        status = str(response.status_code)
        assert response.status_code < 400, (path, method, response.content)
        documented = doc["paths"][path][method]["responses"]
        assert status in documented, (path, method, status)
        content = documented[status].get("content")
        if content is None:
            assert not response.content
            continue
        errors = list(
            _validator(doc, content["application/json"]["schema"]).iter_errors(response.json())
        )
        assert not errors, (path, method, [e.message for e in errors[:3]])


def test_documented_error_shape_matches_real_errors(v1, objects):
    doc = _document()
    error_schema = doc["paths"]["/pages/{page_id}/components"]["post"]["responses"]["422"]
    response = v1().post(f"/api/v1/pages/{objects['page_id']}/components", {"component": {}})
    assert response.status_code == 422
    validator = _validator(doc, error_schema["content"]["application/json"]["schema"])
    assert not list(validator.iter_errors(response.json()))


def test_modules_list_holds_every_fragment_once():
    assert len(set(openapi.MODULES)) == len(openapi.MODULES)
    openapi.document.cache_clear()
    assert openapi.document()["paths"]
