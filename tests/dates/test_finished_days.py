"""The finished-day cache at the instants that break naive date code (tests/conftest.py
EDGES): bars built from cached finished days plus a freshly counted today are the bars a
full count gives, on DST days (23 and 25 hours), at month and year ends, on 29 February."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core.cache import cache
from django.db import transaction

from incidents import services
from incidents.models import Page
from incidents.services.common import generation_cache_key, public_changed
from statuspage import public_cache
from statuspage.public import finished_days


def _bar(client) -> tuple[list[str], str]:
    public_cache.local.clear()
    cache.delete(generation_cache_key(Page.objects.order_by("id").values_list("id", flat=True)[0]))
    html = client.get("/").content.decode()
    bar = re.search(r'aria-label="Daily uptime of API, last 90 days">(.*?)</ol>', html, re.S)
    figure = re.search(r'class="figure">([^<]*) uptime', html)
    assert bar is not None and figure is not None
    return re.findall(r"<li[^>]*>.*?</li>", bar.group(1)), figure.group(1)


def test_cached_finished_days_plus_today_equal_a_full_count(edge, client, api, operator):
    # An outage across the local midnight that starts the edge's day.
    services.component_status_set(
        component=api, status="major_outage", actor=operator,
        at=edge.local(edge.today - timedelta(days=1), 23),
    )  # fmt: skip
    services.component_status_set(
        component=api, status="operational", actor=operator, at=edge.now - timedelta(minutes=10)
    )
    for later in (timedelta(0), timedelta(days=1)):  # the edge's day as today, then as past
        with time_machine.travel(edge.now + later, tick=False):
            cache.clear()
            full, full_figure = _bar(client)
            page = Page.objects.get()
            assert finished_days.load([api], page=page, today=edge.today + later, days=90)
            with transaction.atomic():
                public_changed()
            cached, cached_figure = _bar(client)
            assert cached == full and cached_figure == full_figure
            assert len(cached) == 90
            label = edge.today.strftime("%b %-d, %Y")
            assert any(f"{label}: major outage" in cell for cell in cached)
