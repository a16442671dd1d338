"""Scopes match docs/api.md, per operation and per field: for each documented operation, a key
holding exactly one scope (its owner an admin, so the role never decides) answers normally when
that scope is the one the operation needs, and 403 with nothing written otherwise. A
component's PATCH/PUT needs `incidents:write` for `status` and `components:write` for each
other field."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from incidents.services import Actor
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from tests.api.v1.conftest import ApiClient
from tests.api.v1.test_openapi import BODIES
from tests.api.v1.test_roles import TABLE, _documented, _written

pytestmark = pytest.mark.django_db

READ, INCIDENTS, COMPONENTS, SUBSCRIBERS = (
    Scope.READ,
    Scope.INCIDENTS,
    Scope.COMPONENTS,
    Scope.SUBSCRIBERS,
)

# The scope each body of test_roles.TABLE needs, by its label; every GET needs `read`.
SCOPE_BY_LABEL = {
    ("/pages/{page_id}/components/{component_id}", "set status"): INCIDENTS,
    ("/pages/{page_id}/components/{component_id}", "rename"): COMPONENTS,
}
SCOPE_BY_PATH = {
    "/pages/{page_id}": COMPONENTS,
    "/pages/{page_id}/components": COMPONENTS,
    "/pages/{page_id}/components/{component_id}": COMPONENTS,
    "/pages/{page_id}/component-groups": COMPONENTS,
    "/pages/{page_id}/component-groups/{group_id}": COMPONENTS,
    "/pages/{page_id}/incident_templates": COMPONENTS,
    "/pages/{page_id}/monitors": COMPONENTS,
    "/pages/{page_id}/monitors/{monitor_id}": COMPONENTS,
    "/pages/{page_id}/audiences": COMPONENTS,
    "/pages/{page_id}/audiences/{audience_id}": COMPONENTS,
    "/pages/{page_id}/metrics_providers": COMPONENTS,
    "/pages/{page_id}/metrics_providers/{metrics_provider_id}": COMPONENTS,
    "/pages/{page_id}/metrics_providers/{metrics_provider_id}/metrics": COMPONENTS,
    "/pages/{page_id}/metrics/data": COMPONENTS,
    "/pages/{page_id}/metrics/{metric_id}": COMPONENTS,
    "/pages/{page_id}/metrics/{metric_id}/data": COMPONENTS,
    "/pages/{page_id}/subscribers": SUBSCRIBERS,
    "/pages/{page_id}/subscribers/{subscriber_id}": SUBSCRIBERS,
    "/pages/{page_id}/subscribers/{subscriber_id}/resend_confirmation": SUBSCRIBERS,
}


def _needed(path: str, method: str, label: str) -> Scope:
    if method == "get":
        return READ
    return SCOPE_BY_LABEL.get((path, label)) or SCOPE_BY_PATH.get(path, INCIDENTS)


def _cases():
    for path, method in _documented():
        for label, body, _role in TABLE[(path, method)]:
            for scope in Scope:
                yield pytest.param(
                    path, method, body, _needed(path, method, label), scope,
                    id=f"{method} {path} {label} with {scope.value}",
                )  # fmt: skip


@pytest.fixture
def one_scope_key(page):
    """key(scope) -> the plain key of an admin's key holding only that scope."""

    def make(scope: Scope) -> str:
        user = get_user_model().objects.create_user(f"owner-{scope.value}", password="pw")
        Membership.objects.create(user=user, role=Role.ADMIN)
        _key, raw = api_key_create(
            actor=Actor(label="test", via="test"), owner=user, name=scope.value, scopes=[scope]
        )
        return raw

    return make


def _call(client, path, method, body, objects):
    ids = objects | ({"component_id": objects["spare"]} if method == "delete" else {})
    url = "/api/v1" + path.format(**ids)
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, body if body is not None else BODIES[(path, method)])


@pytest.mark.parametrize(("path", "method", "body", "needed", "scope"), list(_cases()))
def test_each_operation_needs_its_documented_scope(
    objects, one_scope_key, path, method, body, needed, scope
):
    client = ApiClient(one_scope_key(scope))
    before = _written()
    response = _call(client, path, method, body, objects)
    if scope == needed:
        assert response.status_code < 300, (response.status_code, response.content)
    else:
        assert response.status_code == 403, (response.status_code, response.content)
        assert needed.value in response.json()["error"]
        assert _written() == before


COMPONENT_FIELDS = {
    "name": "Renamed",
    "description": "Described",
    "group_id": None,
    "showcase": False,
    "only_show_if_degraded": True,
    "start_date": "2026-01-02",
}


@pytest.mark.parametrize("field", COMPONENT_FIELDS)
@pytest.mark.parametrize("verb", ["patch", "put"])
def test_each_component_field_needs_components_write(objects, one_scope_key, field, verb):
    url = f"/api/v1/pages/{objects['page_id']}/components/{objects['component_id']}"
    body = {"component": {field: COMPONENT_FIELDS[field]}}
    responder_key, admin_key = (
        ApiClient(one_scope_key(INCIDENTS)),
        ApiClient(one_scope_key(COMPONENTS)),
    )
    before = _written()
    refused = getattr(responder_key, verb)(url, body)
    assert refused.status_code == 403 and "components:write" in refused.json()["error"]
    assert _written() == before
    allowed = getattr(admin_key, verb)(url, body)
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()[field] == COMPONENT_FIELDS[field]


def test_status_with_another_field_needs_both_scopes(objects, one_scope_key):
    url = f"/api/v1/pages/{objects['page_id']}/components/{objects['component_id']}"
    body = {"component": {"status": "major_outage", "name": "Both"}}
    for scope in (INCIDENTS, COMPONENTS):
        client = ApiClient(one_scope_key(scope))
        before = _written()
        assert client.patch(url, body).status_code == 403
        assert _written() == before
