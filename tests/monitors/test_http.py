"""HTTP monitors against a real server on loopback: the component follows after N failures
and recovers after M successes; 500, slow answers, a missing keyword, JSON assertions."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry, ComponentStatusChange
from statuspage.monitors.models import MonitorResult

from .conftest import status_of

pytestmark = pytest.mark.django_db


def test_a_500_takes_the_component_down_after_n_failures_and_back_after_m(
    target, make_monitor, tick, api
):
    monitor = make_monitor(
        kind="http", url=target.url(), failures_before_down=2, successes_before_up=3
    )
    tick()
    assert status_of(api) == "operational"
    target.behaviour.status = 500
    tick()
    assert status_of(api) == "operational"  # one failure is not enough
    tick()
    assert status_of(api) == "major_outage"
    target.behaviour.status = 200
    tick(2)
    assert status_of(api) == "major_outage"  # two successes are not three
    tick()
    assert status_of(api) == "operational"
    results = list(MonitorResult.objects.filter(monitor=monitor).order_by("slot"))
    assert [r.ok for r in results] == [True, False, False, True, True, True]
    assert results[1].detail == "HTTP 500 (expected 2xx)"
    changes = ComponentStatusChange.objects.filter(component=api).order_by("id")
    assert [(c.old_status, c.new_status, c.source) for c in changes][-2:] == [
        ("operational", "major_outage", "automation"),
        ("major_outage", "operational", "automation"),
    ]
    assert AuditEntry.objects.filter(via="automation", actor="monitor API health").exists()
