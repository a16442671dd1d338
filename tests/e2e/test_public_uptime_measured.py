"""A component measured by monitors on the public front page, in a real browser: the note
under its bar ("Measured by monitors since ...") fits a 360 px phone and a desktop, light
and dark, axe finds nothing serious, and the bar the script redraws in the reader's zone
still shows the measured downtime. Screenshots: test-artifacts/public-uptime-measured-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from statuspage.monitors.models import Kind, Monitor, Resolution, Rollup
from statuspage.monitors.rollups import bucket_start
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR


@pytest.fixture
def measured_site(live_url):
    now = timezone.now()
    api = services.component_create(
        name="API", actor=OPERATOR, created_at=now - timedelta(days=100)
    )
    services.component_create(name="Website", actor=OPERATOR, created_at=now - timedelta(days=100))
    monitor = Monitor.objects.create(
        name="API health", component=api, kind=Kind.HTTP, url="https://api.example.com/health",
        interval_seconds=60,
    )  # fmt: skip
    # Three days ago, 45 failed 1-minute checks in one hour: 45 min down.
    Rollup.objects.create(
        monitor=monitor, resolution=Resolution.HOUR,
        start=bucket_start(now - timedelta(days=3), 3600), count=15, failed=45,
    )  # fmt: skip
    return live_url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_measured_note_fits_and_the_bar_keeps_the_minutes(
    browser, measured_site, axe_source, artifacts, scheme, width
):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=width < 600
    )
    page = context.new_page()
    try:
        assert page.goto(f"{measured_site}/").status == 200
        note = page.locator("p.measured")
        assert note.count() == 1
        assert note.inner_text().startswith("Measured by monitors since ")
        assert page.evaluate(OVERFLOWING) == []
        # The script redraws the days in the reader's zone from the moments: the measured
        # stretch is among them, so a day of the API's bar still shows 45 min.
        levels = page.eval_on_selector_all(
            ".uptime ol.bars", "bars => bars.map(b => b.querySelectorAll('li.l2, li.l3').length)"
        )
        assert levels[0] == 1 and sum(levels[1:]) == 0
        page.screenshot(
            path=str(artifacts / f"public-uptime-measured-{width}-{scheme}.png"), full_page=True
        )
        page.add_script_tag(content=axe_source)
        assert page.evaluate(AXE) == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_uptime_page_notes_the_measured_component(
    browser, measured_site, axe_source, artifacts, scheme, width
):
    """/uptime, the measured API chosen: the note sits under its figure, fits, passes axe,
    and a calendar day still shows the measured 45 min after the script redraws the months;
    the list of every component marks the API, and only it, as measured."""
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=width < 600
    )
    page = context.new_page()
    try:
        assert page.goto(f"{measured_site}/uptime").status == 200
        note = page.locator(".uptime-detail p.measured")
        assert note.count() == 1
        assert note.inner_text().startswith("Measured by monitors since ")
        figure = page.locator(".uptime-detail p.figure").bounding_box()
        box = note.bounding_box()
        assert figure is not None and box is not None
        assert box["y"] >= figure["y"] + figure["height"] - 1
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate(OVERFLOWING) == []
        assert page.locator("table.cal td.l2, table.cal td.l3").count() == 1
        # The list of all components marks the measured one under its name, beside its figure.
        rows = page.locator(".uptime-list .figures li")
        marked = rows.filter(has=page.locator("small.measured"))
        assert marked.count() == 1 and "API" in marked.inner_text()
        assert marked.locator("small.measured").inner_text() == "measured by monitors"
        name = marked.locator("a").bounding_box()
        mark = marked.locator("small.measured").bounding_box()
        figure = marked.locator("span").last.bounding_box()
        assert name is not None and mark is not None and figure is not None
        assert mark["y"] >= name["y"] + name["height"] - 1  # under the name
        assert mark["x"] + mark["width"] <= figure["x"]  # clear of the figure
        assert figure["x"] + figure["width"] <= width
        page.screenshot(
            path=str(artifacts / f"public-uptime-page-measured-{width}-{scheme}.png"),
            full_page=True,
        )
        page.add_script_tag(content=axe_source)
        assert page.evaluate(AXE) == []
        # The other component has no monitors: no note.
        with page.expect_navigation():
            page.get_by_role("link", name="Website").click()
        assert page.locator("p.measured").count() == 0
    finally:
        context.close()
