"""The upstream tick: takes nothing, polls what is due."""

from __future__ import annotations

from statuspage.upstream.services import providers_poll_due


def upstream_tick() -> str:
    """From the scheduler (settings.STATUSPAGE_PERIODIC_JOBS, every 30 s): polls every
    provider whose next poll time has come (each has its own interval, jitter and backoff)."""
    counts = providers_poll_due()
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none due"
