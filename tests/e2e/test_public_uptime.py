"""Uptime bars and calendars in a real browser, by geometry: the day tooltip (role=tooltip,
named by the day's aria-describedby) sits within 8 px of the hovered, focused or tapped day,
is fully opaque and covers no other text; it lists each outage type with its duration and
links to the day's incidents. The legend, "no data" and future days, one figure format, the
/uptime picker on a phone; axe light and dark; screenshots at 390 and 1280 px (light, dark).

The page zone is Europe/Berlin (tests/e2e/conftest.py); readers come from elsewhere."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from incidents import services
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR

FIGURE = re.compile(r"^\d{1,3}\.\d{2}% uptime, last 90 days$")

# The tooltip's box, the day's box, and every piece of visible text outside the tooltip whose
# box meets the tooltip's (text node boxes, not element boxes: a container is not its text).
GEOMETRY = """(cell) => {
  const tip = document.getElementById(cell.getAttribute("aria-describedby"));
  const t = tip.getBoundingClientRect(), c = cell.getBoundingClientRect();
  const gap = Math.max(0, c.top - t.bottom, t.top - c.bottom, c.left - t.right, t.left - c.right);
  const covered = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || tip.contains(node)) continue;
    const parent = node.parentElement, own = parent.getBoundingClientRect();
    // Not drawn: closed disclosures, hidden elements, visually hidden (1 px, clipped) text.
    const drawn = parent.checkVisibility({visibilityProperty: true});
    if (!drawn || own.width <= 1 || own.height <= 1) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      const meets = r.left < t.right - 0.5 && r.right > t.left + 0.5
        && r.top < t.bottom - 0.5 && r.bottom > t.top + 0.5;
      if (meets) {
        covered.push(node.textContent.trim().slice(0, 30));
      }
    }
  }
  let opacity = 1;
  for (let el = tip; el; el = el.parentElement) opacity *= +getComputedStyle(el).opacity;
  return {role: tip.getAttribute("role"), hidden: tip.hidden, gap, covered, opacity,
    background: getComputedStyle(tip).backgroundColor,
    overlapsX: t.left < c.right && t.right > c.left,
    insideViewport: t.left >= 0 && t.right <= document.documentElement.clientWidth};
}"""


@pytest.fixture
def uptime_site(live_url):
    """Core (API, Database) and Website, tracked for 100 days. Four days ago the API had a
    partial outage of 1 h 55 min (incident "Elevated API errors"); two days ago the Website
    a major outage of 40 min and a degraded hour, without an incident."""
    now = timezone.now()
    start = now - timedelta(days=100)
    core = services.component_group_create(name="Core", actor=OPERATOR)
    api = services.component_create(
        name="API", group=core, actor=OPERATOR, created_at=start,
        description="The public REST API and its platform",
    )  # fmt: skip
    db = services.component_create(name="Database", group=core, actor=OPERATOR, created_at=start)
    web = services.component_create(name="Website", actor=OPERATOR, created_at=start)
    services.component_create(
        name="Search", actor=OPERATOR, created_at=now - timedelta(days=20)
    )  # days before it existed have no data
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    outage = services.incident_create(
        name="Elevated API errors", body="Investigating.", actor=OPERATOR,
        component_statuses={api: "partial_outage"}, at=noon - timedelta(days=4),
    )  # fmt: skip
    services.incident_resolve(
        incident=outage, body="Fixed.", actor=OPERATOR,
        at=noon - timedelta(days=4) + timedelta(hours=1, minutes=55),
    )  # fmt: skip
    for status, hours in (("major_outage", 0), ("degraded_performance", 40 / 60)):
        services.component_status_set(
            component=web, status=status, actor=OPERATOR,
            at=noon - timedelta(days=2) + timedelta(hours=hours),
        )  # fmt: skip
    services.component_status_set(
        component=web, status="operational", actor=OPERATOR,
        at=noon - timedelta(days=2) + timedelta(hours=40 / 60 + 1),
    )  # fmt: skip
    return {"api": api, "db": db, "web": web, "incident": outage}


def _open(browser, live_url, path="/", **options):
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(live_url + path)
    return context, page


def _bar_cell(page, component, days_ago):
    return page.locator(f"#c-{component.public_id} ol.bars > li").nth(89 - days_ago)


def _check_tooltip(page, cell):
    geometry = cell.evaluate(GEOMETRY)
    assert geometry["role"] == "tooltip" and not geometry["hidden"]
    assert geometry["gap"] <= 8, geometry
    assert geometry["overlapsX"] and geometry["insideViewport"], geometry
    assert geometry["covered"] == [], geometry
    assert geometry["opacity"] == 1
    assert not geometry["background"].startswith("rgba"), geometry["background"]
    return page.locator("#day-tip")


@pytest.mark.parametrize("width", [1280, 390])
def test_hovered_day_shows_its_outage_and_incident_beside_it(browser, live_url, uptime_site, width):
    context, page = _open(
        browser, live_url, viewport={"width": width, "height": 900}, is_mobile=width < 600
    )
    cell = _bar_cell(page, uptime_site["api"], 4)
    cell.hover()
    tip = _check_tooltip(page, cell)
    text = tip.inner_text()
    assert "Partial outage 1 h 55 min" in text
    link = tip.get_by_role("link", name="Elevated API errors")
    assert link.get_attribute("href") == f"/incidents/{uptime_site['incident'].public_id}"
    # The pointer can travel into the tooltip and follow the link.
    link.hover()
    assert page.locator("#day-tip").is_visible()
    link.click()
    page.wait_for_url(f"**/incidents/{uptime_site['incident'].public_id}")
    page.go_back()

    web = _bar_cell(page, uptime_site["web"], 2)
    web.hover()
    text = _check_tooltip(page, web).inner_text()
    assert "Major outage 40 min" in text and "Degraded performance 1 h" in text
    assert "Incident" not in text
    # Moving to another day moves the tooltip; the first day no longer points at it.
    _bar_cell(page, uptime_site["web"], 0).hover()
    assert web.get_attribute("aria-describedby") is None
    _check_tooltip(page, _bar_cell(page, uptime_site["web"], 0))
    context.close()


def test_keyboard_reaches_each_day_and_the_tooltips_links(browser, live_url, uptime_site):
    context, page = _open(browser, live_url)
    bar = page.locator(f"#c-{uptime_site['api'].public_id} ol.bars")
    assert bar.locator("li[tabindex='0']").count() == 1  # one tab stop per bar: today
    today = _bar_cell(page, uptime_site["api"], 0)
    today.focus()
    assert "No downtime" in _check_tooltip(page, today).inner_text()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    cell = _bar_cell(page, uptime_site["api"], 4)
    assert cell.evaluate("el => el === document.activeElement")
    assert "Elevated API errors" in _check_tooltip(page, cell).inner_text()
    page.keyboard.press("Tab")  # into the tooltip's link, which keeps it open
    assert page.evaluate("document.activeElement.closest('[role=tooltip]') !== null")
    assert page.locator("#day-tip").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#day-tip").is_hidden()
    assert cell.evaluate("el => el === document.activeElement")  # focus returns to the day
    context.close()


def test_a_tap_shows_the_day_on_a_touch_screen(browser, live_url, uptime_site, artifacts):
    context, page = _open(
        browser, live_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    cell = _bar_cell(page, uptime_site["api"], 4)
    cell.tap()
    assert "Partial outage 1 h 55 min" in _check_tooltip(page, cell).inner_text()
    page.locator("#h-components").tap()  # elsewhere: it goes
    assert page.locator("#day-tip").is_hidden()
    context.close()


def test_info_note_reads_as_a_line_not_a_column(browser, live_url, uptime_site):
    context, page = _open(browser, live_url, viewport={"width": 390, "height": 844})
    info = page.locator(f"#c-{uptime_site['api'].public_id} .info")
    info.focus()
    box = info.evaluate("""el => {
      const s = getComputedStyle(el, "::after");
      const px = (v) => parseFloat(v);
      return {width: px(s.width), height: px(s.height), line: px(s.lineHeight)};
    }""")
    # Two lines at most at 390 px ("platfor / m" was one word per line).
    assert box["width"] > 200 and box["height"] < 3 * box["line"], box
    context.close()


def test_figures_legend_and_no_data_days(browser, live_url, uptime_site):
    context, page = _open(browser, live_url)
    figures = page.locator(".uptime .figure").all_inner_texts()
    assert len(figures) == 4 and all(FIGURE.match(f) for f in figures), figures
    api_front = page.locator(f"#c-{uptime_site['api'].public_id} .figure").inner_text()
    legend = page.locator("#main .legend").inner_text()
    for words in ("No downtime", "Up to 20 min", "Over 1 h", "No data"):
        assert words in legend
    search = page.locator(".component", has_text="Search").locator("ol.bars > li")
    # Created 20 days ago at noon: the 69 days before have no data.
    assert search.locator("xpath=self::li[@class='nodata']").count() == 69
    nodata = search.first.evaluate("el => getComputedStyle(el).backgroundImage")
    clean = search.last.evaluate("el => getComputedStyle(el).backgroundColor")
    assert "gradient" in nodata and clean != "rgba(0, 0, 0, 0)"
    search.first.hover()
    assert "No data" in page.locator("#day-tip").inner_text()

    page.goto(f"{live_url}/uptime?component={uptime_site['api'].public_id}")
    assert page.locator(".uptime-detail .figure").inner_text() == api_front
    listed = page.locator(".figures li", has_text="API").locator("span:not(.who)").inner_text()
    assert api_front.startswith(listed)
    context.close()


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_uptime_page_picks_a_component_and_fits_a_phone(browser, live_url, uptime_site, artifacts):
    context, page = _open(
        browser, live_url, "/uptime", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    assert page.locator("table.cal").count() == 3
    assert page.locator("#u-chosen").inner_text() == "API"  # the first component
    assert page.evaluate(OVERFLOWING) == []
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, height
    page.get_by_label("Component", exact=True).select_option(label="Website")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/uptime?component={uptime_site['web'].public_id}")
    assert page.locator("#u-chosen").inner_text() == "Website"
    assert page.evaluate(OVERFLOWING) == []
    # Future days are neither "no data" nor a colour of the scale.
    future = page.locator("table.cal td.future").first  # Nov 19 (the clock is frozen)
    look = future.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).backgroundImage]"
    )
    assert look == ["rgba(0, 0, 0, 0)", "none"], look
    # A calendar day with downtime shows its tooltip beside it.
    day = page.locator("table.cal td.l2, table.cal td.l3, table.cal td.l4").first
    day.hover()
    assert "Major outage 40 min" in page.locator("#day-tip").inner_text()
    geometry = day.evaluate(GEOMETRY)
    assert geometry["gap"] <= 8 and geometry["insideViewport"] and geometry["opacity"] == 1
    page.screenshot(path=str(artifacts / "uptime-360-calendar-tip.png"), full_page=True)
    context.close()


def test_without_javascript_each_day_says_what_happened(browser, live_url, uptime_site, artifacts):
    context, page = _open(browser, live_url, java_script_enabled=False)
    cell = _bar_cell(page, uptime_site["api"], 4)
    summary = cell.locator(".sum")
    text = summary.text_content()
    assert "partial outage 1 h 55 min" in text and "Elevated API errors" in text
    assert summary.bounding_box()["width"] <= 1
    cell.hover()
    assert summary.bounding_box()["width"] > 100  # shown while hovered
    page.locator(f"#c-{uptime_site['api'].public_id}").screenshot(
        path=str(artifacts / "uptime" / "bar-no-script-1280.png")
    )
    assert "Europe/Berlin" in page.locator("#tz-note").inner_text()
    page.goto(live_url + "/uptime")
    assert page.locator("table.cal .sum", has_text="Elevated API errors").count() == 1
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots_and_axe_with_the_tooltip_open(
    browser, live_url, uptime_site, axe_source, artifacts, scheme, width
):
    folder = artifacts / "uptime"
    folder.mkdir(exist_ok=True)
    context, page = _open(
        browser, live_url, viewport={"width": width, "height": 900}, color_scheme=scheme,
        is_mobile=width < 600,
    )  # fmt: skip
    serious = {}
    for name, path in (("index", "/"), ("uptime", "/uptime")):
        page.goto(live_url + path)
        cell = (
            _bar_cell(page, uptime_site["api"], 4)
            if path == "/"
            else page.locator("table.cal td.l1, table.cal td.l2").first
        )
        cell.hover()
        assert page.locator("#day-tip").is_visible()
        page.add_script_tag(content=axe_source)
        if found := page.evaluate(AXE):
            serious[name] = found
        if path == "/":
            page.locator(f"#c-{uptime_site['api'].public_id}").screenshot(
                path=str(folder / f"bar-tip-{width}-{scheme}.png")
            )
        page.screenshot(path=str(folder / f"{name}-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert serious == {}


def _zone_site():
    """API (Berlin page zone), tracked since September 2026."""
    start = datetime.fromisoformat("2026-09-01T00:00:00+00:00")
    return services.component_create(name="API", actor=OPERATOR, created_at=start)


@pytest.mark.frozen_at("2027-01-01T03:00:00+00:00")
def test_a_reader_still_in_last_year_sees_last_years_days(browser, live_url):
    """It is Jan 1, 2027, 04:00 in Berlin and Dec 31, 2026, 22:00 in New York. An incident
    from 20:30 to 21:30 New York time (Jan 1, 02:30 in Berlin)."""
    api = _zone_site()
    incident = services.incident_create(
        name="New Year's Eve errors", body="x", actor=OPERATOR,
        component_statuses={api: "major_outage"},
        at=datetime.fromisoformat("2027-01-01T01:30:00+00:00"),
    )  # fmt: skip
    services.incident_resolve(
        incident=incident, body="ok", actor=OPERATOR,
        at=datetime.fromisoformat("2027-01-01T02:30:00+00:00"),
    )  # fmt: skip
    services.incident_create(
        name="Still open", body="x", actor=OPERATOR,
        component_statuses={api: "degraded_performance"},
        at=datetime.fromisoformat("2027-01-01T02:45:00+00:00"),
    )  # fmt: skip

    context, page = _open(browser, live_url, timezone_id="America/New_York")
    days = page.locator("ol.days > li")
    assert days.first.locator("h3").inner_text() == "Dec 31, 2026"
    assert "New Year's Eve errors" in days.first.inner_text()
    assert "Still open" in days.first.inner_text()  # open incidents are listed on their day too
    assert "No incidents reported" not in days.first.inner_text()
    assert "Jan 1, 2027" not in page.locator("#main").inner_text()
    today = page.locator(f"#c-{api.public_id} ol.bars > li").last
    today.hover()
    tip = page.locator("#day-tip").inner_text()
    assert "Dec 31, 2026" in tip and "Major outage 1 h" in tip and "New Year's Eve errors" in tip
    assert "America/New_York" in page.locator("#tz-note").inner_text()

    page.goto(live_url + "/uptime")
    captions = page.locator("table.cal caption").all_inner_texts()
    assert captions == ["October 2026", "November 2026", "December 2026"]
    assert page.locator("table.cal td.today [aria-hidden=true]").inner_text() == "31"
    assert page.locator("[data-zone]").inner_text() == "America/New_York"
    page.goto(live_url + "/history")
    months = page.locator("section[data-month] h3").all_inner_texts()
    assert months[0] == "December 2026"
    december = page.locator("section[data-month='2026-12']")
    assert "New Year's Eve errors" in december.inner_text()
    assert page.locator("section[data-month='2027-01'] article").count() == 0
    context.close()

    # Without the script: the page zone's days, its zone named.
    context, page = _open(browser, live_url, java_script_enabled=False)
    assert page.locator("ol.days > li h3").first.inner_text() == "Jan 1, 2027"
    assert "New Year's Eve errors" in page.locator("ol.days > li").first.inner_text()
    assert "Europe/Berlin" in page.locator("#tz-note").inner_text()
    page.goto(live_url + "/uptime")
    captions = page.locator("table.cal caption").all_inner_texts()
    assert captions == ["November 2026", "December 2026", "January 2027"]
    assert page.locator("[data-zone]").inner_text() == "Europe/Berlin"
    context.close()


@pytest.mark.frozen_at("2026-11-02T15:00:00+00:00")
def test_a_day_with_a_dst_change_counts_its_25_hours(browser, live_url):
    """New York left daylight saving time on Nov 1, 2026: that day had 25 hours. A major
    outage over exactly that day is 25 h on it and nothing on its neighbours."""
    api = _zone_site()
    for status, at in (("major_outage", "2026-11-01T04:00:00+00:00"),
                       ("operational", "2026-11-02T05:00:00+00:00")):  # fmt: skip
        services.component_status_set(
            component=api, status=status, actor=OPERATOR, at=datetime.fromisoformat(at)
        )
    context, page = _open(browser, live_url, timezone_id="America/New_York")
    cells = page.locator(f"#c-{api.public_id} ol.bars > li")
    expected = {1: "Major outage 25 h", 0: "No downtime", 2: "No downtime"}  # Nov 1, 2, Oct 31
    for days_ago, words in expected.items():
        cells.nth(89 - days_ago).hover()
        tip = page.locator("#day-tip").inner_text()
        assert words in tip, (days_ago, tip)
        assert "Major outage" not in tip or days_ago == 1
    assert "Sun, Nov 1, 2026" in (cells.nth(88).hover() or page.locator("#day-tip").inner_text())
    context.close()

    # The page zone (Berlin) splits it otherwise: 19 h on Nov 1, 6 h on Nov 2.
    context, page = _open(browser, live_url, timezone_id="Europe/Berlin")
    cells = page.locator(f"#c-{api.public_id} ol.bars > li")
    cells.nth(88).hover()
    assert "Major outage 19 h" in page.locator("#day-tip").inner_text()
    cells.nth(89).hover()
    assert "Major outage 6 h" in page.locator("#day-tip").inner_text()
    context.close()
