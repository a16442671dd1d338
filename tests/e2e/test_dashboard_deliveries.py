"""A delivery's attempt log on a phone: at 360 and 390 px, in the light and the dark colour
scheme, the page (and the delivery log that leads to it) has no horizontal scrolling, every
try is readable, axe-core finds no serious violation, and nothing breaks the CSP.
Screenshots: test-artifacts/dashboard-delivery-*.png, dashboard-deliveries-*.png."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

# The fixtures live beside this file, not in tests/e2e/conftest.py (another suite's).
from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in

# Two phones, and a desktop for comparison.
WIDTHS = (360, 390, 1280)
LONG_URL = "https://hooks.example.test/" + "very-long-path-segment-" * 6 + "?token=" + "a" * 60


def _delivery_with_history():
    """A webhook delivery with three tries: a 503 whose body is one long unbroken line, a
    timeout, then a success."""
    from django.utils import timezone

    from notifications.models import Delivery, DeliveryAttempt, Event, Subscriber

    sub = Subscriber.objects.create(
        channel="webhook",
        address=LONG_URL,
        contact_email="ops@example.test",
        state="active",
        confirmed_at=timezone.now(),
    )
    start = timezone.now() - timedelta(minutes=12)
    row = Delivery.objects.create(
        event=Event.objects.create(kind="incident.updated"),
        subscriber=sub,
        channel="webhook",
        state="sent",
        attempts=3,
        provider_id="HTTP 204",
        created_at=start - timedelta(seconds=2),
        sent_at=start + timedelta(minutes=5),
    )
    body = '{"error":"upstream_unavailable","detail":"' + "x" * 240 + '"}'
    for number, minutes, outcome, code, latency, message, excerpt in (
        (1, 0, "retry", "HTTP 503", 183, "HTTP 503", body[:300]),
        (2, 1, "retry", "", 10003, "Connection timed out", ""),
        (3, 5, "sent", "HTTP 204", 42, "", ""),
    ):
        DeliveryAttempt.objects.create(
            delivery=row,
            number=number,
            at=start + timedelta(minutes=minutes),
            outcome=outcome,
            code=code,
            latency_ms=latency,
            message=message,
            excerpt=excerpt,
        )
    return row


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _axe_serious(page, axe_source: str) -> list:
    # Evaluated through the DevTools protocol: a <script> tag would be blocked by the CSP.
    page.evaluate(axe_source)
    result = json.loads(page.evaluate("async () => JSON.stringify(await axe.run())"))
    return [
        (v["id"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_deliverys_attempts_read_well_on_a_phone(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    row = _delivery_with_history()
    page = new_dash_page(
        dash_browser,
        viewport={"width": WIDTHS[0], "height": 780},
        color_scheme=scheme,
    )
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 780})
            assert page.goto(f"{dash_site}/dashboard/deliveries/{row.pk}/").status == 200
            assert _overflow(page) <= 0, width
            tries = page.locator("table.attempts tbody tr")
            assert tries.count() == 3
            # Newest first, each try a card no wider than the screen, its time a <time>.
            assert tries.nth(0).locator("td[data-label=Try]").inner_text() == "3"
            assert tries.nth(2).locator("td[data-label=Code]").inner_text() == "HTTP 503"
            assert tries.locator("time[datetime]").count() == 3
            for n in range(3):
                assert tries.nth(n).bounding_box()["width"] <= width
            assert "upstream_unavailable" in tries.nth(2).inner_text()
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-delivery-{width}-{scheme}.png"),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], width
            # The delivery log that leads here stacks its rows the same way.
            assert page.goto(f"{dash_site}/dashboard/deliveries/").status == 200
            assert _overflow(page) <= 0, f"delivery log at {width}"
            assert page.locator(f'table.deliveries tr[data-id="{row.pk}"]').count() == 1
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-deliveries-{width}-{scheme}.png"),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], f"delivery log at {width}"
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
