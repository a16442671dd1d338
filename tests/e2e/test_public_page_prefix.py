"""A page served under its /p/<slug>/ prefix, in a real browser at 360 px, light and dark: its
links keep the prefix (a reader never falls through to the default page), nothing overflows,
axe-core finds no serious or critical violation. Screenshots: test-artifacts/prefix/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Page
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR, status_site

__all__ = ["status_site"]


@pytest.fixture
def second_page(status_site):
    cee = Page.objects.create(name="Cee", slug="cee", time_zone="Europe/Berlin")
    queue = services.component_create(name="Cee queue", actor=OPERATOR, page=cee)
    services.incident_create(
        name="Cee queue delays",
        body="Jobs wait longer than usual.",
        actor=OPERATOR,
        component_statuses={queue: "degraded_performance"},
        at=timezone.now() - timedelta(hours=1),
    )
    return cee


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_prefixed_page_keeps_its_prefix_fits_and_passes_axe(
    browser, live_url, second_page, axe_source, artifacts, scheme
):
    folder = artifacts / "prefix"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, color_scheme=scheme, is_mobile=True
    )
    page = context.new_page()
    assert page.goto(f"{live_url}/p/cee/").status == 200
    assert page.locator("h1").inner_text().strip() == "Cee"
    body = page.locator("body").inner_text()
    assert "Cee queue delays" in body and "Elevated API errors" not in body
    page.screenshot(path=str(folder / f"index-360-{scheme}.png"), full_page=True)
    assert page.evaluate(OVERFLOWING) == []
    page.add_script_tag(content=axe_source)
    assert page.evaluate(AXE) == []
    # The header's History link, then the incident's permalink: still page Cee.
    page.locator("header a", has_text="History").first.click()
    page.wait_for_url(f"{live_url}/p/cee/history")
    assert "Cee queue delays" in page.locator("main").inner_text()
    page.locator("main a", has_text="Cee queue delays").first.click()
    page.wait_for_url(f"{live_url}/p/cee/incidents/*")
    page.screenshot(path=str(folder / f"incident-360-{scheme}.png"), full_page=True)
    assert page.evaluate(OVERFLOWING) == []
    page.add_script_tag(content=axe_source)
    assert page.evaluate(AXE) == []
    context.close()
