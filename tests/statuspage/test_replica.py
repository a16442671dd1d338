"""The read replica (statuspage/db_router.py): public renders read it once it has replayed the
generation they are cached as; writes, operators' reads, subscriber flows and reads inside a
transaction stay on the primary; a lagging or unreachable replica never shows in a cached
document.

The replica is a second PostgreSQL database (tests/statuspage/replica.py) whose rows are
copied from the primary when a test says so. After a sync, one component is renamed on the
replica only: whatever a document shows of that name says which database it was read from.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Component, Incident, Page
from statuspage import public_cache
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from statuspage.db_router import PRIMARY, REPLICA, replica_reads
from statuspage.publish.render import render_site
from tests.faults.support import unavailable
from tests.statuspage import replica as replica_db

REPLICA_NAME = "API (from the replica)"
REPLICA_INCIDENT = "Checkout errors (from the replica)"


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]


@pytest.fixture(scope="module", autouse=True)
def replica_database(django_db_setup, django_db_blocker):
    """The replica's database, with the primary's tables, and its alias, for this module's
    tests only."""
    if connection.vendor != "postgresql":
        unavailable("a read replica is a PostgreSQL feature (run with DATABASE_URL=postgres://)")
    primary = copy.deepcopy(connections["default"].settings_dict)
    with django_db_blocker.unblock():
        replica_db.create(primary)
    try:
        with replica_db.registered(NAME=replica_db.replica_name(primary)):
            with django_db_blocker.unblock():
                replica_db.build_schema()
            yield
    finally:
        with django_db_blocker.unblock():
            replica_db.drop(primary)


class Replica:
    def sync(self) -> None:
        replica_db.sync()

    def mark(self, component: Component) -> None:
        """Rename `component` and the incidents on the replica only."""
        Component.objects.using(REPLICA).filter(pk=component.pk).update(name=REPLICA_NAME)
        Incident.objects.using(REPLICA).update(name=REPLICA_INCIDENT)

    def generation(self) -> int:
        return Page.objects.using(REPLICA).values_list("generation", flat=True).get()


@pytest.fixture
def replica(page) -> Replica:
    return Replica()


@pytest.fixture
def incident(api, operator):
    return services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={api: ComponentStatus.PARTIAL_OUTAGE},
        notify=False,
        actor=operator,
    )


def _fresh_generation() -> None:
    # The generation is memoised in process memory for half a second: forget it, as that
    # half second would.
    public_cache.local.clear()


def _touches(queries, table: str) -> bool:
    return any(f'"{table}"' in q["sql"] for q in queries)


PUBLIC = [
    "/",
    "/api/v2/summary.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/history.atom",
    "/history.rss",
    "/embed/state.json",
]


def _from_replica(text: str) -> bool:
    return REPLICA_NAME in text or REPLICA_INCIDENT in text


def test_public_documents_read_the_replica_once_it_has_caught_up(replica, api, incident, client):
    replica.sync()
    replica.mark(api)
    _fresh_generation()
    with (
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
    ):
        bodies = {path: client.get(path) for path in PUBLIC}
    for path, response in bodies.items():
        assert response.status_code == 200, path
        assert _from_replica(response.content.decode()), path
    # The primary answered the generation and the page's zone (the cache key), nothing of
    # the documents themselves.
    assert not _touches(on_primary, "incidents_component")
    assert not _touches(on_primary, "incidents_incident")
    assert _touches(on_replica, "incidents_component")


def test_a_lagging_replica_is_never_cached_as_the_newer_generation(
    replica, api, incident, client, operator
):
    replica.sync()
    replica.mark(api)
    behind = replica.generation()
    services.incident_create(name="Database melted", body="Looking.", actor=operator, notify=False)
    assert Page.objects.get().generation > behind == replica.generation()
    _fresh_generation()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        first = {path: client.get(path) for path in PUBLIC}
    for path, response in first.items():
        text = response.content.decode()
        assert not _from_replica(text), path
        if path != "/api/v2/components.json":  # the one document without incidents
            assert "Database melted" in text, path
    # The replica was asked for its generation only.
    assert on_replica.captured_queries
    assert all('"incidents_page"' in q["sql"] for q in on_replica)

    # Caught up: what was cached for this generation is what the replica now holds too.
    replica.sync()
    for path, response in first.items():
        again = client.get(path)
        assert again["ETag"] == response["ETag"], path


def test_publish_renders_read_the_replica(replica, api, incident):
    replica.sync()
    replica.mark(api)
    _fresh_generation()
    rendered = render_site(public_url=Page.objects.get().url).rendered
    assert REPLICA_NAME in rendered["index.html"].body.decode()
    assert REPLICA_NAME in rendered["api/v2/summary.json"].body.decode()
    # Rendered in bulk, not through the view: read from the replica all the same.
    assert REPLICA_INCIDENT in rendered[f"api/v2/incidents/{incident.public_id}.json"].body.decode()


def test_writes_and_reads_in_a_transaction_go_to_the_primary(replica, api, incident):
    replica.sync()
    replica.mark(api)
    with replica_reads(Page.objects.get().generation) as alias:
        assert alias == REPLICA
        # The flag works: a plain read is the replica's.
        assert Component.objects.get(pk=api.pk).name == REPLICA_NAME
        with transaction.atomic():
            assert Component.objects.get(pk=api.pk).name == "API"
        Component.objects.filter(pk=api.pk).update(description="written")
    assert Component.objects.get(pk=api.pk).description == "written"
    assert Component.objects.using(REPLICA).get(pk=api.pk).description == ""


def _operator(role: str = Role.ADMIN):
    user = get_user_model().objects.create_user("ada", "ada@example.test", "pw")
    Membership.objects.create(user=user, role=role)
    return user


def test_operators_and_subscribers_read_and_write_the_primary(replica, api, incident, operator):
    replica.sync()
    replica.mark(api)
    _fresh_generation()
    user = _operator()
    dashboard = Client()
    dashboard.force_login(user)
    _key, raw = api_key_create(actor=operator, owner=user, name="ops", scopes=[Scope.INCIDENTS])
    page = Page.objects.get()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        overview = dashboard.get("/dashboard/")
        created = Client().post(
            f"/api/v1/pages/{page.public_id}/incidents",
            json.dumps({"incident": {"name": "Queue stuck", "body": "Looking."}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"OAuth {raw}",
        )
        listed = Client().get(
            f"/api/v1/pages/{page.public_id}/components", HTTP_AUTHORIZATION=f"OAuth {raw}"
        )
        subscribe = Client().get("/subscribe")
    assert overview.status_code == 200
    assert REPLICA_NAME not in overview.content.decode()
    assert created.status_code == 201, created.content
    assert listed.status_code in (200, 403)
    assert subscribe.status_code == 200
    assert on_replica.captured_queries == []
    assert Incident.objects.filter(name="Queue stuck").exists()
    assert not Incident.objects.using(REPLICA).filter(name="Queue stuck").exists()


def test_readyz_checks_the_replica(replica, client):
    replica.sync()
    assert client.get("/readyz").json()["checks"]["replica"] == "ok"
