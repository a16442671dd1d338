"""TCP, DNS and heartbeat monitors against real sockets, a real resolver and the real
heartbeat URL."""

from __future__ import annotations

import pytest
from django.test import Client

from statuspage.monitors.models import Monitor, MonitorResult

from .conftest import status_of

pytestmark = pytest.mark.django_db


def test_a_tcp_port_that_closes_takes_the_component_down(listener, make_monitor, tick, api):
    port = listener.getsockname()[1]
    make_monitor(kind="tcp", host="127.0.0.1", port=port, failures_before_down=2)
    tick()
    assert MonitorResult.objects.first().detail == "Connected"
    listener.close()
    tick(2)
    assert status_of(api) == "major_outage"
    assert MonitorResult.objects.first().detail.startswith("Connection failed")


def test_a_name_that_stops_resolving_takes_the_component_down(make_monitor, tick, api):
    monitor = make_monitor(
        kind="dns", host="localhost", failures_before_down=2, successes_before_up=1
    )
    tick()
    assert MonitorResult.objects.first().ok
    # The record is gone: the name the monitor watches now resolves nowhere (.invalid names
    # never resolve, RFC 6761), without the monitor's rules being edited.
    Monitor.objects.filter(pk=monitor.pk).update(host="api.status-test.invalid")
    tick()
    assert status_of(api) == "operational"
    tick()
    assert status_of(api) == "major_outage"
    assert "does not resolve" in MonitorResult.objects.first().detail
    Monitor.objects.filter(pk=monitor.pk).update(host="localhost")
    tick()
    assert status_of(api) == "operational"


def test_heartbeats_that_stop_take_the_component_down(make_monitor, tick, api, clock):
    monitor = make_monitor(
        kind="heartbeat", grace_seconds=30, failures_before_down=1, successes_before_up=1
    )
    url = f"/monitors/heartbeat/{monitor.heartbeat_token}"
    client = Client()
    assert client.get(url).status_code == 200
    tick()  # pinged just now
    tick()  # 60 s ago: within 60 + 30
    assert status_of(api) == "operational"
    tick()  # 120 s: late
    assert status_of(api) == "major_outage"
    assert MonitorResult.objects.first().detail == "Last ping 120 s ago"
    response = client.post(url)
    assert response.status_code == 200 and response.content == b"OK\n"
    tick()
    assert status_of(api) == "operational"


def test_a_heartbeat_never_pinged_fails_once_its_first_deadline_passes(make_monitor, tick, api):
    make_monitor(kind="heartbeat", grace_seconds=0, failures_before_down=1)
    tick()
    assert MonitorResult.objects.first().detail == "Waiting for the first ping"
    tick(2)
    assert MonitorResult.objects.first().detail == "No ping received yet"
    assert status_of(api) == "major_outage"


def test_a_wrong_or_old_heartbeat_token_is_a_404(make_monitor):
    from statuspage.monitors.services import monitor_token_rotate

    from .conftest import ADMIN

    monitor = make_monitor(kind="heartbeat")
    client = Client()
    old = monitor.heartbeat_token
    assert len(old) >= 32
    # One character changed, to one it is not (a fixed "x" would be the token 1 time in 64).
    wrong = old[:-1] + ("y" if old.endswith("x") else "x")
    assert client.get(f"/monitors/heartbeat/{wrong}").status_code == 404
    assert client.get("/monitors/heartbeat/" + "a" * 300).status_code == 404
    monitor_token_rotate(actor=ADMIN, monitor=monitor)
    assert client.get(f"/monitors/heartbeat/{old}").status_code == 404
    assert client.get(f"/monitors/heartbeat/{monitor.heartbeat_token}").status_code == 200
    assert client.put(f"/monitors/heartbeat/{monitor.heartbeat_token}").status_code == 405
    Monitor.objects.filter(pk=monitor.pk).update(last_ping_at=None)


def test_an_http_monitors_token_is_not_a_heartbeat(make_monitor, target):
    monitor = make_monitor(kind="http", url=target.url())
    assert monitor.heartbeat_token == ""
    assert Client().get("/monitors/heartbeat/").status_code == 404


def test_a_dns_monitor_does_not_show_private_answers(settings, make_monitor, tick):
    settings.MONITOR_ALLOWED_NETWORKS = []
    make_monitor(kind="dns", host="localhost")
    tick()
    result = MonitorResult.objects.get()
    assert result.ok
    assert "127.0.0.1" not in result.detail and "private" in result.detail


def test_cron_jobs_ping_without_a_csrf_token(make_monitor):
    monitor = make_monitor(kind="heartbeat")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/monitors/heartbeat/{monitor.heartbeat_token}", "log line", content_type="text/plain"
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response
    assert Monitor.objects.get().last_ping_at is not None
