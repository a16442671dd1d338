"""The page switcher in a real browser, light and dark, phone and desktop: it fits the header
without sideways scrolling, axe-core finds no serious violation, and switching shows the
other page's components only (remembered across screens). Screenshots:
test-artifacts/dashboard-page-switcher-<width>-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 1280)


def _second_page():
    """A second page, its long name the worst case for a phone's header, with a component."""
    from incidents import services
    from incidents.models import Page

    shop = Page.objects.create(
        name="Shop and checkout (Europe)", slug="shop", time_zone="Europe/Berlin"
    )
    services.component_create(name="Checkout", actor=services.SYSTEM, page=shop)
    return shop


def _switcher_fits(page, width: int) -> None:
    box = page.locator("form.switcher").bounding_box()
    select = page.locator("#page-switch").bounding_box()
    button = page.locator("form.switcher button").bounding_box()
    assert box and select and button
    for part in (box, select, button):
        assert part["x"] >= 0 and part["x"] + part["width"] <= width + 0.5, (width, part)
    # What sticks out, named in the failure (tag, class, right edge, text).
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 8).map(e => e.tagName + "
        "'.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + "
        "e.textContent.trim().slice(0, 60))"
    )
    assert _overflow(page) <= 0, (width, wide)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_switcher_fits_the_header_and_switches(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    from statuspage.access.models import Membership

    user, device = dash_admin
    Membership.objects.filter(user=user).update(owner=True)
    _second_page()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert page.goto(f"{dash_site}/dashboard/").status == 200
            _switcher_fits(page, width)
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-page-switcher-{width}-{scheme}.png"),
                full_page=False,
            )
            assert _axe_serious(page, axe_source) == [], width
        # Switch to the second page: every screen is then that page's.
        page.select_option("#page-switch", label="Shop and checkout (Europe)")
        with page.expect_navigation(wait_until="load"):
            page.click("form.switcher button")
        assert "Shop and checkout (Europe)" in page.locator(".flash").inner_text()
        page.goto(f"{dash_site}/dashboard/components/")
        main = page.locator("main").inner_text()
        assert "Checkout" in main
        assert "API" not in main
        selected = page.locator("#page-switch option:checked").inner_text()
        assert selected == "Shop and checkout (Europe)"
        # The header on a phone, the longer name chosen (the overview: the components table
        # is wider than a phone by design, and scrolls).
        page.set_viewport_size({"width": 360, "height": 800})
        page.goto(f"{dash_site}/dashboard/", wait_until="load")
        _switcher_fits(page, 360)
        page.screenshot(
            path=str(dash_artifacts / f"dashboard-page-switcher-switched-360-{scheme}.png"),
            full_page=False,
        )
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
