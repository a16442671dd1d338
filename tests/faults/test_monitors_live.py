"""Monitors as deployed (the Procfile's processes): the scheduler (`notifications_cron`), a
worker of the default and notifications queues and a worker of the monitors queue, on
PostgreSQL and a Redis of the test's own, mail to a real SMTP server. An HTTP target on
loopback turns 500 and back on command, on the wall clock: the component's status, the
incident the monitor opens from its template and the subscriber's email each follow within
one interval plus 5 s, and so does the recovery.

In the same run, on their own components: a DNS monitor asks a DNS server on loopback
(tests/monitors/dnsserver.py) whose name stops resolving (NXDOMAIN) and comes back, and an
HTTPS monitor reaches a target whose certificate is switched on the same port (about to expire:
degraded; expired: down; valid: operational), trusted by the workers through MONITOR_CA_FILE.
Their components follow within the same bound, in parallel with the HTTP one.

Detection is bounded by the next slot (at most one interval) plus the scheduler's tick
(MONITOR_TICK_SECONDS, 1 s here, for a margin on a loaded machine) plus one run; the bound
holds for a tick up to 5 s when the machine is not loaded."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from incidents.models import Component, Incident
from statuspage.monitors.models import MonitorResult
from statuspage.monitors.services import monitor_save
from tests.faults.support import (
    MANAGE,
    ROOT,
    database_url,
    killed_on_exit,
    subprocess_env,
    unavailable,
    wait_until,
)
from tests.monitors.conftest import ADMIN, Target
from tests.monitors.dnsserver import NXDOMAIN, DnsServer
from tests.monitors.tlsswitch import SwitchableTlsTarget

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True),
]

INTERVAL = 20  # the shortest a monitor may have
BOUND = INTERVAL + 5


def _start(env: dict, args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, MANAGE, *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _status(component: Component) -> str:
    component.refresh_from_db(fields=["status"])
    return component.status


def _within(predicate, since: float, what: str) -> float:
    """Wait until `predicate` holds, at most BOUND seconds after `since`; the delay taken."""
    wait_until(
        predicate, timeout=max(0.0, since + BOUND - time.monotonic()), interval=0.1, what=what
    )
    return time.monotonic() - since


NAME = "api.status-test.example"


def _monitor(component: Component, **data) -> None:
    data |= {
        "component_id": component.public_id,
        "interval_seconds": INTERVAL,
        "timeout_seconds": 3,
        "failures_before_down": 1,
        "successes_before_up": 1,
    }
    monitor_save(actor=ADMIN, monitor=None, data=data)


def test_status_incident_and_email_follow_a_real_outage_and_recovery(
    private_redis, sink, page, api, operator, component_subscribers, make_component, tmp_path
):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        unavailable("needs PostgreSQL and Redis (the processes share the test's database)")
    from incidents import services

    page.url = "https://status.example.test"
    page.save()
    template = services.incident_template_save(
        actor=operator,
        components=[api],
        name="Down",
        title="{{ components }} is unreachable",
        body="Our checks cannot reach {{ components }}.",
        status="investigating",
    )
    target = Target()
    monitor_save(
        actor=ADMIN,
        monitor=None,
        data={
            "name": "API health",
            "kind": "http",
            "url": target.url(),
            "component_id": api.public_id,
            "interval_seconds": INTERVAL,
            "timeout_seconds": 3,
            "failures_before_down": 1,
            "successes_before_up": 1,
            "open_incident": True,
            "incident_template_id": template.pk,
        },
    )
    # No subscriber follows these two: the email counts below are the API's alone.
    name, site = make_component("Name"), make_component("Site")
    resolver = DnsServer()
    resolver.set(NAME, "A", "127.0.0.9")
    _monitor(name, name="Name", kind="dns", host=NAME, dns_resolver=resolver.address)
    tls = SwitchableTlsTarget(tmp_path, days_left=5)
    _monitor(site, name="Site", kind="http", url=tls.url(), tls_expiry_warning_days=14)
    env = subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=private_redis.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=sink.port,
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
        MONITOR_REGIONS="default",
        MONITOR_REGION="default",
        MONITOR_TICK_SECONDS=1,
        MONITOR_CA_FILE=tls.ca_path,
        SECRET_KEY=settings.SECRET_KEY,
    )
    try:
        with killed_on_exit([]) as processes:
            processes += [
                _start(env, ["notifications_cron", "--skip-checks"], tmp_path / "cron.log"),
                _start(
                    env,
                    ["rqworker", "notifications", "default", "--skip-checks"],
                    tmp_path / "worker.log",
                ),
                _start(env, ["rqworker", "monitors", "--skip-checks"], tmp_path / "monitors.log"),
            ]
            # Up: the first results are kept (start-up takes a few seconds: not timed). The
            # certificate about to expire degrades its component from the first check.
            wait_until(
                lambda: (
                    MonitorResult.objects.filter(ok=True, degraded=False).count() >= 2
                    and _status(site) == "degraded_performance"
                ),
                timeout=60,
                interval=0.2,
                what="the first checks",
            )
            assert _status(api) == _status(name) == "operational"
            assert tls.server.behaviour.hits >= 1

            target.behaviour.status = 500
            resolver.answer_with(NAME, NXDOMAIN)
            tls.switch(days_left=-1)
            down = time.monotonic()
            took = _within(lambda: _status(api) == "major_outage", down, "the component down")
            print(f"component down after {took:.1f} s")  # noqa: T201 - the figure, with -s
            _within(lambda: _status(name) == "major_outage", down, "the name's component down")
            _within(lambda: _status(site) == "major_outage", down, "the site's component down")
            _within(
                lambda: Incident.objects.filter(status="investigating").exists(),
                down,
                "the incident",
            )
            _within(lambda: sink.received() >= 1, down, "the subscriber's email")
            incident = Incident.objects.get()
            assert incident.name == "API is unreachable"

            target.behaviour.status = 200
            resolver.set(NAME, "A", "127.0.0.9")
            tls.switch(days_left=365)
            up = time.monotonic()
            took = _within(lambda: _status(api) == "operational", up, "the component back up")
            print(f"component up after {took:.1f} s")  # noqa: T201
            _within(lambda: _status(name) == "operational", up, "the name's component up")
            _within(lambda: _status(site) == "operational", up, "the site's component up")
            _within(
                lambda: Incident.objects.get(pk=incident.pk).status == "resolved",
                up,
                "the incident resolved",
            )
            _within(lambda: sink.received() >= 2, up, "the resolution's email")
            # Only the API's subscriber heard, once per event.
            assert sink.unique() == 2 and sink.duplicates() == 0
            assert "does not resolve (NXDOMAIN)" in " ".join(
                MonitorResult.objects.filter(ok=False).values_list("detail", flat=True)
            )
    finally:
        target.close()
        resolver.close()
        tls.close()
