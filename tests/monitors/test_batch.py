"""Results are kept a batch at a time: a batch costs the same statements at any size, every
result of it is kept (row, lease, rollups, region count), and only a monitor whose verdict
changes goes on to the component."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Component, ComponentStatusChange
from statuspage.monitors.checks import Outcome
from statuspage.monitors.models import (
    Monitor,
    MonitorRegionState,
    MonitorResult,
    MonitorRun,
    Resolution,
    Rollup,
    Verdict,
)
from statuspage.monitors.recording import Finished, results_record, runs_claim
from statuspage.monitors.rollups import bucket_start
from statuspage.monitors.rules import slot_of
from statuspage.monitors.runner import run_due

from .conftest import status_of

pytestmark = pytest.mark.django_db

UP = Outcome(ok=True, latency_ms=40, detail="200")
DOWN = Outcome(ok=False, detail="500")


def _monitors(make_monitor, count: int, **rules) -> list[Monitor]:
    return [
        make_monitor(name=f"check {n}", kind="tcp", host="127.0.0.1", port=9, **rules)
        for n in range(count)
    ]


def _claim_and_record(monitors: list[Monitor], now: datetime, outcome: Outcome) -> tuple[int, int]:
    """Claim the monitors' current slots and keep one result each: the statements each took."""
    due = [(m, slot_of(now, m.interval_seconds)) for m in monitors]
    with CaptureQueriesContext(connection) as claim:
        held = runs_claim(region="default", due=due, worker="w", now=now)
    assert held == {(m.pk, s) for m, s in due}
    finished = [Finished(m.pk, s, outcome) for m, s in due]
    with CaptureQueriesContext(connection) as record:
        kept = results_record(region="default", finished=finished, at=now)
    assert len(kept) == len(monitors)
    return len(claim), len(record)


def test_a_batch_costs_the_same_statements_at_any_size(make_monitor):
    now = timezone.now()
    small = _claim_and_record(_monitors(make_monitor, 3), now, UP)
    Monitor.objects.all().delete()
    large = _claim_and_record(_monitors(make_monitor, 40), now, UP)
    assert small == large, (small, large)
    claim, record = large
    assert claim <= 4 and record <= 12


def test_every_result_of_a_batch_is_kept_with_its_lease_rollups_and_count(make_monitor):
    monitors = _monitors(make_monitor, 25)
    now = timezone.now()
    _claim_and_record(monitors, now, UP)
    assert MonitorResult.objects.count() == 25
    assert set(MonitorResult.objects.values_list("monitor_id", flat=True)) == {
        m.pk for m in monitors
    }
    assert MonitorRun.objects.filter(done=True).count() == 25
    for resolution in Resolution.values:
        rows = Rollup.objects.filter(
            resolution=resolution, start=bucket_start(now, resolution), monitor__isnull=False
        )
        assert rows.count() == 25
        assert {(r.count, r.failed, r.total) for r in rows} == {(1, 0, 40.0)}
    assert set(MonitorRegionState.objects.values_list("successes", "last_slot")) == {
        (1, slot_of(now, 60))
    }


def test_a_second_batch_adds_to_the_buckets_and_counts(make_monitor):
    monitors = _monitors(make_monitor, 4)
    first = timezone.now().replace(minute=10, second=5, microsecond=0)
    _claim_and_record(monitors, first, UP)
    _claim_and_record(monitors, first + timedelta(seconds=60), DOWN)
    hour = Rollup.objects.get(
        monitor=monitors[0], resolution=Resolution.HOUR, start=bucket_start(first, 3600)
    )
    assert (hour.count, hour.failed, hour.minimum, hour.maximum) == (1, 1, 40.0, 40.0)
    assert Rollup.objects.filter(monitor=monitors[0], resolution=Resolution.MINUTE).count() == 2
    state = MonitorRegionState.objects.get(monitor=monitors[0])
    assert (state.failures, state.successes) == (1, 0)


def test_a_batch_skips_slots_already_kept_and_monitors_gone(make_monitor):
    monitors = _monitors(make_monitor, 3)
    now = timezone.now()
    slot = slot_of(now, 60)
    results_record(region="default", finished=[Finished(monitors[0].pk, slot, UP)], at=now)
    gone = monitors[2].pk
    monitors[2].delete()
    kept = results_record(
        region="default",
        finished=[
            Finished(monitors[0].pk, slot, DOWN),  # already kept: a late duplicate
            Finished(monitors[1].pk, slot, DOWN),
            Finished(monitors[1].pk, slot, UP),  # the same slot twice in one batch
            Finished(gone, slot, DOWN),
        ],
        at=now,
    )
    assert [(r.monitor_id, r.ok) for r in kept] == [(monitors[1].pk, False)]
    assert MonitorResult.objects.get(monitor=monitors[0]).ok
    minute = Rollup.objects.get(
        monitor=monitors[0], resolution=Resolution.MINUTE, start=bucket_start(now, 60)
    )
    assert (minute.count, minute.failed) == (1, 0)


def test_only_monitors_whose_verdict_changes_reach_the_component(make_monitor, api, clock):
    failing, steady = _monitors(make_monitor, 2, failures_before_down=1, successes_before_up=1)
    now = timezone.now()
    slot = slot_of(now, 60)
    results_record(
        region="default",
        finished=[Finished(failing.pk, slot, UP), Finished(steady.pk, slot, UP)],
        at=now,
    )
    # A new monitor that finds its target up changes nothing set by hand.
    assert ComponentStatusChange.objects.filter(component=api).count() == 0
    with CaptureQueriesContext(connection) as steady_batch:
        results_record(
            region="default",
            finished=[Finished(failing.pk, slot + 1, UP), Finished(steady.pk, slot + 1, UP)],
            at=now + timedelta(seconds=60),
        )
    results_record(
        region="default",
        finished=[Finished(failing.pk, slot + 2, DOWN), Finished(steady.pk, slot + 2, UP)],
        at=now + timedelta(seconds=120),
    )
    assert status_of(api) == "major_outage"
    assert Monitor.objects.get(pk=failing.pk).verdict == Verdict.DOWN
    assert Monitor.objects.get(pk=steady.pk).verdict == Verdict.UP
    # Nothing changed in the steady batch: the component service was not called.
    assert len(steady_batch) <= 10
    assert not any("automation" in q["sql"] for q in steady_batch.captured_queries)
    assert Component.objects.get(pk=api.pk).status == "major_outage"


def test_a_live_lease_in_a_batch_is_left_and_a_dead_one_taken_over(make_monitor):
    live, dead, free = _monitors(make_monitor, 3, timeout_seconds=5)
    now = timezone.now()
    slot = slot_of(now, 60)
    assert runs_claim(region="default", due=[(live, slot)], worker="a", now=now)
    assert runs_claim(region="default", due=[(dead, slot)], worker="b", now=now)
    later = now + timedelta(seconds=4)
    # Still within both leases: only the free slot is this worker's.
    held = runs_claim(
        region="default", due=[(live, slot), (dead, slot), (free, slot)], worker="c", now=later
    )
    assert held == {(free.pk, slot)}
    # Worker "a" kept its result; worker "b" died: once its lease ran out, the slot is taken.
    results_record(region="default", finished=[Finished(live.pk, slot, UP)], at=later)
    after = now + timedelta(seconds=11)
    held = runs_claim(region="default", due=[(live, slot), (dead, slot)], worker="d", now=after)
    assert held == {(dead.pk, slot)}
    assert MonitorRun.objects.get(monitor=dead).claimed_by.startswith("d/")


def test_the_runner_keeps_results_in_batches(target, make_monitor, monkeypatch):
    from statuspage.monitors import runner

    monkeypatch.setattr(runner, "RESULT_BATCH", 2)
    monitors = [make_monitor(name=f"web {n}", kind="http", url=target.url()) for n in range(5)]
    report = run_due(region="default")
    assert (report.due, report.checked) == (5, 5)
    assert MonitorResult.objects.count() == 5
    assert MonitorRun.objects.filter(done=True).count() == len(monitors)
    assert target.behaviour.hits == 5


def test_a_component_the_service_refuses_costs_the_batch_nothing(
    make_monitor, api, web, monkeypatch, caplog
):
    from statuspage.monitors import recording

    broken = make_monitor(name="api", kind="tcp", host="127.0.0.1", port=9,
                          failures_before_down=1, successes_before_up=1)  # fmt: skip
    fine = make_monitor(name="web", component_id=web.public_id, kind="tcp", host="127.0.0.1",
                        port=9, failures_before_down=1, successes_before_up=1)  # fmt: skip
    real = recording.component_hook_apply

    def refuse_api(*, component, **kwargs):
        if component.pk == api.pk:
            raise RuntimeError("the component service refused")
        return real(component=component, **kwargs)

    monkeypatch.setattr(recording, "component_hook_apply", refuse_api)
    now = timezone.now()
    slot = slot_of(now, 60)
    kept = results_record(
        region="default",
        finished=[Finished(broken.pk, slot, DOWN), Finished(fine.pk, slot, DOWN)],
        at=now,
    )
    assert len(kept) == 2 and MonitorResult.objects.count() == 2
    assert status_of(web) == "major_outage"
    assert status_of(api) == "operational"
    # The refused monitor keeps its old verdict, so the next result tries again.
    assert Monitor.objects.get(pk=broken.pk).verdict == Verdict.UNKNOWN
    assert "could not change its component" in caplog.text
    monkeypatch.setattr(recording, "component_hook_apply", real)
    results_record(region="default", finished=[Finished(broken.pk, slot + 1, DOWN)], at=now)
    assert status_of(api) == "major_outage"
    assert Monitor.objects.get(pk=broken.pk).verdict == Verdict.DOWN
