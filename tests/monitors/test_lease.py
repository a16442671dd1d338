"""A check slot is run once: two runners of one region never both run it, and a slot whose
worker died is taken over once its lease runs out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from statuspage.monitors.models import MonitorResult, MonitorRun
from statuspage.monitors.rules import slot_of
from statuspage.monitors.runner import due_checks, run_due
from statuspage.monitors.services import run_claim

pytestmark = pytest.mark.django_db


def test_two_runners_same_slot_one_check(target, make_monitor):
    make_monitor(kind="http", url=target.url())
    now = timezone.now()
    # Runner A has read what is due; runner B runs the slot meanwhile; then A tries.
    seen_by_a = due_checks("default", now)
    assert len(seen_by_a) == 1
    first = run_due(region="default", now=now)
    assert first.checked == 1
    monitor, slot = seen_by_a[0]
    assert not run_claim(monitor=monitor, region="default", slot=slot, worker="a", now=now)
    again = run_due(region="default", now=now)
    assert (again.due, again.checked) == (0, 0)
    assert target.behaviour.hits == 1
    assert MonitorResult.objects.count() == 1


def test_a_slot_whose_worker_died_is_run_by_another_after_the_lease(target, make_monitor, clock):
    monitor = make_monitor(kind="http", url=target.url(), timeout_seconds=5)
    now = timezone.now()
    slot = due_checks("default", now)[0][1]
    # A worker claims the slot, then dies before keeping a result.
    assert run_claim(monitor=monitor, region="default", slot=slot, worker="dead", now=now)
    within = run_due(region="default", now=now + timedelta(seconds=3))
    assert (within.due, within.checked) == (0, 0)
    assert target.behaviour.hits == 0
    later = now + timedelta(seconds=11)  # timeout 5 + margin 5: the lease ran out
    assert slot_of(later, 60) == slot  # still the same slot
    report = run_due(region="default", now=later)
    assert report.checked == 1
    run = MonitorRun.objects.get()
    assert run.done and run.claimed_by != "dead"
    assert MonitorResult.objects.get().slot == slot


def test_a_late_result_for_a_kept_slot_changes_nothing(target, make_monitor):
    from statuspage.monitors.checks import Outcome
    from statuspage.monitors.services import result_record

    monitor = make_monitor(kind="http", url=target.url())
    run_due(region="default")
    kept = MonitorResult.objects.get()
    duplicate = result_record(
        monitor_id=monitor.pk,
        region="default",
        slot=kept.slot,
        outcome=Outcome(ok=False, detail="late"),
        at=timezone.now(),
    )
    assert duplicate is None
    assert MonitorResult.objects.get().ok
