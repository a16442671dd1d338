"""The dashboard's translate form on an incident update in a real browser, light and dark at
360 px: an admin picks German, writes the name and message, saves, and the incident page lists
the translation; nothing scrolls sideways and axe finds nothing serious.
Screenshots: test-artifacts/dashboard-translate-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_admin_translates_an_update(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    from incidents import services
    from incidents.models import Component, IncidentUpdate

    incident = services.incident_create(
        name="Sign-in errors",
        body="Some sign-ins fail.",
        actor=services.SYSTEM,
        component_statuses={Component.objects.get(name="API"): "major_outage"},
        notify=False,
    )
    update = incident.updates.get()
    _user, device = dash_admin
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, device)
        page.set_viewport_size({"width": 360, "height": 800})
        page.goto(f"{dash_site}/dashboard/incidents/{incident.public_id}/")
        page.click("a:text('Translate')")
        page.wait_for_url(f"**/updates/{update.public_id}/translate/")
        assert _overflow(page) <= 0
        assert _axe_serious(page, axe_source) == []
        page.select_option("select[name=language]", "de")
        page.fill("input[name=name]", "Anmeldefehler")
        page.fill("textarea[name=body]", "Manche Anmeldungen schlagen fehl.")
        page.screenshot(path=str(dash_artifacts / f"dashboard-translate-{scheme}.png"))
        page.click("main button[type=submit]")
        page.wait_for_url(f"**/dashboard/incidents/{incident.public_id}/")
        assert "Translated: de" in page.locator("main").inner_text()
        assert _overflow(page) <= 0
    finally:
        page.context.close()
    assert IncidentUpdate.objects.get(pk=update.pk).translations == {
        "de": {"body": "Manche Anmeldungen schlagen fehl."}
    }


def _offscreen(page) -> list[str]:
    """Elements of the main column that reach past the viewport's right edge."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => e.tagName + (e.name ? '[' + e.name + ']' : ''))"""
    )


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_responder_translates_a_maintenance_update(
    scheme, width, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    """The same form on a maintenance window's update: from the window's page to the form and
    back, at a phone's width and a desktop's. Screenshots:
    test-artifacts/dashboard-translate-maintenance-<width>-<scheme>.png."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents import services
    from incidents.models import Component, Maintenance, MaintenanceUpdate

    start = timezone.now() + timedelta(days=2)
    window = services.maintenance_schedule(
        name="Database upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[Component.objects.get(name="API")],
        actor=services.SYSTEM,
        body="We upgrade the database to a new major version.",
        notify=False,
    )
    update = window.updates.get()
    _user, device = dash_admin
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, device)
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{dash_site}/dashboard/maintenance/{window.public_id}/")
        with page.expect_navigation():
            page.click("main a:text('Translate')")
        assert page.url.endswith(f"/maintenance/updates/{update.public_id}/translate/")
        assert page.locator("label:text('Maintenance name')").is_visible()
        assert _overflow(page) <= 0 and _offscreen(page) == []
        assert _axe_serious(page, axe_source) == []
        page.select_option("select[name=language]", "de")
        page.fill("input[name=name]", "Datenbank-Upgrade")
        page.fill(
            "textarea[name=body]", "Wir aktualisieren die Datenbank auf eine neue Hauptversion."
        )
        page.screenshot(
            path=str(dash_artifacts / f"dashboard-translate-maintenance-{width}-{scheme}.png"),
            full_page=True,
        )
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url.endswith(f"/dashboard/maintenance/{window.public_id}/")
        assert "Translated: de" in page.locator("main").inner_text()
        assert _overflow(page) <= 0
        assert _axe_serious(page, axe_source) == []
    finally:
        page.context.close()
    assert MaintenanceUpdate.objects.get(pk=update.pk).translations == {
        "de": {"body": "Wir aktualisieren die Datenbank auf eine neue Hauptversion."}
    }
    assert Maintenance.objects.get(pk=window.pk).translations == {
        "de": {"name": "Datenbank-Upgrade"}
    }
