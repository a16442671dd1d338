"""Incident, maintenance and history pages, and the in-place refresh, in a real browser.

Geometry rather than presence: nothing overflows a 360 px phone, the postmortem comes first
and its headings never outrank the page's, the affected components' names and statuses do
not collide; axe-core finds no serious or critical violation, light and dark; each page is
photographed at 390 and 1280 px in both schemes (test-artifacts/pages/). The refresh runs on
the browser's installed clock (started at the suite's frozen "now"): its timers are advanced
by the test, and the server answers its polls with 304s until something changes."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Component
from statuspage import public_cache
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR, status_site

__all__ = ["status_site"]  # the fixture, shared with test_public_page

POLL_MS = 60_000


@pytest.fixture
def pages_site(status_site):
    """The status site, plus a resolved incident with a published postmortem (headings of its
    own), a maintenance window in progress and one still ahead."""
    website = Component.objects.get(name="Website")
    start = timezone.now() - timedelta(days=3)
    resolved = services.incident_create(
        name="Login failures",
        body="Some sign-ins fail.\n\n## What we see\nErrors on the login form.",
        actor=OPERATOR,
        component_statuses={website: "major_outage"},
        at=start,
        backfilled=True,
    )
    services.incident_resolve(
        incident=resolved, body="Fixed.", actor=OPERATOR, at=start + timedelta(hours=1, minutes=5)
    )
    services.postmortem_save_draft(
        incident=resolved,
        body="## What happened\nA certificate expired.\n\n### Timeline\n- 10:00 first errors",
        actor=OPERATOR,
    )
    services.postmortem_publish(incident=resolved, actor=OPERATOR)
    running = services.maintenance_schedule(
        name="Search index rebuild",
        scheduled_for=timezone.now() - timedelta(minutes=30),
        scheduled_until=timezone.now() + timedelta(minutes=90),
        components=[website],
        actor=OPERATOR,
        body="Search may return partial results.",
    )
    services.maintenance_start(maintenance=running, actor=OPERATOR)
    return {
        **status_site,
        "resolved": resolved,
        "running": running,
        "paths": {
            "incident-open": f"/incidents/{status_site['incident'].public_id}",
            "incident-postmortem": f"/incidents/{resolved.public_id}",
            "maintenance-running": f"/maintenance/{running.public_id}",
            "history-filtered": f"/history?component={website.public_id}&q=login",
            "history-bad-input": "/history?component=nope&q=" + "x" * 200,
        },
    }


def _context(browser, width: int, scheme: str = "light"):
    return browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=width < 600
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 390, 1280])
def test_pages_fit_pass_axe_and_are_photographed(
    browser, live_url, pages_site, axe_source, artifacts, scheme, width
):
    folder = artifacts / "pages"
    folder.mkdir(exist_ok=True)
    context = _context(browser, width, scheme)
    page = context.new_page()
    overflow, serious = {}, {}
    for name, path in pages_site["paths"].items():
        assert page.goto(live_url + path).status == 200, path
        if found := page.evaluate(OVERFLOWING):
            overflow[name] = found[:5]
        if width != 360:
            page.screenshot(path=str(folder / f"{name}-{width}-{scheme}.png"), full_page=True)
            page.add_script_tag(content=axe_source)
            if found := page.evaluate(AXE):
                serious[name] = found
    context.close()
    assert overflow == {}
    assert serious == {}


@pytest.mark.parametrize("width", [390, 1280])
def test_postmortem_first_with_its_headings_below_the_pages(browser, live_url, pages_site, width):
    context = _context(browser, width)
    page = context.new_page()
    page.goto(live_url + pages_site["paths"]["incident-postmortem"])
    postmortem = page.locator("#h-postmortem")
    updates = page.locator("#h-updates")
    assert postmortem.bounding_box()["y"] < updates.bounding_box()["y"]
    # The operator's "##" and "###" became h4 and h5, and look no larger than "Postmortem".
    own = page.locator(".postmortem .body h4", has_text="What happened")
    assert own.count() == 1 and page.locator(".postmortem .body h5").count() == 1
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    assert own.evaluate(size) < postmortem.evaluate(size)
    assert page.locator(".postmortem h2, .postmortem h3 + .body h3").count() == 0
    # Duration, and each affected component with its status now.
    assert page.locator("dl.facts").inner_text().replace("\n", " ").count("1 h 5 min") == 1
    # Website is under maintenance now (the incident made it a major outage, then).
    row = page.locator(".affected li", has_text="Website")
    name, status = row.locator("span").first, row.locator(".status-text")
    assert status.inner_text().strip().endswith("Under maintenance")
    a, b = name.bounding_box(), status.bounding_box()
    overlap = a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
    assert not (overlap and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    context.close()


def test_open_incident_says_how_long_it_has_lasted(browser, live_url, pages_site):
    context = _context(browser, 1280)
    page = context.new_page()
    page.goto(live_url + pages_site["paths"]["incident-open"])
    elapsed = page.locator("[data-since]")
    page.wait_for_function("() => /for /.test(document.querySelector('[data-since]').textContent)")
    assert re.fullmatch(r"Ongoing for 3 h( [0-1] min)?", elapsed.inner_text())
    page.clock.run_for(10 * 60 * 1000)
    assert re.fullmatch(r"Ongoing for 3 h 1[0-1] min", elapsed.inner_text())
    context.close()


def test_history_filter_form(browser, live_url, pages_site):
    context = _context(browser, 390)
    page = context.new_page()
    page.goto(live_url + "/history")
    titles = page.locator("main article h4")
    assert titles.count() == 3  # two incidents, the maintenance in progress
    page.get_by_label("Component").select_option(label="Website")
    page.get_by_label("Text").fill("certificate")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=certificate"))
    assert titles.all_inner_texts() == ["Login failures"]
    assert (
        "affecting Website that mention “certificate”"
        in page.locator(".filter-summary").inner_text()
    )
    page.get_by_role("link", name="Show everything").click()
    page.wait_for_url(live_url + "/history")
    assert titles.count() == 3
    context.close()


def _poll_log(page) -> list[tuple[str, int]]:
    log: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: (
            log.append((r.request.method, r.status)) if r.request.resource_type == "fetch" else None
        ),
    )
    return log


def _wait_for(page, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)  # not time.sleep: Playwright delivers events while it waits


def test_the_page_refreshes_in_place_and_says_how_fresh_it_is(
    browser, live_url, pages_site, artifacts
):
    context = _context(browser, 1280)
    page = context.new_page()
    log = _poll_log(page)
    page.goto(live_url + "/")
    page.evaluate("window.sameDocument = true")
    note = page.locator("#live-note")
    # At start a HEAD learns the document's ETag (no body).
    _wait_for(page, lambda: ("HEAD", 200) in log)
    assert re.fullmatch(r"Updated [0-2] s ago", note.inner_text())
    page.clock.run_for(20_000)
    assert re.fullmatch(r"Updated (19|2[0-2]) s ago", note.inner_text())
    # A collapsed group the reader opened stays open through refreshes.
    edge = page.locator("details.group", has_text="Edge network")
    edge.locator("summary").click()

    # A minute on, nothing changed: a conditional GET answered 304, and the note starts over.
    page.clock.run_for(POLL_MS - 20_000)
    _wait_for(page, lambda: ("GET", 304) in log)
    _wait_for(page, lambda: note.inner_text().startswith("Updated 0 s"))
    assert log.count(("GET", 200)) == 0

    # The incident resolves: the next poll brings the new page in, without a reload.
    services.incident_resolve(incident=pages_site["incident"], body="Recovered.", actor=OPERATOR)
    time.sleep(public_cache.GENERATION_MEMO_SECONDS + 0.1)
    page.clock.run_for(POLL_MS)
    _wait_for(page, lambda: ("GET", 200) in log)
    banner = page.get_by_role("status")
    page.wait_for_function("() => /Operational|Maintenance/i.test(document.title)")
    assert page.locator("#h-active").count() == 0  # no active incident any more
    assert page.locator("main", has_text="Elevated API errors").count() == 1  # now in the past
    assert page.evaluate("window.sameDocument") is True  # refreshed in place
    assert "Partial System Outage" not in banner.inner_text()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith(("favicon-none.svg", "favicon-maintenance.svg"))
    assert edge.get_attribute("open") is not None
    # Times in the new content are restated in the reader's zone too.
    assert page.locator("main time[data-local]").first.get_attribute("title")
    page.screenshot(
        path=str(artifacts / "pages" / "index-refreshed-1280-light.png"), full_page=True
    )

    # And back to 304s: the page holds the new ETag.
    page.clock.run_for(POLL_MS)
    _wait_for(page, lambda: log.count(("GET", 304)) == 2)
    assert log.count(("GET", 200)) == 1
    context.close()


def test_a_failed_poll_says_so_and_the_next_one_recovers(browser, live_url, pages_site):
    context = _context(browser, 390)
    page = context.new_page()
    log = _poll_log(page)
    page.goto(live_url + "/")
    _wait_for(page, lambda: ("HEAD", 200) in log)
    page.route(
        "**/",
        lambda route: (
            route.abort() if route.request.resource_type == "fetch" else route.continue_()
        ),
    )
    page.clock.run_for(POLL_MS)
    page.wait_for_function(
        "() => /retrying/.test(document.getElementById('live-note').textContent)"
    )
    # The age counts from when the first check answered, a moment after the poll's timer
    # started: the failed poll comes just under or at a minute later.
    assert re.fullmatch(
        r"Updated (59 s|1 min) ago · could not refresh, retrying",
        page.locator("#live-note").inner_text(),
    )
    page.unroute("**/")
    page.clock.run_for(POLL_MS)
    _wait_for(page, lambda: ("GET", 304) in log)
    page.wait_for_function(
        "() => !/retrying/.test(document.getElementById('live-note').textContent)"
    )
    context.close()


HIDE = "Object.defineProperty(document, 'hidden', {value: %s, configurable: true})"


def test_a_background_tab_does_not_poll_and_catches_up_in_front(browser, live_url, pages_site):
    context = _context(browser, 390)
    page = context.new_page()
    log = _poll_log(page)
    page.goto(live_url + "/")
    _wait_for(page, lambda: ("HEAD", 200) in log)
    page.evaluate(HIDE % "true")
    page.clock.run_for(3 * POLL_MS + 1000)
    page.wait_for_timeout(300)
    assert [entry for entry in log if entry[0] == "GET"] == []
    assert page.locator("#live-note").inner_text() == "Updated 3 min ago"
    # Back in front: it checks at once, without waiting for the next minute.
    page.evaluate(HIDE % "false")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    _wait_for(page, lambda: ("GET", 304) in log)
    _wait_for(page, lambda: page.locator("#live-note").inner_text().startswith("Updated 0 s"))
    context.close()
