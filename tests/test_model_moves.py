"""Moving models between apps loses no row: a database migrated by the code from before the
move (ApiKey, AlertRoute and AlertState in the api app; Membership and IncidentTemplate in the
dashboard app) migrates forward with every row, relation and permission intact, now read
through statuspage.access, statuspage.automation and incidents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents import selectors as incident_selectors
from incidents.models import Component, IncidentTemplate
from statuspage.access.keys import key_digest
from statuspage.access.models import Membership, Role
from statuspage.access.selectors import api_key_find, role_of
from statuspage.automation.models import AlertRoute, AlertState

pytestmark = pytest.mark.django_db(transaction=True)

# The leaf migrations of the code before the move; access, automation, monitors, upstream,
# sso and readers did not exist.
BEFORE_THE_MOVE = [
    ("api", "0002_automation"),
    ("dashboard", "0002_incident_template"),
    ("incidents", "0004_page_notify_component_changes"),
    # Its newer migrations need newer incidents ones (0006_pages: a page per subscriber).
    ("notifications", "0004_delivery_attempt"),
    ("access", None),
    ("automation", None),
    ("monitors", None),
    ("upstream", None),
    ("sso", None),
    ("readers", None),
]
RAW_KEY = "abcd1234" + "k" * 32
MOVED = {
    # model: (table before, table after, app label before, app label after)
    "apikey": ("api_apikey", "access_apikey", "api", "access"),
    "membership": ("dashboard_membership", "access_membership", "dashboard", "access"),
    "alertroute": ("api_alertroute", "automation_alertroute", "api", "automation"),
    "alertstate": ("api_alertstate", "automation_alertstate", "api", "automation"),
    "incidenttemplate": (
        "dashboard_incidenttemplate",
        "incidents_incidenttemplate",
        "dashboard",
        "incidents",
    ),
}


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)  # a fresh graph knows what is applied now


def latest() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_install():
    """The database as the old code left it: migrated to its leaves, with rows in every moved
    table (written through the historical models of that time). Back to the latest after."""
    executor = migrate(BEFORE_THE_MOVE)
    try:
        moved_apps = {app for app, _ in BEFORE_THE_MOVE}
        old_leaves = [node for node in BEFORE_THE_MOVE if node[1] is not None] + [
            node for node in executor.loader.graph.leaf_nodes() if node[0] not in moved_apps
        ]
        yield _old_rows(executor.loader.project_state(old_leaves).apps)
    finally:
        migrate(latest())


def _old_rows(apps) -> dict:
    User = apps.get_model("auth", "User")
    owner = User.objects.create(username="rita", is_active=True)
    apps.get_model("dashboard", "Membership").objects.create(user=owner, role="responder")
    component = apps.get_model("incidents", "Component").objects.create(name="API")
    apps.get_model("api", "ApiKey").objects.create(
        name="deploys",
        owner=owner,
        scopes=["read", "incidents:write"],
        prefix=RAW_KEY[:8],
        digest=key_digest(RAW_KEY),
    )
    route = apps.get_model("api", "AlertRoute").objects.create(
        name="API down", matchers=[{"label": "service", "op": "=", "value": "api"}]
    )
    route.components.add(component)
    apps.get_model("api", "AlertState").objects.create(
        fingerprint="f1", route=route, alertname="HighErrorRate", status="firing"
    )
    template = apps.get_model("dashboard", "IncidentTemplate").objects.create(
        name="API down", title="{{ components }} down", body="Investigating."
    )
    template.components.add(component)
    types = apps.get_model("contenttypes", "ContentType").objects
    return {
        "owner_id": owner.pk,
        "component_id": component.pk,
        "content_types": {
            model: types.get(app_label=before, model=model).pk
            for model, (_, _, before, _) in MOVED.items()
        },
    }


def test_the_old_tables_hold_the_rows_before_the_move(old_install):
    tables = set(connection.introspection.table_names())
    assert {before for before, _, _, _ in MOVED.values()} <= tables
    assert not {after for _, after, _, _ in MOVED.values()} & tables


def test_migrating_forward_keeps_every_row_and_relation(old_install):
    migrate(latest())

    tables = set(connection.introspection.table_names())
    assert {after for _, after, _, _ in MOVED.values()} <= tables
    assert not {before for before, _, _, _ in MOVED.values()} & tables

    component = Component.objects.get(pk=old_install["component_id"])
    key = api_key_find(RAW_KEY)
    assert key is not None
    assert (key.name, key.owner_id, key.scopes) == (
        "deploys",
        old_install["owner_id"],
        ["read", "incidents:write"],
    )
    assert Membership.objects.get(user_id=old_install["owner_id"]).role == Role.RESPONDER
    assert role_of(key.owner) == Role.RESPONDER

    route = AlertRoute.objects.get()
    assert list(route.components.all()) == [component]
    assert route.matchers == [{"label": "service", "op": "=", "value": "api"}]
    state = AlertState.objects.get()
    assert (state.fingerprint, state.route, state.status) == ("f1", route, "firing")

    template = IncidentTemplate.objects.get()
    assert list(template.components.all()) == [component]
    assert incident_selectors.incident_template_render(template).title == "API down"


def test_content_types_and_permissions_move_with_the_models(old_install):
    migrate(latest())
    for model, (_, _, before, after) in MOVED.items():
        moved = ContentType.objects.get(app_label=after, model=model)
        assert moved.pk == old_install["content_types"][model]
        assert not ContentType.objects.filter(app_label=before, model=model).exists()
        assert Permission.objects.filter(content_type=moved, codename=f"view_{model}").exists()


def test_existing_keys_and_admins_become_install_wide():
    """access 0002: a key from before per-page access sees every page, an admin owns."""
    executor = migrate([("access", "0001_initial")])
    try:
        apps = executor.loader.project_state([("access", "0001_initial")]).apps
        User = apps.get_model("auth", "User")
        admin = User.objects.create(username="ada", is_active=True)
        viewer = User.objects.create(username="vic", is_active=True)
        apps.get_model("access", "Membership").objects.create(user=admin, role="admin")
        apps.get_model("access", "Membership").objects.create(user=viewer, role="viewer")
        apps.get_model("access", "ApiKey").objects.create(
            name="old", owner=admin, scopes=["read"], prefix="abcd1234", digest="x" * 64
        )
    finally:
        migrate(latest())
    from statuspage.access.models import ApiKey

    assert ApiKey.objects.get(prefix="abcd1234").all_pages
    assert Membership.objects.get(user__username="ada").owner
    assert not Membership.objects.get(user__username="vic").owner
