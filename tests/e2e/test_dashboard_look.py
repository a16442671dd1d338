"""The incident pages and the audit log in a real browser, light and dark, phone and desktop:
the dark palette is really applied, nothing scrolls sideways at 360 or 390 px, axe-core finds no
serious violation, a timeline reads as text (Markdown rendered, statuses as words, no-op changes
left out), the audit log's dates stay on one line and colour the worse status red whichever
side it is on. Screenshots:
test-artifacts/dashboard-{overview,incident,resolved,audit}-<width>-<scheme>.png.
"""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 390, 1280)
# The palettes' page backgrounds (dashboard.css, --bg).
BACKGROUND = {"light": "rgb(246, 247, 249)", "dark": "rgb(16, 19, 23)"}


def _history():
    from incidents import services
    from incidents.models import Component

    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    live = services.incident_create(
        name="Sign-in errors",
        body="We are **investigating** errors.\n\n- Sign-in may fail\n- Retrying helps",
        actor=services.SYSTEM,
        component_statuses={api: "major_outage", web: "degraded_performance"},
    )
    services.incident_update_post(
        incident=live,
        status="identified",
        body="A bad deploy; rolling back.",
        actor=services.SYSTEM,
        component_statuses={api: "major_outage", web: "partial_outage"},
    )
    old = services.incident_create(name="Slow pages", body="Looking.", actor=services.SYSTEM)
    services.incident_resolve(incident=old, body="Fixed.", actor=services.SYSTEM)
    services.postmortem_save_draft(
        incident=old, body="## What happened\nA cache node **failed**.", actor=services.SYSTEM
    )
    services.component_status_set(component=web, status="major_outage", actor=services.SYSTEM)
    return live, old


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_incident_pages_and_audit_log_read_well_in_both_schemes(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    live, old = _history()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    pages = {
        "overview": "/dashboard/",
        "incident": f"/dashboard/incidents/{live.public_id}/",
        "resolved": f"/dashboard/incidents/{old.public_id}/",
        "audit": "/dashboard/audit/",
    }
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in pages.items():
                assert page.goto(f"{dash_site}{path}").status == 200, path
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == BACKGROUND[scheme]
                wide = page.evaluate(
                    "[...document.querySelectorAll('main *')].filter(e => "
                    "e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 5)"
                    ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"
                )
                assert _overflow(page) <= 0, f"{name} at {width}: {wide}"
                page.screenshot(
                    path=str(dash_artifacts / f"dashboard-{name}-{width}-{scheme}.png"),
                    full_page=True,
                )
                assert _axe_serious(page, axe_source) == [], f"{name} at {width}"
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{dash_site}{pages['incident']}")
        first = page.locator("article.update").first
        assert first.locator(".changes li").all_inner_texts() == [
            "Web: Degraded performance → Partial outage"
        ]
        last = page.locator("article.update").last
        assert last.locator(".md li").all_inner_texts() == ["Sign-in may fail", "Retrying helps"]
        assert last.locator(".md strong").inner_text() == "investigating"
        page.goto(f"{dash_site}{pages['audit']}")
        when = page.locator("td.when").first
        line = float(when.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert when.bounding_box()["height"] <= 2 * line + 12  # one line plus the cell's padding
        change = page.locator("td.diff div", has_text="status: operational").first
        before, after = change.locator("span").all()
        assert (before.inner_text(), after.inner_text()) == ("operational", "major_outage")
        red = page.evaluate("getComputedStyle(document.body).getPropertyValue('--err-fg')").strip()
        assert after.evaluate("e => getComputedStyle(e).color") == _rgb(red)
        assert before.evaluate("e => getComputedStyle(e).color") != _rgb(red)
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


def test_the_declare_form_previews_the_banner_as_choices_change(dash_site, dash_admin, dash_page):
    from playwright.sync_api import expect

    from incidents.models import Component

    page = dash_page
    _sign_in(page, dash_site, dash_admin[1])
    page.goto(f"{dash_site}/dashboard/incidents/new/")
    line = page.locator("p.banner-preview")
    expect(line).to_contain_text("All Systems Operational")
    api = Component.objects.get(name="API")
    page.select_option(f"#id_component_{api.pk}", "degraded_performance")
    expect(line).to_contain_text("Partially Degraded Service")
    expect(line).to_contain_text("API: Degraded performance")
    page.select_option("#id_impact_override", "critical")
    expect(line).to_contain_text("Major System Outage")
    assert page.csp_violations == [] and console_problems(page) == []
