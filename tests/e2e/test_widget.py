"""The embeds in a real browser, on a host page of another origin: the script embed's
notice comes and goes with incidents and can be dismissed, the host's own styles stay as they
were, the status iframe and badges render, and Atlassian's @statuspage/status-widget reads
this app's summary.json."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Page
from incidents.services import Actor
from tests.e2e import widget_fixtures
from tests.e2e.widget_fixtures import ARTIFACTS

# The fixtures live in widget_fixtures (tests/e2e/conftest.py belongs to the public-site tests).
chromium = widget_fixtures.chromium
browser_page = widget_fixtures.browser_page
host_site = widget_fixtures.host_site
status_widget_dist = widget_fixtures.status_widget_dist
cold_public_cache = widget_fixtures.cold_public_cache

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The host page, its iframes and the polling script run on the browser's own clock and its
    # HTTP cache on the machine's: a frozen server clock makes the cached state look stale or
    # fresh at the wrong moments. Nothing here depends on the date.
    pytest.mark.real_clock,
]

OPERATOR = Actor(label="e2e", via="dashboard")
POLL_SECONDS = 2
# The notice must show within one poll period; this is the slack for the round trip.
WITHIN_ONE_POLL_MS = POLL_SECONDS * 1000 + 1000
HOST_STYLE = """
  body { font-family: Georgia, serif; color: rgb(10, 20, 30); background: rgb(250, 240, 230);
         margin: 7px; line-height: 1.7; }
  p { font-size: 17px; letter-spacing: 1px; }
  iframe { width: 100%; height: 5px; border: 3px solid rgb(255, 0, 0); }
  div { padding: 3px; }
"""
STYLE_PROBE = """() => {
  const pick = (el) => { const s = getComputedStyle(el); return [s.fontFamily, s.color,
    s.backgroundColor, s.margin, s.fontSize, s.letterSpacing, s.lineHeight, s.padding]; };
  return { body: pick(document.body), p: pick(document.querySelector("#content")),
    div: pick(document.querySelector("#box")), sheets: document.styleSheets.length,
    cookie: document.cookie };
}"""


def host_page(app: str) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Host</title><style>{HOST_STYLE}</style></head>
<body>
  <p id="content">The host's own content.</p>
  <div id="box">
    <img id="badge" alt="status" src="{app}/badge.svg">
    <iframe id="status" title="status" src="{app}/embed/status"
            style="width:320px;height:32px;border:0"></iframe>
    <statuspage-widget id="spw" src="{app}"></statuspage-widget>
  </div>
  <script src="status-widget.js"></script>
  <script src="{app}/embed/script.js" data-poll-seconds="{POLL_SECONDS}"
          data-corner="bottom-left" async></script>
</body></html>"""


@pytest.fixture
def app(live_server, cold_public_cache):
    """The app on pytest-django's live server; the page's links point at it."""
    Page.objects.update(url=live_server.url)
    component = services.component_create(name="API", actor=OPERATOR)
    return live_server.url, component


def notice(page):
    return page.locator("iframe[data-statuspage-widget]")


def test_script_embed_shows_incident_in_time_dismisses_and_leaves_host_styles(
    app, browser_page, host_site
):
    app_url, component = app
    page = browser_page
    page.goto(host_site.write("host.html", host_page(app_url)))
    page.wait_for_load_state("load")
    before = page.evaluate(STYLE_PROBE)

    # Two poll periods with nothing to say: nothing is shown.
    page.wait_for_timeout(POLL_SECONDS * 2000 + 500)
    assert notice(page).count() == 0
    status_line = page.frame_locator("#status").locator(".description")
    assert status_line.inner_text() == "All Systems Operational"
    assert page.evaluate("document.querySelector('#badge').naturalWidth") > 100
    assert page.locator("#spw .status-text").inner_text().strip() == "All Systems Operational"
    assert "none" in page.locator("#spw .status-indicator").get_attribute("class").split()

    incident = services.incident_create(
        name="API errors",
        body="Requests fail for some customers.",
        actor=OPERATOR,
        component_statuses={component: "major_outage"},
    )
    # Within one poll period (plus the browser's round trip).
    notice(page).wait_for(state="attached", timeout=WITHIN_ONE_POLL_MS)
    frame = page.frame_locator("iframe[data-statuspage-widget]")
    assert frame.locator("h1").inner_text() == "API errors"
    assert "Requests fail for some customers." in frame.locator("p").inner_text()
    assert frame.locator("a").get_attribute("href").endswith(f"/incidents/{incident.public_id}")

    box = notice(page).bounding_box()
    assert box["x"] == 16 and box["y"] + box["height"] == 700 - 16  # bottom-left corner
    assert box["width"] == 320  # the host's `iframe { width: 100% }` did not apply
    after = page.evaluate(STYLE_PROBE)
    assert after == before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-notice.png"))

    # The click removes the frame it happens in; Playwright's click then waits on that frame
    # for what the click may have started and, on a busy machine, ran out its 30 s. The DOM
    # click event is what the widget's script listens for.
    frame.locator("button").dispatch_event("click")
    notice(page).wait_for(state="detached", timeout=2000)
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert incident.public_id in stored

    # Remembered across page loads, while the incident is still open.
    page.reload()
    page.wait_for_timeout(POLL_SECONDS * 2000 + 500)
    assert notice(page).count() == 0

    # Dismissal is per incident: a new one shows.
    services.incident_create(name="Web slow", body="Slow pages.", actor=OPERATOR)
    notice(page).wait_for(state="attached", timeout=WITHIN_ONE_POLL_MS)
    assert page.frame_locator("iframe[data-statuspage-widget]").locator("h1").inner_text() == (
        "Web slow"
    )
    assert page.context.cookies() == []


def test_notice_goes_away_when_the_incident_is_resolved(app, browser_page, host_site):
    app_url, component = app
    incident = services.incident_create(name="Blip", body="Looking.", actor=OPERATOR)
    page = browser_page
    page.goto(host_site.write("host.html", host_page(app_url)))
    notice(page).wait_for(state="attached", timeout=WITHIN_ONE_POLL_MS)
    services.incident_resolve(incident=incident, body="Fine again.", actor=OPERATOR)
    notice(page).wait_for(state="detached", timeout=WITHIN_ONE_POLL_MS)


def test_status_widget_component_badges_and_status_frame_show_the_outage(
    app, browser_page, host_site
):
    app_url, component = app
    services.incident_create(
        name="API down",
        body="Down.",
        actor=OPERATOR,
        component_statuses={component: "major_outage"},
    )
    page = browser_page
    page.goto(host_site.write("host.html", host_page(app_url)))

    # Atlassian's web component, pointed at this app, reads /api/v2/summary.json cross-origin.
    widget_text = page.locator("#spw .status-text")
    widget_text.wait_for(timeout=5000)
    assert widget_text.inner_text().strip() == "Major System Outage"
    assert "critical" in page.locator("#spw .status-indicator").get_attribute("class").split()

    assert page.frame_locator("#status").locator(".description").inner_text() == (
        "Major System Outage"
    )
    page.evaluate(
        """(src) => { const img = document.createElement("img");
                      img.id = "component-badge"; img.src = src;
                      document.querySelector("#box").appendChild(img); }""",
        f"{app_url}/badge/{component.public_id}.svg",
    )
    page.wait_for_function("document.querySelector('#component-badge').naturalWidth > 0")
    notice(page).wait_for(state="attached", timeout=WITHIN_ONE_POLL_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#box").screenshot(path=str(ARTIFACTS / "badges-and-widgets.png"))
    page.screenshot(path=str(ARTIFACTS / "host-page.png"))
