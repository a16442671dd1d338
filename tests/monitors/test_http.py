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


def test_a_slow_answer_degrades_rather_than_fails(target, make_monitor, tick, api):
    make_monitor(
        kind="http",
        url=target.url(),
        # Far apart, so that a loaded machine's ordinary answer stays under the threshold.
        latency_threshold_ms=500,
        failures_before_down=1,
        successes_before_up=1,
    )
    target.behaviour.delay = 1.0
    tick()
    assert status_of(api) == "degraded_performance"
    result = MonitorResult.objects.get()
    assert result.ok and result.degraded
    assert "slower than 500 ms" in result.detail
    target.behaviour.delay = 0
    tick()
    assert status_of(api) == "operational"


def test_a_missing_keyword_is_a_failure(target, make_monitor, tick, api):
    make_monitor(
        kind="http",
        url=target.url(),
        keyword="healthy",
        failures_before_down=1,
        failure_status="partial_outage",
    )
    tick()
    assert status_of(api) == "operational"
    target.behaviour.body = "maintenance mode"
    tick()
    assert status_of(api) == "partial_outage"
    assert MonitorResult.objects.first().detail == "HTTP 200, keyword 'healthy' not found"


def test_json_path_assertion(target, make_monitor, tick, api):
    make_monitor(
        kind="http",
        url=target.url(),
        json_path="checks.0.status",
        json_expected="pass",
        failures_before_down=1,
    )
    target.behaviour.json({"checks": [{"status": "pass"}]})
    tick()
    assert MonitorResult.objects.first().ok
    target.behaviour.json({"checks": [{"status": "fail"}]})
    tick()
    assert (
        MonitorResult.objects.first().detail
        == "HTTP 200, checks.0.status is 'fail', expected 'pass'"
    )
    target.behaviour.json({"checks": []})
    tick()
    assert MonitorResult.objects.first().detail == "HTTP 200, no value at checks.0.status"
    target.behaviour.body = "<html>"
    tick()
    assert MonitorResult.objects.first().detail == "HTTP 200, the answer is not JSON"
    assert status_of(api) == "major_outage"


def test_expected_statuses_method_and_headers(target, make_monitor, tick):
    make_monitor(
        kind="http",
        url=target.url(),
        method="POST",
        headers={"X-Check": "yes", "User-Agent": "ours"},
        expected_statuses=[418],
    )
    target.behaviour.status = 418
    tick()
    assert MonitorResult.objects.first().ok
    seen = target.behaviour.seen_headers[-1]
    assert seen["X-Check"] == "yes" and seen["User-Agent"] == "ours"
    target.behaviour.status = 200
    tick()
    assert MonitorResult.objects.first().detail == "HTTP 200 (expected 418)"


def test_redirects_are_followed(target, make_monitor, tick):
    target.paths["/old"] = type(target.behaviour)(status=301, headers={"Location": "/health"})
    make_monitor(kind="http", url=target.url("/old"), keyword="healthy")
    tick()
    result = MonitorResult.objects.first()
    assert result.ok, result.detail
    assert target.behaviour.hits == 1


def test_a_redirect_loop_fails(target, make_monitor, tick):
    target.paths["/loop"] = type(target.behaviour)(status=302, headers={"Location": "/loop"})
    make_monitor(kind="http", url=target.url("/loop"))
    tick()
    assert MonitorResult.objects.first().detail == "More than 5 redirects"


def test_a_timeout_is_a_failure(target, make_monitor, tick):
    make_monitor(kind="http", url=target.url(), timeout_seconds=1, interval_seconds=60)
    target.behaviour.delay = 1.5
    tick()
    result = MonitorResult.objects.first()
    assert not result.ok and result.detail == "Timed out after 1 s"


def test_a_server_that_is_gone_is_a_failure(target, make_monitor, tick):
    make_monitor(kind="http", url=target.url())
    target.close()
    tick()
    assert MonitorResult.objects.first().detail.startswith("Connection failed")


def test_failing_opens_an_incident_from_the_template_and_recovery_resolves_it(
    target, make_monitor, tick, api, operator
):
    from incidents import services
    from incidents.models import Incident
    from notifications.models import Delivery

    template = services.incident_template_save(
        actor=operator,
        components=[api],
        name="Down",
        title="{{ components }} is unreachable",
        body="Our checks cannot reach {{ components }}.",
        status="investigating",
    )
    make_monitor(
        kind="http",
        url=target.url(),
        failures_before_down=1,
        successes_before_up=1,
        open_incident=True,
        incident_template_id=template.pk,
    )
    target.behaviour.status = 503
    tick()
    incident = Incident.objects.get()
    assert incident.name == "API is unreachable"
    assert incident.status == "investigating"
    assert incident.updates.first().body == "Our checks cannot reach API."
    assert status_of(api) == "major_outage"
    tick()  # still failing: no second incident
    assert Incident.objects.count() == 1
    target.behaviour.status = 200
    tick()
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert status_of(api) == "operational"
    # The same notification path as any incident: no subscribers here, so no deliveries,
    # but the events went out through the outbox's one statement.
    assert Delivery.objects.count() == 0


def test_a_second_monitor_still_failing_keeps_the_component_down(
    target, make_monitor, tick, api, listener
):
    make_monitor(kind="http", url=target.url(), failures_before_down=1, successes_before_up=1)
    port = listener.getsockname()[1]
    make_monitor(
        name="API port",
        kind="tcp",
        host="127.0.0.1",
        port=port,
        failures_before_down=1,
        failure_status="partial_outage",
    )
    target.behaviour.status = 500
    listener.close()
    tick()
    assert status_of(api) in ("major_outage", "partial_outage")
    target.behaviour.status = 200
    tick()
    # The HTTP monitor recovered; the TCP one still fails: partial outage stays.
    assert status_of(api) == "partial_outage"


def test_the_incident_a_monitor_opens_notifies_the_components_subscribers(
    target, make_monitor, tick, api, component_subscribers
):
    from notifications.models import Delivery

    make_monitor(
        kind="http",
        url=target.url(),
        failures_before_down=1,
        successes_before_up=1,
        open_incident=True,
    )
    target.behaviour.status = 500
    tick()
    opened = set(Delivery.objects.values_list("subscriber__address", flat=True))
    assert opened == {"api@x.test"}  # the Web subscriber hears nothing of API
    target.behaviour.status = 200
    tick()
    kinds = list(
        Delivery.objects.filter(subscriber__address="api@x.test")
        .order_by("id")
        .values_list("event__kind", flat=True)
    )
    assert kinds == ["incident.created", "incident.resolved"]


def test_a_longer_interval_keeps_counting(target, make_monitor, tick, api):
    from statuspage.monitors.services import monitor_save

    from .conftest import ADMIN

    monitor = make_monitor(kind="http", url=target.url(), failures_before_down=2)
    tick(2)
    # Slots of a 300 s monitor are numbered lower than those of a 60 s one.
    monitor_save(actor=ADMIN, monitor=monitor, data={"interval_seconds": 300})
    target.behaviour.status = 500
    tick(2, step=300)
    assert status_of(api) == "major_outage"
