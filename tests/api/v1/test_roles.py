"""The owner's role caps every API key, per operation: for each operation in the OpenAPI
document, a key holding every scope answers normally when its owner's role allows the operation
and 403 (with nothing written) when it does not. Viewers read; responders also run incidents,
maintenance and component statuses (alerts included); admins also change components, groups,
templates and subscribers.

The keys are made the way such a key comes to exist: created for an admin, who is then demoted
(a key never outlives its owner's role)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from incidents.models import AuditEntry, Component, ComponentGroup, Incident
from incidents.services import Actor
from notifications.models import Subscriber
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from statuspage.api.v1 import openapi
from tests.api.v1.conftest import ApiClient
from tests.api.v1.test_openapi import BODIES, METHODS

pytestmark = pytest.mark.django_db

VIEWER, RESPONDER, ADMIN = Role.VIEWER, Role.RESPONDER, Role.ADMIN
STATUS_ONLY = {"component": {"status": "degraded_performance"}}

# (path, method) -> [(what the call does, body, least role)]. Reads are the viewer's; a body
# decides for a component's PATCH/PUT (a status is a responder's, a name an admin's).
TABLE: dict[tuple[str, str], list[tuple[str, dict | None, Role]]] = {
    ("/pages", "get"): [("list pages", None, VIEWER)],
    ("/pages/{page_id}", "get"): [("get page", None, VIEWER)],
    ("/pages/{page_id}", "patch"): [("edit page", None, ADMIN)],
    ("/pages/{page_id}/components", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/components", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/components/{component_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/components/{component_id}", "patch"): [
        ("set status", STATUS_ONLY, RESPONDER),
        ("rename", None, ADMIN),
    ],
    ("/pages/{page_id}/components/{component_id}", "put"): [
        ("set status", None, RESPONDER),
        ("rename", {"component": {"name": "Renamed"}}, ADMIN),
    ],
    ("/pages/{page_id}/components/{component_id}", "delete"): [("delete", None, ADMIN)],
    ("/pages/{page_id}/components/{component_id}/uptime", "get"): [("uptime", None, VIEWER)],
    ("/pages/{page_id}/uptime-report", "get"): [("report", None, VIEWER)],
    ("/pages/{page_id}/component-groups", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/component-groups", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/component-groups/{group_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/component-groups/{group_id}", "patch"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/component-groups/{group_id}", "put"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/component-groups/{group_id}", "delete"): [("delete", None, ADMIN)],
    ("/pages/{page_id}/incidents", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incidents", "post"): [("declare", None, RESPONDER)],
    ("/pages/{page_id}/incidents/unresolved", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incidents/upcoming", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incidents/scheduled", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incidents/active_maintenance", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incidents/{incident_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/incidents/{incident_id}", "patch"): [("update", None, RESPONDER)],
    ("/pages/{page_id}/incidents/{incident_id}", "put"): [("update", None, RESPONDER)],
    ("/pages/{page_id}/incidents/{incident_id}", "delete"): [("delete", None, RESPONDER)],
    ("/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}", "patch"): [
        ("edit text", None, RESPONDER)
    ],
    ("/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}", "put"): [
        ("edit", None, RESPONDER)
    ],
    ("/pages/{page_id}/incident_templates", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/incident_templates", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/subscribers", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/subscribers", "post"): [("add", None, ADMIN)],
    ("/pages/{page_id}/subscribers/count", "get"): [("count", None, VIEWER)],
    ("/pages/{page_id}/subscribers/{subscriber_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/subscribers/{subscriber_id}", "patch"): [("scope", None, ADMIN)],
    ("/pages/{page_id}/subscribers/{subscriber_id}", "delete"): [("unsubscribe", None, ADMIN)],
    ("/pages/{page_id}/subscribers/{subscriber_id}/resend_confirmation", "post"): [
        ("resend", None, ADMIN)
    ],
    ("/pages/{page_id}/monitors", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/monitors", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/monitors/{monitor_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/monitors/{monitor_id}", "patch"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/monitors/{monitor_id}", "put"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/monitors/{monitor_id}", "delete"): [("delete", None, ADMIN)],
    ("/pages/{page_id}/audiences", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/audiences", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/audiences/{audience_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/audiences/{audience_id}", "patch"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/audiences/{audience_id}", "put"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/audiences/{audience_id}", "delete"): [("delete", None, ADMIN)],
    ("/pages/{page_id}/metrics_providers", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/metrics_providers", "post"): [("create", None, ADMIN)],
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}", "patch"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}/metrics", "get"): [
        ("list", None, VIEWER)
    ],
    ("/pages/{page_id}/metrics_providers/{metrics_provider_id}/metrics", "post"): [
        ("create", None, ADMIN)
    ],
    ("/pages/{page_id}/metrics", "get"): [("list", None, VIEWER)],
    ("/pages/{page_id}/metrics/data", "post"): [("push", None, ADMIN)],
    ("/pages/{page_id}/metrics/{metric_id}", "get"): [("get", None, VIEWER)],
    ("/pages/{page_id}/metrics/{metric_id}", "patch"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/metrics/{metric_id}", "put"): [("edit", None, ADMIN)],
    ("/pages/{page_id}/metrics/{metric_id}", "delete"): [("delete", None, ADMIN)],
    ("/pages/{page_id}/metrics/{metric_id}/data", "post"): [("push", None, ADMIN)],
    ("/pages/{page_id}/metrics/{metric_id}/data", "delete"): [("reset", None, ADMIN)],
    ("/integrations/alertmanager", "post"): [("alert", None, RESPONDER)],
    ("/integrations/component-status", "post"): [("monitor hook", None, RESPONDER)],
}


def _documented() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, item in openapi.document()["paths"].items()
        for method in METHODS
        # A `.json` alias is the same view (test_statuspage_shapes drives both spellings).
        if method in item and "x-same-as" not in item
    ]


def _cases():
    for path, method in _documented():
        for label, body, needed in TABLE.get((path, method), [("not in the table", None, None)]):
            for role in (VIEWER, RESPONDER, ADMIN):
                yield pytest.param(
                    path, method, body, needed, role, id=f"{method} {path} {label} as {role}"
                )


def test_the_table_covers_every_documented_operation_and_nothing_else():
    assert set(TABLE) == set(_documented())


@pytest.fixture
def all_scopes_key(page):
    """key(role) -> the plain key, holding every scope, of an operator now of that role."""

    def make(role: Role) -> str:
        user = get_user_model().objects.create_user(f"{role}-owner", password="pw")
        Membership.objects.create(user=user, role=Role.ADMIN)
        _key, raw = api_key_create(
            actor=Actor(label="test", via="test"),
            owner=user,
            name="everything",
            scopes=list(Scope.values),
        )
        Membership.objects.filter(user=user).update(role=role)
        return raw

    return make


def _written() -> tuple:
    """What a refused call must leave as it was."""
    return (
        AuditEntry.objects.count(),
        sorted(Component.objects.values_list("name", "status")),
        sorted(ComponentGroup.objects.values_list("name", flat=True)),
        sorted(Incident.objects.values_list("name", "status")),
        sorted(Subscriber.objects.values_list("address", "state")),
    )


@pytest.mark.parametrize(("path", "method", "body", "needed", "role"), list(_cases()))
def test_each_operation_answers_by_the_owner_s_role(
    objects, all_scopes_key, path, method, body, needed, role
):
    assert needed is not None, f"{method} {path} is documented but not in TABLE"
    client = ApiClient(all_scopes_key(role))
    ids = objects | ({"component_id": objects["spare"]} if method == "delete" else {})
    url = "/api/v1" + path.format(**ids)
    before = _written()
    if method in ("get", "delete"):
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(
            url, body if body is not None else BODIES[(path, method)]
        )
    if role.rank >= needed.rank:
        # Allowed: with a valid body it does what was asked.
        assert response.status_code < 300, (
            response.status_code,
            response.content,
        )
    else:
        assert response.status_code == 403, (response.status_code, response.content)
        assert "scope" in response.json()["error"]
        assert _written() == before


@pytest.mark.parametrize(
    ("role", "status"), [(VIEWER, 403), (RESPONDER, 422), (ADMIN, 422)], ids=str
)
def test_the_role_is_checked_before_the_body(objects, all_scopes_key, role, status):
    """A refused caller learns nothing about the input; an allowed one gets the field errors."""
    client = ApiClient(all_scopes_key(role))
    response = client.post(f"/api/v1/pages/{objects['page_id']}/incidents", {"incident": {}})
    assert response.status_code == status
    if status == 422:
        assert "name" in response.json()["errors"]
