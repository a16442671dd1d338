"""A read replica that does not answer (a closed loopback port): public renders read the
primary, and the replica is left alone for a while rather than tried by every render."""

from __future__ import annotations

import socket

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from statuspage import db_router, public_cache
from statuspage.db_router import REPLICA
from tests.statuspage import replica as replica_db

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def _unreachable_replica():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with replica_db.registered(
        ENGINE="django.db.backends.postgresql",
        NAME="replica",
        HOST="127.0.0.1",
        PORT=port,
        USER="postgres",
        OPTIONS={"connect_timeout": 1},
        CONN_HEALTH_CHECKS=False,
    ):
        yield


def test_an_unreachable_replica_leaves_public_renders_on_the_primary(
    api, operator, client, caplog, monkeypatch
):
    monkeypatch.setattr(db_router, "_down_until", 0.0)
    services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={api: ComponentStatus.PARTIAL_OUTAGE},
        notify=False,
        actor=operator,
    )
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 200
    assert "Checkout errors" in response.content.decode()
    assert "read replica not used" in caplog.text
    # Left alone for a while: the next render does not try it (nor pay a timeout) again.
    caplog.clear()
    public_cache.local.clear()
    assert client.get("/").status_code == 200
    assert "Checkout errors" in client.get("/").content.decode()
    assert "read replica not used" not in caplog.text


def test_readyz_says_degraded_and_names_the_replica(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["replica"] == "unreachable: OperationalError"
    assert body["checks"]["database"] == "ok"
