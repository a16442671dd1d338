"""Regions: a region is the workers started with MONITOR_REGION=<name>, listening on that
region's queue. MONITOR_REGIONS names every region of the install; a monitor that names none
is checked from the first (the home region)."""

from __future__ import annotations

from django.conf import settings

QUEUE = "monitors"


def home_region() -> str:
    return str(settings.MONITOR_REGIONS[0])


def queue_for(region: str) -> str:
    """The home region's workers take the `monitors` queue; another region's, `monitors-<name>`."""
    return QUEUE if region == home_region() else f"{QUEUE}-{region}"
