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
