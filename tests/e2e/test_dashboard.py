"""The on-call flow in a real browser: sign in with 2FA, declare an incident affecting two
components, see it on the public page, post an update, resolve, see the statuses restored."""

from __future__ import annotations

import json

from django_otp.oath import totp

# The fixtures live beside this file, not in tests/e2e/conftest.py (another suite's).
from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import OPERATOR_PASSWORD


def _sign_in(page, site, device):
    page.goto(f"{site}/dashboard/login/")
    page.fill("#id_username", "e2e-admin")
    page.fill("#id_password", OPERATOR_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/2fa/verify/**")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.fill("#id_token", f"{code:06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/dashboard/")


def _status_of(page, name: str) -> str:
    row = page.locator("table.board tr", has=page.locator(f"td:text-is('{name}')"))
    return row.locator(".status").inner_text()


def test_declare_update_resolve_in_the_browser(dash_site, dash_admin, dash_page, dash_artifacts):
    from playwright.sync_api import expect

    from incidents.models import Component

    page, site = dash_page, dash_site
    _, device = dash_admin
    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    _sign_in(page, site, device)

    page.click("text=Declare an incident")
    page.fill("#id_name", "Checkout errors")
    page.fill("#id_body", "We are **investigating** failed checkouts.")
    page.select_option(f"#id_component_{api.pk}", "major_outage")
    page.select_option(f"#id_component_{web.pk}", "degraded_performance")
    page.wait_for_selector("[data-preview-target] >> text=investigating")
    # The "This will notify" line recounts for the chosen components (dashboard.js).
    expect(page.locator("p.reach")).not_to_contain_text("all components")
    page.screenshot(path=str(dash_artifacts / "dashboard-declare.png"), full_page=True)
    page.click("main button:text('Declare')")
    page.wait_for_selector("text=Incident “Checkout errors” declared.")

    public = page.context.new_page()
    public.goto(f"{site}/")
    assert "Checkout errors" in public.content()
    public.close()

    page.select_option("#id_status", "monitoring")
    page.fill("form[action$='/update/'] #id_body", "A fix is deployed; watching.")
    page.select_option(f"#id_component_{api.pk}", "degraded_performance")
    page.click("button:text('Post update')")
    page.wait_for_selector("text=Update posted.")

    page.fill("#resolve_body", "Checkouts work again.")
    page.click("button:text('Resolve')")
    page.wait_for_selector("text=component statuses restored")
    page.goto(f"{site}/dashboard/")
    assert _status_of(page, "API") == "Operational"
    assert _status_of(page, "Web") == "Operational"
    page.screenshot(path=str(dash_artifacts / "dashboard-resolved.png"), full_page=True)
    # The Content-Security-Policy would report blocked inline code here.
    assert [p for p in page.console_problems if "favicon" not in p and "404" not in p] == []


AXE_PAGES = [
    "/dashboard/",
    "/dashboard/incidents/new/",
    "/dashboard/maintenance/new/",
    "/dashboard/components/",
    "/dashboard/audit/",
    "/dashboard/settings/",
    "/dashboard/subscribers/",
    "/dashboard/subscribers/new/",
    "/dashboard/subscribers/import/",
    "/dashboard/deliveries/",
]


def test_dashboard_pages_have_no_serious_accessibility_violations(
    dash_site, dash_admin, dash_page, axe_source
):
    from datetime import timedelta

    from django.utils import timezone

    from incidents import services
    from incidents.models import Component

    page, site = dash_page, dash_site
    api = Component.objects.get(name="API")
    incident = services.incident_create(
        name="Slow", body="Looking", actor=services.SYSTEM, component_statuses={api: "major_outage"}
    )
    start = timezone.now() + timedelta(hours=1)
    window = services.maintenance_schedule(
        name="Upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=services.SYSTEM,
    )
    from notifications.models import SubscriberImport

    running = SubscriberImport.objects.create(total=10, processed=4, status="running")
    done = SubscriberImport.objects.create(
        total=2,
        processed=2,
        created=1,
        status="done",
        errors=[{"row": 2, "data": {"channel": "sms", "address": "12"}, "message": "Bad number."}],
    )
    details = [
        f"/dashboard/incidents/{incident.public_id}/",
        f"/dashboard/maintenance/{window.public_id}/",
        f"/dashboard/subscribers/import/{running.pk}/",
        f"/dashboard/subscribers/import/{done.pk}/",
    ]
    page.goto(f"{site}/dashboard/login/")
    found = {"/dashboard/login/": _axe_serious(page, axe_source)}
    _sign_in(page, site, dash_admin[1])
    for path in [*AXE_PAGES, *details]:
        page.goto(f"{site}{path}")
        found[path] = _axe_serious(page, axe_source)
    assert {path: ids for path, ids in found.items() if ids} == {}


def _axe_serious(page, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol: a <script> tag would be blocked by the CSP.
    page.evaluate(axe_source)
    result = json.loads(page.evaluate("async () => JSON.stringify(await axe.run())"))
    return [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
