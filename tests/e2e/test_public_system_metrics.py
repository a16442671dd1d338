"""/system-metrics in a real browser: a monitor's response time and a custom metric charted
at 360 px and on a desktop, light and dark; nothing wider than the screen; the chart's table
opens; axe finds nothing serious; screenshots in test-artifacts/metrics/."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from statuspage.monitors.custom_metrics import metric_data_add, metric_save
from statuspage.monitors.rollups import rollup_add
from statuspage.monitors.services import monitor_save
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR


@pytest.fixture
def charted(live_url):
    api = services.component_create(name="Public API (eu-central, primary)", actor=OPERATOR)
    monitor = monitor_save(
        actor=OPERATOR,
        monitor=None,
        data={"name": "Health endpoint", "kind": "tcp", "host": "192.0.2.1", "port": 443,
              "component_id": api.public_id},
    )  # fmt: skip
    now = timezone.now()
    points = []
    for minute in range(0, 24 * 60, 2):
        at = now - timedelta(minutes=minute)
        # A daily wave, one slow hour, and a quarter hour of failures.
        value = 120 + 40 * math.sin(minute / 90) + (300 if 600 <= minute < 660 else 0)
        points.append((at, None if 200 <= minute < 215 else value))
    rollup_add(monitor_id=monitor.pk, points=points)
    metric = metric_save(
        actor=OPERATOR,
        metric=None,
        data={"name": "Jobs waiting", "suffix": "jobs", "component_id": api.public_id,
              "tooltip_description": "Jobs in the queue"},
    )  # fmt: skip
    metric_data_add(
        points_by_metric={metric: [(now - timedelta(hours=h), float(h % 7)) for h in range(24)]}
    )
    return live_url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_charts_fit_read_and_pass_axe(browser, charted, axe_source, artifacts, scheme, width):
    folder = artifacts / "metrics"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, is_mobile=width < 600
    )
    page = context.new_page()
    page.goto(charted + "/")
    page.get_by_role("link", name="System metrics").click()
    page.wait_for_url("**/system-metrics")
    charts = page.get_by_role("img")
    assert charts.count() == 2
    first = charts.first
    # Its accessible name is its title: component and monitor.
    title_id = first.get_attribute("aria-labelledby").split()[0]
    assert "Health endpoint" in page.locator(f"#{title_id}").text_content()
    box = first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert page.locator("svg.chart polyline").count() >= 2
    assert page.evaluate(OVERFLOWING) == []
    page.locator("section.metric details summary").first.click()
    assert page.locator("table.numbers").first.is_visible()
    assert page.evaluate(OVERFLOWING) == []
    page.add_script_tag(content=axe_source)
    found = page.evaluate(AXE)
    page.screenshot(path=str(folder / f"day-{width}-{scheme}.png"), full_page=True)
    page.get_by_role("link", name="Week").click()
    page.wait_for_url("**/system-metrics/week")
    assert page.locator("a[aria-current=page]").inner_text() == "Week"
    assert page.evaluate(OVERFLOWING) == []
    page.screenshot(path=str(folder / f"week-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert found == []


TICK_ENDS = """() => {
  const box = document.querySelector("svg.chart").getBoundingClientRect();
  const axis = document.querySelector(".x-ticks");
  const ticks = [...axis.querySelectorAll("span")].map(t => t.getBoundingClientRect());
  const area = axis.getBoundingClientRect();
  const pad = parseFloat(getComputedStyle(axis).paddingLeft);
  const padEnd = parseFloat(getComputedStyle(axis).paddingRight);
  return {first: ticks[0].left, last: ticks[ticks.length - 1].left,
          axis_left: area.left + pad, axis_right: area.right - padEnd,
          plot_left: box.left, plot_right: box.right};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_charts_in_arabic_are_mirrored_but_run_left_to_right(
    browser, charted, axe_source, artifacts, scheme, width
):
    """/ar/system-metrics: reached from the Arabic front page, right to left, nothing wider than
    the screen, the time axis still oldest at the left, the week link keeps the language."""
    folder = artifacts / "metrics"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, is_mobile=width < 600
    )
    page = context.new_page()
    page.goto(charted + "/ar/")
    with page.expect_navigation():
        page.locator("p.more a[href$='/ar/system-metrics']").click()
    assert page.url.endswith("/ar/system-metrics")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("img").count() == 2
    # Time runs left to right on the chart, on a right-to-left page too: the axis's labels
    # (oldest first in the markup) read from the left, under the plot, not under the figures.
    ends = page.evaluate(TICK_ENDS)
    assert ends["first"] < ends["last"], ends
    assert abs(ends["axis_left"] - ends["plot_left"]) <= 2, ends
    assert abs(ends["axis_right"] - ends["plot_right"]) <= 2, ends
    assert page.evaluate(OVERFLOWING) == []
    page.add_script_tag(content=axe_source)
    found = page.evaluate(AXE)
    page.screenshot(path=str(folder / f"day-ar-{width}-{scheme}.png"), full_page=True)
    with page.expect_navigation():
        page.locator("a[href$='/ar/system-metrics/week']").click()
    assert page.url.endswith("/ar/system-metrics/week")
    assert page.evaluate(OVERFLOWING) == []
    context.close()
    assert found == []
