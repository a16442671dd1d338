"""Moving a subscriber between audiences, in a real browser, light and dark, phone and
desktop: the subscriber list shows each one's audience and an "Audience" action, the move
form is reached from it and sends the subscriber to the chosen audience; nothing scrolls
sideways at 360 px and axe-core finds no serious violation. Screenshots:
test-artifacts/dashboard-subscriber-audience-{list,form}-<width>-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 1280)


def _audiences():
    from django.utils import timezone

    from incidents import services
    from incidents.models import Component, Page
    from notifications.models import Subscriber

    page = Page.objects.get()
    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    alpha = services.audience_save(
        actor=services.SYSTEM, page=page, name="Alpha customers", slug="alpha", components=[api]
    )
    bravo = services.audience_save(
        actor=services.SYSTEM, page=page, name="Bravo partners", slug="bravo", components=[web]
    )
    sub = Subscriber.objects.create(
        page=page,
        channel="email",
        address="someone.with.a.long.address@enterprise-customer.example",
        state="active",
        confirmed_at=timezone.now(),
        audience=alpha,
    )
    return sub, bravo


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_admin_moves_a_subscriber_to_another_audience(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    sub, bravo = _audiences()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            sub.refresh_from_db()
            page.set_viewport_size({"width": width, "height": 800})
            assert page.goto(f"{dash_site}/dashboard/subscribers/").status == 200
            row = page.locator(f'table.subscribers tr[data-id="{sub.public_id}"]')
            assert sub.audience.name in row.inner_text()
            assert _overflow(page) <= 0, f"list at {width}"
            page.screenshot(
                path=str(
                    dash_artifacts / f"dashboard-subscriber-audience-list-{width}-{scheme}.png"
                ),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], f"list at {width}"
            row.get_by_role("link", name=f"Audience of {sub.address}").click()
            page.wait_for_url(f"**/subscribers/{sub.public_id}/audience/")
            select = page.get_by_label("Audience")
            target = "Bravo partners" if width == WIDTHS[0] else "Alpha customers"
            select.select_option(label=target)
            assert _overflow(page) <= 0, f"form at {width}"
            box = select.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            page.screenshot(
                path=str(
                    dash_artifacts / f"dashboard-subscriber-audience-form-{width}-{scheme}.png"
                ),
                full_page=True,
            )
            assert _axe_serious(page, axe_source) == [], f"form at {width}"
            page.get_by_role("button", name="Move").click()
            page.wait_for_url("**/dashboard/subscribers/")
            assert "moved to " + target in page.locator("body").inner_text()
            sub.refresh_from_db()
            assert sub.audience.name == target
        assert console_problems(page) == []
    finally:
        page.close()
