"""The page's notification sender form in a real browser, on a 360 px phone and a desktop,
light and dark: saved from the form, the effective sender and the generated secret shown
without overflow, axe clean. Screenshots:
test-artifacts/dashboard-notification-settings-<width>-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_notification_settings_read_well_and_save(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    from notifications.models import PageNotificationSettings

    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, dash_admin[1])
        page.set_viewport_size({"width": 360, "height": 800})
        assert page.goto(f"{dash_site}/dashboard/settings/notifications/").status == 200
        page.fill("#id_from_name", "Acme Status")
        page.fill("#id_from_email", "notifications-for-a-long-team-name@status.acme-example.test")
        page.fill("#id_reply_to", "help@acme.test")
        page.fill("#id_sms_messaging_service_sid", "MG" + "a" * 32)
        page.check("input[name=webhook_secret_action][value=new]")
        page.click("form button:text-is('Save')")
        page.wait_for_selector("text=Notification settings saved.")
        row = PageNotificationSettings.objects.get()
        assert row.from_name == "Acme Status" and row.webhook_secret.startswith("whsec_")
        effective = page.locator("[data-effective]").inner_text()
        assert "Acme Status <notifications-for-a-long-team-name@" in effective
        assert page.locator("[data-secret]").inner_text() == row.webhook_secret
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{dash_site}/dashboard/settings/notifications/")
            assert _overflow(page) <= 0, width
            secret = page.locator("[data-secret]").bounding_box()
            assert secret["x"] + secret["width"] <= width, width
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-notification-settings-{width}-{scheme}.png"),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], width
        assert page.csp_violations == [] and console_problems(page) == []
    finally:
        page.context.close()
