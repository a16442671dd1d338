"""Real runners in other processes: two `monitors_run --once` started together on one slot
check it once (PostgreSQL, shared by the processes); the tick goes through a real Redis queue
to a worker of the region."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from statuspage.monitors.models import MonitorResult, MonitorRun
from tests.faults.support import MANAGE, ROOT, database_url, subprocess_env, unavailable

from .conftest import ADMIN


@pytest.mark.postgres
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_two_runner_processes_on_one_slot_check_it_once(target, api):
    if connection.vendor != "postgresql":
        unavailable("needs PostgreSQL (the runner processes share the test's database)")
    from statuspage.monitors.services import monitor_save

    # A day-long slot: the two processes cannot straddle a slot boundary (the machine's clock).
    monitor_save(
        actor=ADMIN,
        monitor=None,
        data={
            "name": "API",
            "kind": "http",
            "url": target.url(),
            "component_id": api.public_id,
            "interval_seconds": 86400,
            "timeout_seconds": 5,
        },
    )
    env = subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict),
        MONITOR_ALLOWED_NETWORKS="127.0.0.0/8",
        MONITOR_REGIONS="default",
        MONITOR_REGION="default",
    )
    runners = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, MANAGE, "monitors_run", "--once", "--skip-checks"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=60)[0].decode() for runner in runners]
    assert all(r.returncode == 0 for r in runners), outputs
    assert sorted("1 checked" in out for out in outputs) == [False, True], outputs
    assert target.behaviour.hits == 1
    assert MonitorResult.objects.count() == 1
    assert MonitorRun.objects.get().done


@pytest.mark.redis
@pytest.mark.django_db
def test_the_tick_enqueues_each_region_once_per_window_on_its_queue(target, make_monitor):
    if not settings.REDIS_URL:
        unavailable("needs a real Redis (REDIS_URL)")
    import django_rq
    from rq import SimpleWorker

    from statuspage.monitors.jobs import monitors_tick

    queue = django_rq.get_queue("monitors")
    queue.empty()
    make_monitor(kind="http", url=target.url())
    assert monitors_tick() == "enqueued: default"
    monitors_tick()  # the same window: the job id is taken, nothing more is queued
    assert queue.count == 1
    assert MonitorResult.objects.count() == 0  # queued, not run
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert MonitorResult.objects.count() == 1
    assert target.behaviour.hits == 1
