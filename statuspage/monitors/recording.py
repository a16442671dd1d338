"""What check results do, a batch at a time: the leases of their slots, their raw rows, the
rollups, each region's count and, only for a monitor whose verdict changes, the component
(and incident) through the automation service (one audit trail and one notification path
with alerts and operators).

A batch costs a fixed number of statements whatever its size (the claim: three; the results:
about ten, see `results_record`), so a worker keeps a thousand results in well under a
second instead of a dozen statements per result. Only a changed verdict costs more, and it
is rare by design (N failures, M successes)."""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, Q, Value, When
from django.utils import timezone

from incidents import selectors
from incidents.enums import COMPONENT_SEVERITY, ComponentStatus
from incidents.services import Actor, page_lock
from incidents.templating import TemplateRenderError, render_sandboxed, template_context
from statuspage.automation.services import component_hook_apply
from statuspage.monitors import rules
from statuspage.monitors.checks import Outcome
from statuspage.monitors.models import (
    Monitor,
    MonitorRegionState,
    MonitorResult,
    MonitorRun,
    Verdict,
)
from statuspage.monitors.regions import home_region
from statuspage.monitors.rollups import rollup_add_results

log = logging.getLogger(__name__)

# --- check slots: the lease --------------------------------------------------------------


def _slots_q(pairs: Iterable[tuple[int, int]]) -> Q:
    """(monitor, slot) pairs as one filter: one term per distinct slot (a batch holds one
    slot per interval in use, so a handful of terms whatever the number of monitors)."""
    by_slot: dict[int, list[int]] = defaultdict(list)
    for monitor_id, slot in pairs:
        by_slot[slot].append(monitor_id)
    q = Q(pk__in=[])
    for slot, ids in sorted(by_slot.items()):
        q |= Q(slot=slot, monitor_id__in=sorted(ids))
    return q


def runs_claim(
    *, region: str, due: Sequence[tuple[Monitor, int]], worker: str, now: datetime
) -> set[tuple[int, int]]:
    """Take the checks of `due` (monitor, slot) in `region`: the (monitor id, slot) pairs this
    caller now holds. A pair is held by exactly one caller while its check runs; a later
    caller takes it over only if the first one's lease ran out without a result (its worker
    died), so a slot is neither run twice nor skipped. Three statements for any batch."""
    if not due:
        return set()
    margin = settings.MONITOR_LEASE_MARGIN_SECONDS
    # This call's own mark: the same worker name may claim again at the same instant.
    token = f"{worker[:88]}/{secrets.token_hex(5)}"

    def lease(monitor: Monitor) -> datetime:
        return now + timedelta(seconds=monitor.timeout_seconds + margin)

    MonitorRun.objects.bulk_create(
        [
            MonitorRun(
                monitor_id=monitor.pk,
                region=region,
                slot=slot,
                lease_until=lease(monitor),
                claimed_by=token,
                claimed_at=now,
            )
            for monitor, slot in due
        ],
        ignore_conflicts=True,
    )
    by_timeout: dict[int, list[int]] = defaultdict(list)
    for monitor, _ in due:
        by_timeout[monitor.timeout_seconds].append(monitor.pk)
    lease_until = Case(
        *(
            When(monitor_id__in=ids, then=Value(now + timedelta(seconds=timeout + margin)))
            for timeout, ids in by_timeout.items()
        ),
        output_field=DateTimeField(),
    )
    # Rows left by a worker that died: no result, lease over.
    MonitorRun.objects.filter(_slots_q((m.pk, s) for m, s in due)).filter(
        region=region, done=False, lease_until__lt=now
    ).update(lease_until=lease_until, claimed_by=token, claimed_at=now)
    return set(
        MonitorRun.objects.filter(region=region, claimed_by=token).values_list("monitor_id", "slot")
    )


def run_claim(*, monitor: Monitor, region: str, slot: int, worker: str, now: datetime) -> bool:
    """`runs_claim` for one slot."""
    return bool(runs_claim(region=region, due=[(monitor, slot)], worker=worker, now=now))


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A check that ran: its monitor, slot and outcome."""

    monitor_id: int
    slot: int
    outcome: Outcome


def results_record(
    *, region: str, finished: Sequence[Finished], at: datetime
) -> list[MonitorResult]:
    """Keep a batch of results and apply them, in one transaction: the new result rows (a
    slot that already has one, or whose monitor is gone, is left out: a late duplicate
    changes nothing), their leases done, the rollups, each region's count and, where a
    monitor's verdict changes, the component. Returns the rows kept.

    Statements: the page lock, the monitors' rows, the slots already kept, the region counts
    (read, insert of new ones, update), the results, the leases, one rollup upsert; then
    one update per verdict that changed, and the component service per changed monitor."""
    if not finished:
        return []
    with transaction.atomic():
        # The page lock first, as every domain write takes it: a result that changes the
        # component takes it anyway (through automation), and one order for both locks means
        # no deadlock with a domain write that deletes the component (and so the monitor).
        page_lock()
        ids = sorted({f.monitor_id for f in finished})
        monitors = {
            m.pk: m
            for m in Monitor.objects.select_for_update(of=("self",))
            .select_related("component")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        kept = set(
            MonitorResult.objects.filter(region=region)
            .filter(_slots_q((f.monitor_id, f.slot) for f in finished))
            .values_list("monitor_id", "slot")
        )
        fresh: dict[tuple[int, int], Finished] = {}
        for f in finished:
            key = (f.monitor_id, f.slot)
            if f.monitor_id in monitors and key not in kept and key not in fresh:
                fresh[key] = f
        if not fresh:
            return []
        results = MonitorResult.objects.bulk_create(
            [_result_row(f, region, at) for f in fresh.values()]
        )
        MonitorRun.objects.filter(region=region).filter(_slots_q(fresh)).update(done=True)
        rollup_add_results(results)
        _conclude(monitors, _count(monitors, region, results))
    return results


def result_record(
    *, monitor_id: int, region: str, slot: int, outcome: Outcome, at: datetime
) -> MonitorResult | None:
    """`results_record` for one result: the row kept, or None (monitor gone, or the slot
    already has its result)."""
    kept = results_record(region=region, finished=[Finished(monitor_id, slot, outcome)], at=at)
    return kept[0] if kept else None


def _result_row(finished: Finished, region: str, at: datetime) -> MonitorResult:
    outcome = finished.outcome
    return MonitorResult(
        monitor_id=finished.monitor_id,
        region=region,
        slot=finished.slot,
        ok=outcome.ok,
        degraded=outcome.degraded and outcome.ok,
        latency_ms=outcome.latency_ms,
        detail=outcome.detail[:300],
        checked_at=at,
    )


def _count(
    monitors: dict[int, Monitor], region: str, results: list[MonitorResult]
) -> dict[int, list[str]]:
    """Count each result into its region's run; returns, for each monitor whose region
    verdict changed, the verdicts of all its regions (what `_conclude` weighs)."""
    ids = sorted({r.monitor_id for r in results})
    states = {
        (s.monitor_id, s.region): s for s in MonitorRegionState.objects.filter(monitor_id__in=ids)
    }
    new = [
        MonitorRegionState(monitor_id=pk, region=region) for pk in ids if (pk, region) not in states
    ]
    for state in MonitorRegionState.objects.bulk_create(new):
        states[(state.monitor_id, state.region)] = state
    touched: dict[int, MonitorRegionState] = {}
    moved: set[int] = set()
    for result in sorted(results, key=lambda r: r.slot):
        monitor = monitors[result.monitor_id]
        state = states[(monitor.pk, region)]
        if result.slot < state.last_slot:
            continue  # an older slot's result, arriving late, does not rewrite the run
        after = rules.region_after(
            rules.RegionCount(state.failures, state.successes, state.verdict),
            ok=result.ok,
            degraded=result.degraded,
            failures_before_down=monitor.failures_before_down,
            successes_before_up=monitor.successes_before_up,
        )
        if after.verdict != state.verdict:
            moved.add(monitor.pk)
        state.failures, state.successes = after.failures, after.successes
        state.verdict = after.verdict
        state.last_slot = result.slot
        state.updated_at = timezone.now()
        touched[monitor.pk] = state
    MonitorRegionState.objects.bulk_update(
        list(touched.values()), ["failures", "successes", "verdict", "last_slot", "updated_at"]
    )
    out: dict[int, list[str]] = {}
    for pk in ids:
        monitor = monitors[pk]
        verdicts = [
            states[(pk, r)].verdict
            for r in monitor.region_names(home_region())
            if (pk, r) in states
        ]
        # Weighed when a region moved, or when the monitor's verdict disagrees with its
        # regions (its rules were edited); a monitor that stays as it is costs nothing more.
        now = rules.monitor_verdict(monitor.verdict, verdicts, monitor.regions_required)
        if pk in moved or now != monitor.verdict:
            out[pk] = verdicts
    return out


def _conclude(monitors: dict[int, Monitor], candidates: dict[int, list[str]]) -> None:
    """Each candidate's verdict from its regions'; those that changed are stored (one update
    per verdict) and, unless a new monitor merely found its target up, drive the component."""
    changed: dict[str, list[Monitor]] = defaultdict(list)
    for pk, verdicts in sorted(candidates.items()):
        monitor = monitors[pk]
        verdict = rules.monitor_verdict(monitor.verdict, verdicts, monitor.regions_required)
        if verdict != monitor.verdict:
            changed[verdict].append(monitor)
    for verdict, group in changed.items():
        Monitor.objects.filter(pk__in=[m.pk for m in group]).update(verdict=verdict)
    for verdict, group in changed.items():
        for monitor in group:
            before = monitor.verdict
            monitor.verdict = verdict
            if before == Verdict.UNKNOWN and verdict == Verdict.UP:
                continue  # a new monitor that finds its target up changes nothing set by hand
            try:
                with transaction.atomic():
                    _drive(monitor)
            except Exception:
                # One component the service refuses must not cost the batch its results: this
                # monitor keeps its old verdict, so the next result tries the change again.
                log.exception("monitor %s could not change its component", monitor.public_id)
                Monitor.objects.filter(pk=monitor.pk).update(verdict=before)
                monitor.verdict = before


def _drive(monitor: Monitor) -> None:
    """Tell the component what the monitor now concludes, through the automation service
    the alert routes use. With several monitors on one component, a recovering one reports
    the worst status its siblings still hold, so one green check cannot hide a red one."""
    status = _status_of(monitor)
    if status == ComponentStatus.OPERATIONAL:
        siblings = Monitor.objects.filter(component=monitor.component, enabled=True).exclude(
            pk=monitor.pk
        )
        status = max(
            [_status_of(m) for m in siblings] + [status],
            key=lambda s: COMPONENT_SEVERITY[ComponentStatus(s)],
        )
    component_hook_apply(
        component=monitor.component,
        status=status,
        incident=_incident(monitor) if monitor.open_incident else None,
        actor=Actor(label=f"monitor {monitor.name}"[:150], via="automation"),
        fingerprint=f"monitor:{monitor.public_id}",
    )


def _status_of(monitor: Monitor) -> str:
    if monitor.verdict == Verdict.DOWN:
        return monitor.failure_status
    if monitor.verdict == Verdict.DEGRADED:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def _incident(monitor: Monitor) -> dict[str, str]:
    """The incident a failing monitor opens: its template's title and body, rendered in the
    sandbox, or blanks (the automation service then names it after the component)."""
    template = monitor.incident_template
    if template is None:
        return {"name": "", "body": ""}
    # The page the monitor's component is on names the incident, not the default page.
    page_name = selectors.page_get(monitor.component.page_id).name
    context = template_context(page_name, [monitor.component.name])
    try:
        return {
            "name": render_sandboxed(template.title, context)[:200],
            "body": render_sandboxed(template.body, context),
        }
    except TemplateRenderError:
        # A template an operator broke must not keep the outage off the page.
        return {"name": "", "body": ""}
