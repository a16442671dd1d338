"""Two time zones in a real browser: an operator in Tokyo on a page kept in Europe/Berlin sees
dashboard times in Tokyo time with the page's beside them, and the maintenance form's inputs
(entered in the page's zone) show the same instant in Tokyo time as they are typed, across the
spring-forward change in Berlin. Without the script the page zone's times stand, named."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in


@pytest.mark.frozen_at("2026-03-20T12:00:00Z")
def test_times_in_the_operators_zone_with_the_pages_beside(
    dash_site, dash_admin, dash_browser, dash_artifacts
):
    from incidents import services
    from incidents.models import Page

    Page.objects.update(time_zone="Europe/Berlin")
    incident = services.incident_create(name="Slow", body="Looking.", actor=services.SYSTEM)
    page = new_dash_page(dash_browser, timezone_id="Asia/Tokyo")
    try:
        _sign_in(page, dash_site, dash_admin[1])
        page.goto(f"{dash_site}/dashboard/incidents/{incident.public_id}/")
        when = page.locator("article.update time[data-local]").first
        assert when.inner_text() == "2026-03-20 21:00 GMT+9"
        page_time = when.evaluate("e => e.nextElementSibling.textContent")
        assert page_time == "(page: 2026-03-20 13:00 CET)"
        page.goto(f"{dash_site}/dashboard/maintenance/new/")
        start = page.locator("input[type=datetime-local]").first
        hint = start.locator("xpath=following-sibling::span[@class='zones']")
        start.fill("2026-03-28T03:30")  # CET, UTC+1
        assert hint.inner_text() == (
            "2026-03-28 03:30 GMT+1 = 2026-03-28 11:30 GMT+9 in your zone (Asia/Tokyo)"
        )
        start.fill("2026-03-29T03:30")  # CEST from 02:00 that night, UTC+2
        assert hint.inner_text() == (
            "2026-03-29 03:30 GMT+2 = 2026-03-29 10:30 GMT+9 in your zone (Asia/Tokyo)"
        )
        page.screenshot(path=str(dash_artifacts / "dashboard-zones-maintenance.png"))
        assert page.csp_violations == [] and console_problems(page) == []
    finally:
        page.context.close()


@pytest.mark.frozen_at("2026-03-20T12:00:00Z")
def test_without_the_script_the_page_zone_is_shown_and_named(dash_site, dash_admin, dash_browser):
    from incidents import services
    from incidents.models import Page

    Page.objects.update(time_zone="Europe/Berlin")
    incident = services.incident_create(name="Slow", body="Looking.", actor=services.SYSTEM)
    page = new_dash_page(dash_browser, timezone_id="Asia/Tokyo", java_script_enabled=False)
    try:
        _sign_in(page, dash_site, dash_admin[1])
        page.goto(f"{dash_site}/dashboard/incidents/{incident.public_id}/")
        assert page.locator("article.update time").first.inner_text() == "2026-03-20 13:00 CET"
    finally:
        page.context.close()
