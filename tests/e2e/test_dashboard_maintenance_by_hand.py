"""Maintenance set by hand from the component board, in a real browser: one click puts a
component under maintenance over its own status, the public JSON and page follow, End
maintenance brings the status beneath back. The board with its extra button fits a 360 px
phone without horizontal scrolling, in the light and the dark colour scheme, with no serious
accessibility violation. Screenshots: test-artifacts/dashboard-board-maintenance-*.png."""

from __future__ import annotations

import pytest

# The fixtures live beside this file, not in tests/e2e/conftest.py (another suite's).
from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _public_statuses, _sign_in, _status_of, _summary
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 390, 1280)


def _board_row(page, name: str):
    return page.locator("table.board tr", has=page.locator(f"th:text-is('{name}')"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_board_puts_a_component_under_maintenance_and_ends_it(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    from incidents import services
    from incidents.models import Component

    site = dash_site
    _user, device = dash_admin
    api = Component.objects.get(name="API")
    services.component_status_set(
        component=api, status="degraded_performance", actor=services.SYSTEM
    )
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, site, device)
        row = _board_row(page, "API")
        row.locator("button:text-is('Under maintenance')").click()
        page.wait_for_selector("text=API is now Under maintenance.")
        row = _board_row(page, "API")
        assert _status_of(page, "API") == "Under maintenance"
        assert "Under maintenance (over degraded performance)" in row.inner_text()
        assert row.locator("button:text-is('Under maintenance')").is_disabled()

        summary = _summary(
            page,
            site,
            lambda s: (
                {c["name"]: c["status"] for c in s["components"]}.get("API") == "under_maintenance"
            ),
        )
        assert {c["name"]: c["status"] for c in summary["components"]}["API"] == (
            "under_maintenance"
        )
        public = page.context.new_page()
        expected = ("under_maintenance",)
        assert _public_statuses(public, site, api, expect=expected) == expected
        public.close()

        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{site}/dashboard/")
            assert _overflow(page) <= 0, width
            end = _board_row(page, "API").locator("button:text-is('End maintenance')")
            box = end.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-board-maintenance-{width}-{scheme}.png"),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], width

        page.set_viewport_size({"width": 1280, "height": 800})
        _board_row(page, "API").locator("button:text-is('End maintenance')").click()
        page.wait_for_selector("text=API: maintenance ended; it is now Degraded performance.")
        assert _status_of(page, "API") == "Degraded performance"
        assert _board_row(page, "API").locator("button:text-is('End maintenance')").count() == 0
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
