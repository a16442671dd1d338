"""The public page in a real browser: renders, groups expand and collapse, tooltips show, dark
mode, a 360 px phone without horizontal scrolling, and no serious accessibility violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.services import Actor

OPERATOR = Actor(label="e2e", via="dashboard")


@pytest.fixture
def status_site(live_url):
    start = timezone.now() - timedelta(days=40)
    healthy = services.component_group_create(name="Edge network", actor=OPERATOR, collapsed=True)
    core = services.component_group_create(name="Core services", actor=OPERATOR)
    cdn = services.component_create(name="CDN", group=healthy, actor=OPERATOR, created_at=start)
    services.component_create(name="DNS", group=healthy, actor=OPERATOR, created_at=start)
    api = services.component_create(
        name="API", group=core, actor=OPERATOR, description="Public REST API", created_at=start
    )
    services.component_create(name="Website", actor=OPERATOR, created_at=start)
    incident = services.incident_create(
        name="Elevated API errors",
        body="We are **investigating** elevated error rates. [Details](https://example.com)",
        actor=OPERATOR,
        component_statuses={api: "partial_outage"},
        at=timezone.now() - timedelta(hours=3),
    )
    services.incident_update_post(
        incident=incident, status="identified", body="A bad deploy; rolling back.", actor=OPERATOR
    )
    services.maintenance_schedule(
        name="CDN provider switch",
        scheduled_for=timezone.now() + timedelta(days=2),
        scheduled_until=timezone.now() + timedelta(days=2, hours=1),
        components=[cdn],
        actor=OPERATOR,
        body="Traffic moves to the new provider.",
    )
    return {"api": api, "incident": incident}


def test_page_renders(new_page, live_url, status_site, artifacts):
    response = new_page.goto(live_url + "/")
    assert response.status == 200
    assert new_page.get_by_role("status").inner_text().strip().endswith("Partial System Outage")
    assert new_page.get_by_role("heading", name="Elevated API errors").is_visible()
    assert new_page.get_by_text("A bad deploy; rolling back.").is_visible()
    # The local-time script rewrote times (the title keeps the page-zone rendering).
    assert new_page.locator("time[data-local]").first.get_attribute("title")
    new_page.screenshot(path=str(artifacts / "public-index.png"), full_page=True)


def test_groups_expand_and_collapse(new_page, live_url, status_site, artifacts):
    new_page.goto(live_url + "/")
    edge = new_page.locator("details.group", has_text="Edge network")
    core = new_page.locator("details.group", has_text="Core services")
    assert core.get_attribute("open") is not None  # a child is not operational
    assert edge.get_attribute("open") is None  # collapsed by default, all well
    assert not edge.get_by_text("DNS").is_visible()
    edge.locator("summary").click()
    assert edge.get_by_text("DNS").is_visible()
    new_page.screenshot(path=str(artifacts / "public-group-open.png"))
    edge.locator("summary").focus()
    new_page.keyboard.press("Enter")  # keyboard works too
    assert not edge.get_by_text("DNS").is_visible()


def test_tooltips_show_on_hover_and_focus(new_page, live_url, status_site, artifacts):
    new_page.goto(live_url + "/")
    info = new_page.locator(".info").first
    info.focus()
    tip = info.evaluate("el => getComputedStyle(el, '::after').content")
    assert "Public REST API" in tip
    today = new_page.locator(f"#c-{status_site['api'].public_id} ol.bars li").last
    today.hover()
    tip = new_page.get_by_role("tooltip")
    assert today.get_attribute("aria-describedby") == tip.get_attribute("id")
    assert "Elevated API errors" in tip.inner_text()  # the incident of that day is named
    box = today.bounding_box()
    assert box["width"] > 0
    new_page.screenshot(path=str(artifacts / "public-tooltip.png"))


def test_times_are_converted_to_the_viewers_zone(browser, live_url, status_site):
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    page.goto(live_url + "/")
    first = page.locator("time[data-local]").first
    assert first.inner_text().endswith(("EST", "EDT"))
    assert first.get_attribute("title").endswith("(Europe/Berlin)")
    assert "America/New_York" in page.locator("#tz-note").inner_text()
    context.close()


def test_dark_mode(browser, live_url, status_site, artifacts):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(live_url + "/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    page.screenshot(path=str(artifacts / "public-dark.png"), full_page=True)
    context.close()


def test_phone_width_has_no_horizontal_scroll(browser, live_url, status_site, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    for path in ("/", "/history", "/uptime", f"/incidents/{status_site['incident'].public_id}"):
        page.goto(live_url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    page.goto(live_url + "/")
    page.screenshot(path=str(artifacts / "public-360.png"), full_page=True)
    context.close()


def test_works_without_javascript(browser, live_url, status_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + "/")
    assert page.locator("time[data-local]").first.inner_text().endswith(("CET", "CEST"))
    assert "Europe/Berlin" in page.locator("#tz-note").inner_text()
    assert page.get_by_text("Elevated API errors").first.is_visible()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(browser, live_url, status_site, axe_source, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    bad = {}
    for path in ("/", "/history", "/uptime", f"/incidents/{status_site['incident'].public_id}"):
        page.goto(live_url + path)
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document)")
        serious = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            bad[path] = serious
    context.close()
    assert bad == {}
