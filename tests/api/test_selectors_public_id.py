"""The selectors added for the API: one incident or maintenance by public id, fixed queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import selectors, services

pytestmark = pytest.mark.django_db


def test_incident_by_public_id_prefetches_updates_newest_first(
    api, operator, django_assert_num_queries
):
    incident = services.incident_create(
        name="I", body="first", actor=operator, component_statuses={api: "partial_outage"}
    )
    services.incident_update_post(
        incident=incident, status="identified", body="second", actor=operator
    )
    with django_assert_num_queries(3):
        found = selectors.incident_by_public_id(incident.public_id)
        assert [u.body for u in found.updates.all()] == ["second", "first"]
        assert [c.name for c in found.components.all()] == ["API"]
    assert selectors.incident_by_public_id("zzzzzzzzzzzz") is None


def test_maintenance_by_public_id(api, operator, django_assert_num_queries):
    now = timezone.now()
    maintenance = services.maintenance_schedule(
        name="M",
        scheduled_for=now + timedelta(hours=1),
        scheduled_until=now + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    with django_assert_num_queries(3):
        found = selectors.maintenance_by_public_id(maintenance.public_id)
        assert len(found.updates.all()) == 1 and len(found.components.all()) == 1
    assert selectors.maintenance_by_public_id("zzzzzzzzzzzz") is None
