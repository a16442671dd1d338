"""Every dashboard screen on a 360 px phone, light and dark: the URL names come from the
URLconf (a screen added later is swept without being listed), objects named in a URL are one
of each kind on the page. Each HTML answer must not scroll sideways, axe-core must find no
serious violation, and nothing may break the CSP or log to the console. Names that are not a
screen (a POST-only action, a download, the sign-in flow) are listed with their reason, so
the sweep cannot quietly skip what it should look at. Screenshots:
test-artifacts/every-screen/<name>-<scheme>.png."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTH = 360
# The sign-in flow (a signed-in session is sent on) and the sign-out.
AUTH = {
    "dashboard-login",
    "dashboard-logout",
    "dashboard-password-reset",
    "dashboard-password-reset-done",
    "dashboard-password-reset-confirm",
    "dashboard-password-reset-complete",
    "dashboard-2fa-setup",
    "dashboard-2fa-verify",
    "dashboard-2fa-recovery-codes",
}
# Answers that are not a screen of their own on GET.
NOT_SCREENS = {
    # POST-only actions: GET is a 405.
    "dashboard-component-status": 405,
    "dashboard-component-maintenance-end": 405,
    "dashboard-incident-reopen": 405,
    "dashboard-move": 405,
    "dashboard-page-switch": 405,
    "dashboard-readers-sign-out": 405,
    "dashboard-reader-feed-revoke": 405,
    "dashboard-subscriber-resend": 405,
    "dashboard-deliveries-replay": 405,
    "dashboard-monitor-token": 405,
    "dashboard-upstream-poll": 405,
    "dashboard-alert-route-move": 405,
    "dashboard-operator-role": 405,
    "dashboard-apikey-revoke": 405,
    "dashboard-maintenance-action": 405,
    "dashboard-preview": 405,
    "dashboard-incident-update": 405,
    "dashboard-incident-resolve": 405,
    "dashboard-incident-postmortem": 405,
    "dashboard-audience-delete": 405,
    "dashboard-template-delete": 405,
    "dashboard-monitor-delete": 405,
    "dashboard-upstream-delete": 405,
    "dashboard-alert-route-delete": 405,
    # Fragments and downloads, shown inside another screen or saved.
    "dashboard-status-preview": "fragment",
    "dashboard-postmortem-preview": "fragment",
    "dashboard-postmortem-preview-email": "fragment",
    "dashboard-page-preview-css": "text/css",
    "dashboard-reach": "application/json",
    "dashboard-subscriber-export": "text/csv",
    "dashboard-uptime-report-csv": "text/csv",
    # Shows a new key once, right after it is made; without one it sends you back.
    "dashboard-apikey-created": 302,
}


def _screens(objects: dict) -> list[tuple[str, str]]:
    from tests.dashboard_objects import url_kwargs

    dashboard = next(p for p in get_resolver().url_patterns if str(p.pattern) == "dashboard/")
    names = [p.name for p in dashboard.url_patterns if isinstance(p, URLPattern)]
    kwargs = url_kwargs(objects)
    screens = []
    for name in names:
        if name in AUTH or name in NOT_SCREENS:
            continue
        for each in kwargs.get(name, [{}]):
            screens.append((name, reverse(name, kwargs=each)))
    return screens


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_dashboard_screen_fits_a_phone_and_passes_axe(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    from incidents.models import Page
    from statuspage.access.models import Membership
    from tests.dashboard_objects import dashboard_objects

    user, device = dash_admin
    Membership.objects.filter(user=user).update(owner=True)  # owners also create pages
    objects = dashboard_objects(Page.objects.get(), "Sweep")
    folder = dash_artifacts / "every-screen"
    folder.mkdir(exist_ok=True)
    page = new_dash_page(
        dash_browser, viewport={"width": WIDTH, "height": 800}, color_scheme=scheme
    )
    problems: dict[str, object] = {}
    seen = 0
    try:
        _sign_in(page, dash_site, device)
        for name, path in _screens(objects):
            # Asked first with the session's cookies: a browser cannot navigate to every answer.
            probe = page.context.request.get(dash_site + path, max_redirects=0)
            kind = probe.headers.get("content-type", "")
            if probe.status != 200 or not kind.startswith("text/html"):
                problems[path] = (probe.status, kind)
                continue
            page.goto(dash_site + path)
            seen += 1
            page.screenshot(path=str(folder / f"{name}-{scheme}.png"), full_page=True)
            if (overflow := _overflow(page)) > 0:
                problems[path] = f"scrolls sideways by {overflow} px"
            elif serious := _axe_serious(page, axe_source):
                problems[path] = serious
        assert problems == {}, "\n".join(f"{path}: {what}" for path, what in problems.items())
        assert seen >= 45  # the screens of today; fewer means the sweep lost some
        assert console_problems(page) == []
        assert page.csp_violations == []
    finally:
        page.close()
