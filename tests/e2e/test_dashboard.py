"""The on-call flow in a real browser: sign in with 2FA, declare an incident affecting two
components, see it on the public page and in the summary JSON, post an update, resolve, see the
statuses restored. Also: the API key screens under the strict CSP, and axe-core on every kind of
dashboard page. No page visited may log a console error or a CSP violation."""

from __future__ import annotations

import json
import time

import pytest
from django_otp.oath import totp

# The fixtures live beside this file, not in tests/e2e/conftest.py (another suite's).
from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import OPERATOR_PASSWORD, console_problems, new_dash_page


def _sign_in(page, site, device, *, username="e2e-admin", on_verify=None):
    page.goto(f"{site}/dashboard/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", OPERATOR_PASSWORD)
    page.click("main button[type=submit]")
    if device is None:
        page.wait_for_url(f"{site}/dashboard/")
        return
    page.wait_for_url("**/dashboard/2fa/verify/**")
    if on_verify is not None:
        on_verify(page)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.fill("#id_token", f"{code:06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/dashboard/")


def _status_of(page, name: str) -> str:
    row = page.locator("table.board tr", has=page.locator(f"th:text-is('{name}')"))
    return row.locator(".status").inner_text()


# The origin serves a change within a second (the generation is memoised for half a second per
# process), so reads after a change wait for it, a few seconds at most, then assert on what
# they got.
PROPAGATION_SECONDS = 5


def _eventually(read, done):
    value = read()
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


def _public_statuses(public, site, *components, expect: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses the public page shows for these components (their st-<status> class),
    once they are `expect` or the wait is over. Reloaded as a visitor would: the browser may
    keep the page for its max-age."""

    def read():
        if public.url.rstrip("/") == site:
            public.reload()
        else:
            public.goto(f"{site}/")
        out = []
        for component in components:
            locator = public.locator(f"#c-{component.public_id} .status-text")
            classes = locator.get_attribute("class").split()
            out.append(next(c[3:] for c in classes if c.startswith("st-")))
        return tuple(out)

    return _eventually(read, lambda seen: seen == expect)


def _summary(page, site, done) -> dict:
    """/api/v2/summary.json, once `done(summary)` holds or the wait is over."""

    def read():
        response = page.context.request.get(f"{site}/api/v2/summary.json")
        assert response.ok
        return response.json()

    return _eventually(read, done)


def _summary_statuses(summary) -> dict[str, str]:
    return {c["name"]: c["status"] for c in summary["components"] if not c.get("group")}


def _no_problems(page) -> None:
    assert page.csp_violations == []
    assert console_problems(page) == []


def test_declare_update_resolve_in_the_browser(dash_site, dash_admin, dash_page, dash_artifacts):
    from playwright.sync_api import expect

    from incidents.models import Component, Incident

    page, site = dash_page, dash_site
    _, device = dash_admin
    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    _sign_in(page, site, device)

    page.click("text=Declare an incident")
    page.fill("#id_name", "Checkout errors")
    page.fill("#id_body", "We are **investigating** failed checkouts.")
    page.select_option(f"#id_component_{api.pk}", "major_outage")
    page.select_option(f"#id_component_{web.pk}", "degraded_performance")
    # The typed text, not the status's default message the form began with (which also says
    # "investigating"): the screenshot shows the preview of what is sent.
    page.wait_for_selector("[data-preview-target] strong:text('investigating')")
    expect(page.locator("[data-preview-target]")).to_contain_text("failed checkouts")
    # The "This will notify" line recounts for the chosen components (dashboard.js).
    expect(page.locator("p.reach")).not_to_contain_text("all components")
    page.screenshot(path=str(dash_artifacts / "dashboard-declare.png"), full_page=True)
    page.click("main button:text('Declare')")
    page.wait_for_selector("text=Incident “Checkout errors” declared.")
    incident = Incident.objects.get(name="Checkout errors")

    summary = _summary(page, site, lambda s: s["incidents"])
    [listed] = summary["incidents"]
    assert (listed["id"], listed["name"], listed["status"]) == (
        incident.public_id,
        "Checkout errors",
        "investigating",
    )
    assert {c["name"] for c in listed["components"]} == {"API", "Web"}
    assert _summary_statuses(summary) == {"API": "major_outage", "Web": "degraded_performance"}

    public = page.context.new_page()
    expected = ("major_outage", "degraded_performance")
    assert _public_statuses(public, site, api, web, expect=expected) == expected
    assert "Checkout errors" in public.locator("section[aria-labelledby=h-active]").inner_text()

    page.select_option("#id_status", "monitoring")
    page.fill("form[action$='/update/'] #id_body", "A fix is deployed; watching.")
    page.select_option(f"#id_component_{api.pk}", "partial_outage")
    page.select_option(f"#id_component_{web.pk}", "operational")
    page.click("button:text('Post update')")
    page.wait_for_selector("text=Update posted.")

    summary = _summary(page, site, lambda s: s["incidents"][0]["status"] == "monitoring")
    [listed] = summary["incidents"]
    assert listed["status"] == "monitoring"
    assert listed["incident_updates"][0]["body"] == "A fix is deployed; watching."
    assert _summary_statuses(summary) == {"API": "partial_outage", "Web": "operational"}
    expected = ("partial_outage", "operational")
    assert _public_statuses(public, site, api, web, expect=expected) == expected
    assert "A fix is deployed; watching." in public.content()

    page.fill("#resolve_body", "Checkouts work again.")
    page.click("button:text('Resolve')")
    page.wait_for_selector("text=component statuses restored")
    summary = _summary(page, site, lambda s: not s["incidents"])
    assert summary["incidents"] == []
    assert _summary_statuses(summary) == {"API": "operational", "Web": "operational"}
    assert summary["status"]["indicator"] == "none"
    expected = ("operational", "operational")
    assert _public_statuses(public, site, api, web, expect=expected) == expected
    assert public.locator("#h-active").count() == 0  # no active incident any more
    public.close()

    page.goto(f"{site}/dashboard/")
    assert _status_of(page, "API") == "Operational"
    assert _status_of(page, "Web") == "Operational"
    page.screenshot(path=str(dash_artifacts / "dashboard-resolved.png"), full_page=True)
    _no_problems(page)


def test_choices_made_before_the_script_ran_are_counted(dash_site, dash_admin, dash_page):
    """Components chosen while dashboard.js is still loading (a fast hand on a slow link, or the
    browser restoring the form on "back") fire no change event the script hears; once it runs,
    the "This will notify" line must count them and the banner preview follow them. A form
    left as served asks the server nothing."""
    from playwright.sync_api import expect

    from incidents import services
    from incidents.models import Component

    page, site = dash_page, dash_site
    _sign_in(page, site, dash_admin[1])
    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    # An incident's page comes with its components' statuses chosen: as served, nothing to ask.
    open_one = services.incident_create(
        name="Slow", body="Looking", actor=services.SYSTEM, component_statuses={api: "major_outage"}
    )
    asked = []
    page.on(
        "request",
        lambda r: (
            asked.append(r.url)
            if "/dashboard/reach/" in r.url or "/preview/status/" in r.url
            else None
        ),
    )
    for path in ("incidents/new/", f"incidents/{open_one.public_id}/"):
        page.goto(f"{site}/dashboard/{path}")
        page.wait_for_load_state("networkidle")
    assert page.locator(f"#id_component_{api.pk}").input_value() == "major_outage"
    assert asked == []

    held = []
    hold = lambda route: held.append(route)  # noqa: E731 (Playwright tags the handler)
    page.route("**/dashboard/dashboard.js*", hold)
    page.goto(f"{site}/dashboard/incidents/new/", wait_until="commit")
    page.wait_for_selector(f"#id_component_{web.pk}", state="attached")
    page.select_option(f"#id_component_{web.pk}", "degraded_performance")
    assert held, "the script was requested while the form was being filled"
    expect(page.locator("p.reach")).to_contain_text("all components")  # the server's figure
    expect(page.locator("p.banner-preview")).to_contain_text("no component changes")
    for route in held:
        route.continue_()
    expect(page.locator("p.reach")).not_to_contain_text("all components")
    expect(page.locator("p.banner-preview")).to_contain_text("Web: Degraded performance")
    _no_problems(page)


def test_api_key_screens_work_under_the_csp(dash_site, dash_admin, dash_page, dash_artifacts):
    """The revoke confirmation and the select-on-click of a new key run from dashboard.js: the
    CSP would block them as inline handlers."""
    from statuspage.access.models import ApiKey

    page, site = dash_page, dash_site
    _sign_in(page, site, dash_admin[1])
    page.goto(f"{site}/dashboard/api-keys/")
    page.fill("#id_name", "CI deploys")
    page.check("input[name=scopes][value='incidents:write']")
    page.click("main button:text('Create')")
    page.wait_for_url("**/dashboard/api-keys/created/")
    field = page.locator("input[data-select-on-focus]")
    raw = field.input_value()
    assert len(raw) == 40
    field.click()
    selected = page.evaluate(
        "() => { const i = document.querySelector('input[data-select-on-focus]');"
        " return [i.selectionStart, i.selectionEnd]; }"
    )
    assert selected == [0, 40]
    page.screenshot(path=str(dash_artifacts / "dashboard-api-key-created.png"), full_page=True)

    page.click("text=Back to API keys")
    questions = []

    def answer(accept):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.click("main button:text('Revoke')")
    page.wait_for_load_state()
    assert questions == ["Revoke this key? Anything using it stops working."]
    assert ApiKey.objects.get().revoked_at is None  # dismissed: nothing was sent

    page.once("dialog", answer(True))
    page.click("main button:text('Revoke')")
    page.wait_for_selector("text=revoked; it no longer works")
    assert ApiKey.objects.get().revoked_at is not None
    assert len(questions) == 2
    _no_problems(page)


AXE_PAGES = [
    "/dashboard/",
    "/dashboard/incidents/",
    "/dashboard/incidents/new/",
    "/dashboard/maintenance/",
    "/dashboard/maintenance/new/",
    "/dashboard/templates/",
    "/dashboard/templates/new/",
    "/dashboard/components/",
    "/dashboard/components/new/",
    "/dashboard/groups/new/",
    "/dashboard/audit/",
    "/dashboard/settings/",
    "/dashboard/operators/",
    "/dashboard/api-keys/",
    "/dashboard/automation/",
    "/dashboard/automation/routes/new/",
    "/dashboard/subscribers/",
    "/dashboard/subscribers/new/",
    "/dashboard/subscribers/import/",
    "/dashboard/deliveries/",
    "/dashboard/2fa/setup/",  # with a device: its status and recovery codes
]
# Before signing in (the verify page is checked during sign-in, the setup page with a QR code
# as an operator without a device).
AXE_PAGES_SIGNED_OUT = [
    "/dashboard/login/",
    "/dashboard/password-reset/",
    "/dashboard/password-reset/sent/",
    "/dashboard/password-reset/complete/",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_pages_have_no_serious_accessibility_violations(
    scheme, dash_site, dash_admin, dash_browser, axe_source
):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils import timezone
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from incidents import services
    from incidents.models import Component
    from notifications.models import SubscriberImport
    from statuspage.access.models import Membership, Role

    page, site = new_dash_page(dash_browser, color_scheme=scheme), dash_site
    user, device = dash_admin
    api = Component.objects.get(name="API")
    incident = services.incident_create(
        name="Slow", body="Looking", actor=services.SYSTEM, component_statuses={api: "major_outage"}
    )
    resolved = services.incident_create(name="Old", body="Looking", actor=services.SYSTEM)
    services.incident_resolve(incident=resolved, body="Fixed.", actor=services.SYSTEM)
    start = timezone.now() + timedelta(hours=1)
    window = services.maintenance_schedule(
        name="Upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=services.SYSTEM,
    )
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
        f"/dashboard/incidents/{resolved.public_id}/",  # the postmortem form
        f"/dashboard/maintenance/{window.public_id}/",
        f"/dashboard/subscribers/import/{running.pk}/",
        f"/dashboard/subscribers/import/{done.pk}/",
    ]
    found = {}
    reset = (
        f"/dashboard/password-reset/{urlsafe_base64_encode(force_bytes(user.pk))}/"
        f"{default_token_generator.make_token(user)}/"
    )
    for path in [*AXE_PAGES_SIGNED_OUT, reset]:
        assert page.goto(f"{site}{path}").status == 200, path
        found[path] = _axe_serious(page, axe_source)
    assert page.locator("#id_new_password1").count() == 1  # the reset link's form was checked

    def check_verify(verify_page):
        found["/dashboard/2fa/verify/"] = _axe_serious(verify_page, axe_source)

    _sign_in(page, site, device, on_verify=check_verify)
    for path in [*AXE_PAGES, *details]:
        assert page.goto(f"{site}{path}").status == 200, path
        found[path] = _axe_serious(page, axe_source)
    _no_problems(page)

    newcomer = get_user_model().objects.create_user("e2e-newcomer", password=OPERATOR_PASSWORD)
    Membership.objects.create(user=newcomer, role=Role.VIEWER)
    second = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(second, site, None, username="e2e-newcomer")
        second.goto(f"{site}/dashboard/2fa/setup/")
        assert second.locator("main svg").count() == 1  # the QR code
        found["/dashboard/2fa/setup/ (new device)"] = _axe_serious(second, axe_source)
        _no_problems(second)
    finally:
        second.context.close()
    page.context.close()
    assert len(found) == len(AXE_PAGES_SIGNED_OUT) + 1 + 1 + len(AXE_PAGES) + len(details) + 1
    assert {path: ids for path, ids in found.items() if ids} == {}


def _axe_serious(page, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol: a <script> tag would be blocked by the CSP.
    page.evaluate(axe_source)
    result = json.loads(page.evaluate("async () => JSON.stringify(await axe.run())"))
    return [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
