"""The monitors screens in a real browser, light and dark, phone and desktop: nothing scrolls
sideways, axe-core finds no serious violation, and an admin creates a monitor with the form.
Screenshots: test-artifacts/dashboard-monitors-{list,detail,form}-<width>-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 1280)


def _monitors():
    from django.utils import timezone

    from incidents.models import Component
    from incidents.services import SYSTEM
    from statuspage.monitors.models import MonitorResult
    from statuspage.monitors.services import monitor_save

    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    http = monitor_save(
        actor=SYSTEM,
        monitor=None,
        data={
            "name": "API health endpoint",
            "kind": "http",
            "url": "https://api.example.com/v1/health?verbose=true&region=eu-west-1",
            "component_id": api.public_id,
            "keyword": "ok",
        },
    )
    for slot, (ok, detail) in enumerate(
        [(True, "HTTP 200"), (False, "HTTP 503 (expected 2xx)"), (False, "Timed out after 10 s")]
    ):
        MonitorResult.objects.create(
            monitor=http,
            region="default",
            slot=slot,
            ok=ok,
            latency_ms=120 + slot,
            detail=detail,
            checked_at=timezone.now(),
        )
    beat = monitor_save(
        actor=SYSTEM,
        monitor=None,
        data={"name": "Nightly backup", "kind": "heartbeat", "component_id": web.public_id},
    )
    return http, beat


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_monitor_pages_read_well_and_the_form_creates_one(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    http, beat = _monitors()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    pages = {
        "list": "/dashboard/monitors/",
        "detail": f"/dashboard/monitors/{http.pk}/",
        "heartbeat": f"/dashboard/monitors/{beat.pk}/",
        "form": f"/dashboard/monitors/{http.pk}/edit/",
    }
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in pages.items():
                assert page.goto(f"{dash_site}{path}").status == 200, path
                wide = page.evaluate(
                    "[...document.querySelectorAll('main *')].filter(e => "
                    "e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 5)"
                    ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"
                )
                assert _overflow(page) <= 0, f"{name} at {width}: {wide}"
                page.screenshot(
                    path=str(dash_artifacts / f"dashboard-monitors-{name}-{width}-{scheme}.png"),
                    full_page=True,
                )
                assert _axe_serious(page, axe_source) == [], f"{name} at {width}"
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{dash_site}/dashboard/monitors/new/")
        page.fill("#id_name", "Web port")
        page.select_option("#id_component_id", label="Web")
        page.select_option("#id_kind", "tcp")
        page.fill("#id_host", "web.example.com")
        page.fill("#id_port", "443")
        page.click("button:has-text('Save')")
        page.wait_for_url("**/dashboard/monitors/*/")
        assert "Monitor “Web port” saved." in page.content()
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
    from statuspage.monitors.models import Monitor

    created = Monitor.objects.get(name="Web port")
    assert (created.kind, created.host, created.port) == ("tcp", "web.example.com", 443)
