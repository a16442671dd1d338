"""Concurrent writes on a real PostgreSQL: the page lock keeps derived statuses consistent."""

import threading

import pytest
from django.db import connection, connections

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Component, ComponentStatusChange, Incident
from incidents.services import Actor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (CI runs it)")
def test_concurrent_incidents_and_resolutions_leave_a_consistent_status_and_log(page, operator):
    api = services.component_create(name="API", actor=operator)
    statuses = ["degraded_performance", "partial_outage", "major_outage", "partial_outage"] * 2
    barrier = threading.Barrier(len(statuses))
    errors = []

    def declare_and_resolve(n, status):
        try:
            barrier.wait()
            actor = Actor(label=f"op{n}", via="api")
            incident = services.incident_create(
                name=f"incident {n}",
                body="b",
                actor=actor,
                component_statuses={Component.objects.get(pk=api.pk): status},
            )
            if n % 2:
                services.incident_resolve(incident=incident, body="done", actor=actor)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=declare_and_resolve, args=(n, s)) for n, s in enumerate(statuses)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    # The public status equals what the rules derive from the incidents still open ...
    open_statuses = [status for n, status in enumerate(statuses) if n % 2 == 0]
    api.refresh_from_db()
    expected = max(open_statuses, key=list(ComponentStatus.values).index)
    assert api.status == expected
    assert Incident.objects.filter(status="investigating").count() == len(open_statuses)
    # ... and the log is an unbroken chain from operational to that status.
    log = list(ComponentStatusChange.objects.filter(component=api).order_by("at", "id"))
    assert log[0].old_status == "operational" and log[-1].new_status == expected
    assert all(a.new_status == b.old_status for a, b in zip(log, log[1:], strict=False))
