"""Regions (k of n agree before the status changes), `monitors_run --once`, and the tick."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from statuspage.monitors.jobs import monitors_run_region, monitors_tick, regions_in_use
from statuspage.monitors.models import MonitorResult

from .conftest import status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_regions(settings):
    settings.MONITOR_REGIONS = ["eu", "us", "ap"]
    settings.MONITOR_REGION = "eu"


def test_two_of_three_regions_must_agree(three_regions, target, make_monitor, clock, api):
    from statuspage.monitors.runner import run_due

    make_monitor(
        kind="http",
        url=target.url(),
        regions=["eu", "us", "ap"],
        regions_required=2,
        failures_before_down=1,
        successes_before_up=1,
    )
    target.behaviour.status = 500
    run_due(region="eu")
    assert status_of(api) == "operational"  # one vantage point says down
    run_due(region="us")
    assert status_of(api) == "major_outage"
    assert sorted(MonitorResult.objects.values_list("region", flat=True)) == ["eu", "us"]
    clock.shift(60)
    target.behaviour.status = 200
    run_due(region="ap")
    assert status_of(api) == "major_outage"  # up in one region, down in two
    run_due(region="eu")
    assert status_of(api) == "operational"


def test_monitors_run_once_runs_the_due_checks(target, make_monitor, api, capsys):
    make_monitor(kind="http", url=target.url(), failures_before_down=1)
    target.behaviour.status = 500
    call_command("monitors_run", "--once")
    out = capsys.readouterr().out
    assert "region default: 1 due, 1 checked" in out
    assert "failing: API health: HTTP 500" in out
    assert status_of(api) == "major_outage"
    call_command("monitors_run", "--once")
    assert "0 due" in capsys.readouterr().out


def test_monitors_run_needs_once_and_a_known_region():
    with pytest.raises(CommandError, match="--once"):
        call_command("monitors_run")
    with pytest.raises(CommandError, match="Unknown region"):
        call_command("monitors_run", "--once", "--region", "mars")


def test_the_tick_runs_the_home_regions_checks_in_process_without_redis(
    settings, target, make_monitor
):
    settings.REDIS_URL = None
    make_monitor(kind="http", url=target.url())
    make_monitor(name="Off", kind="http", url=target.url(), enabled=False)
    assert regions_in_use() == ["default"]
    assert monitors_tick() == "enqueued: default"
    assert MonitorResult.objects.count() == 1


def test_a_worker_of_another_region_does_not_check(three_regions, target, make_monitor):
    make_monitor(kind="http", url=target.url(), regions=["us"])
    assert monitors_run_region("us").startswith("not run")
    assert MonitorResult.objects.count() == 0
    assert monitors_run_region("eu") == (
        "region eu: 0 due, 0 checked, 0 taken by another worker, 0 failing"
    )


def test_the_tick_logs_a_queue_it_cannot_reach_and_prunes_old_leases(
    settings, redis_down, target, make_monitor, clock, caplog
):
    from datetime import timedelta

    settings.RQ_QUEUES = {
        **settings.RQ_QUEUES,
        "monitors": {"URL": redis_down, "DEFAULT_TIMEOUT": 300, "SOCKET_CONNECT_TIMEOUT": 1},
    }

    from django.utils import timezone

    from statuspage.monitors.models import MonitorRun
    from statuspage.monitors.services import run_claim

    monitor = make_monitor(kind="http", url=target.url())
    run_claim(monitor=monitor, region="default", slot=1, worker="old", now=timezone.now())
    clock.shift(timedelta(days=2))
    assert monitors_tick() == "enqueued: none"
    assert "monitor checks of region default not enqueued" in caplog.text
    assert not MonitorRun.objects.exists()
