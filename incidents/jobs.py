"""Background jobs of the incident domain. Jobs take IDs (or nothing) and call services."""

from __future__ import annotations

import logging

from incidents import services

log = logging.getLogger(__name__)


def maintenance_tick() -> dict[str, list[int]]:
    """Start, complete and remind maintenance windows that are due (run every minute)."""
    done = services.maintenance_run_due()
    if any(done.values()):
        log.info("maintenance tick: %s", done)
    return done
