"""The uptime report in a real browser, light and dark, phone and desktop: nothing scrolls
sideways, axe-core finds no serious violation, the month form shows a month and the CSV link
downloads the same range. Screenshots:
test-artifacts/dashboard-uptime-report-{page,print}-<width>-<scheme>.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 1280)


def _history():
    """An hour's major outage on API a few days ago, and a monitor on Web with an hour of
    failed checks, so the report shows both sources."""
    from django.utils import timezone

    from incidents import services
    from incidents.models import Component
    from statuspage.monitors.models import Kind, Monitor, Resolution, Rollup
    from statuspage.monitors.rollups import bucket_start

    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    Component.objects.filter(pk__in=[api.pk, web.pk]).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    start = timezone.now() - timedelta(days=3)
    services.component_status_set(
        component=api, status="major_outage", actor=services.SYSTEM, at=start
    )
    services.component_status_set(
        component=api, status="operational", actor=services.SYSTEM, at=start + timedelta(hours=1)
    )
    monitor = Monitor.objects.create(
        name="Web home page",
        component=web,
        kind=Kind.HTTP,
        url="https://www.example.com/",
        interval_seconds=60,
    )
    Rollup.objects.create(
        monitor=monitor,
        resolution=Resolution.HOUR,
        start=bucket_start(timezone.now() - timedelta(days=2), 3600),
        count=10,
        failed=20,
    )


def _check(page, axe_source, dash_artifacts, name: str, width: int, scheme: str) -> None:
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => "
        "e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"
    )
    assert _overflow(page) <= 0, f"{name} at {width}: {wide}"
    page.screenshot(
        path=str(dash_artifacts / f"dashboard-uptime-report-{name}-{width}-{scheme}.png"),
        full_page=True,
    )
    assert _axe_serious(page, axe_source) == [], f"{name} at {width}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_uptime_report_reads_well_and_downloads(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    _history()
    page = new_dash_page(dash_browser, color_scheme=scheme, accept_downloads=True)
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert page.goto(f"{dash_site}/dashboard/uptime-report/").status == 200
            # The form reloads the page: measure the new page once it has its styles, not the
            # old one mid-navigation (an unstyled table is wider than a phone).
            with page.expect_navigation(wait_until="load"):
                page.click("button:has-text('Show range')")  # this month so far
            assert "Status log and monitors (since" in page.content()
            _check(page, axe_source, dash_artifacts, "page", width, scheme)
            page.click("a:has-text('Printable view')")
            page.wait_for_url("**/uptime-report/print/**", wait_until="load")
            _check(page, axe_source, dash_artifacts, "print", width, scheme)
        page.goto(f"{dash_site}/dashboard/uptime-report/")
        month = page.input_value("#report-month")
        page.click("button:has-text('Show month')")
        page.wait_for_url(f"**month={month}**")
        assert "Uptime from " + month + "-01" in page.content()
        with page.expect_download() as download:
            page.click("a:has-text('Download CSV')")
        lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("component,from,to,uptime_percent")
        assert {line.split(",")[0] for line in lines[1:]} == {"API", "Web"}
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
