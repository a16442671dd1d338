"""/uptime's list in a real browser: each group a native disclosure (<details>) headed by its
figure, opened and closed by mouse and keyboard; 50 components a page with the picker still
reaching every component; nothing wider than a 360 px screen; axe light and dark; the
calendar's day tooltip beside its day with a group open and after toggling; screenshots
(test-artifacts/uptime/list-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from tests.e2e import test_public_uptime
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR
from tests.e2e.test_public_uptime import GEOMETRY

uptime_site = test_public_uptime.uptime_site  # the same site, as a fixture of this module too


@pytest.fixture
def crowded(uptime_site):
    """The uptime site plus a group with a long name holding 55 components (one with a
    major outage two hours ago): 59 components, 2 pages."""
    start = timezone.now() - timedelta(days=100)
    fleet = services.component_group_create(
        name="Regional edge locations and content delivery", actor=OPERATOR, collapsed=True
    )
    members = [
        services.component_create(
            name=f"Edge node {n:02d} (eu-central, long name)",
            group=fleet,
            actor=OPERATOR,
            created_at=start,
        )  # fmt: skip
        for n in range(55)
    ]
    services.component_status_set(
        component=members[3], status="major_outage", actor=OPERATOR,
        at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    return {**uptime_site, "fleet": fleet, "members": members}


def _open(browser, live_url, path, **options):
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(live_url + path)
    return context, page


def _group(page, group):
    return page.locator(f"#ug-{group.public_id}")


def _is_open(details) -> bool:
    return details.evaluate("el => el.open")


def test_a_group_opens_and_closes_by_mouse_and_keyboard(browser, live_url, uptime_site):
    web = uptime_site["web"]
    context, page = _open(browser, live_url, f"/uptime?component={web.public_id}")
    core = _group(page, uptime_site["api"].group)
    summary = core.locator("summary")
    assert "Core" in summary.inner_text() and "%" in summary.inner_text()
    assert not _is_open(core)  # Website is chosen: Core starts closed
    api_link = core.get_by_role("link", name="API")
    assert api_link.is_hidden()
    summary.click()
    assert _is_open(core) and api_link.is_visible()
    summary.click()
    assert not _is_open(core) and api_link.is_hidden()
    # By keyboard: the summary is a tab stop; Enter and Space toggle it.
    summary.focus()
    assert summary.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert _is_open(core)
    page.keyboard.press("Tab")  # into the group, onto its first component
    assert page.evaluate("document.activeElement.textContent") == "API"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert not _is_open(core)
    page.keyboard.press("Enter")
    api_link.click()
    page.wait_for_url(f"**/uptime?component={uptime_site['api'].public_id}")
    assert page.locator("#u-chosen").inner_text() == "API"
    assert _is_open(_group(page, uptime_site["api"].group))  # the chosen one's group opens
    context.close()


def test_the_day_tooltip_stays_beside_its_day_with_groups_open(browser, live_url, uptime_site):
    context, page = _open(browser, live_url, "/uptime")
    core = _group(page, uptime_site["api"].group)
    assert _is_open(core)
    day = page.locator("table.cal td.l1, table.cal td.l2").first  # the API's partial outage
    for toggles in range(3):  # open, closed, open again: the list below moves, the day not
        day.hover()
        geometry = day.evaluate(GEOMETRY)
        assert geometry["role"] == "tooltip" and not geometry["hidden"], toggles
        assert geometry["gap"] <= 8 and geometry["overlapsX"], geometry
        # Over a calendar it floats below the day (covering later days, as designed).
        assert geometry["insideViewport"] and geometry["opacity"] == 1, geometry
        assert "Elevated API errors" in page.locator("#day-tip").inner_text()
        core.locator("summary").click()
    context.close()


def test_pages_and_the_picker_on_a_phone(browser, live_url, crowded, artifacts):
    context, page = _open(
        browser, live_url, "/uptime", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    assert page.locator("#u-range").inner_text() == "Components 1–50 of 59 · page 1 of 2"
    fleet = _group(page, crowded["fleet"])
    assert not _is_open(fleet)
    fleet.locator("summary").click()
    assert page.evaluate(OVERFLOWING) == []
    assert re.search(r"\(1–4\d of 55\)", fleet.locator("summary").inner_text())  # continued
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**/uptime?page=2")
    assert "page 2 of 2" in page.locator("#u-range").inner_text()
    assert page.locator("#u-chosen").inner_text() == "API"  # still the first component
    # Pick a component listed on the other page: its calendars, and the page that lists it.
    page.get_by_label("Component", exact=True).select_option(label=crowded["members"][3].name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/uptime?component={crowded['members'][3].public_id}")
    assert page.locator("#u-chosen").inner_text() == crowded["members"][3].name
    assert "page 1 of 2" in page.locator("#u-range").inner_text()
    current = page.locator(".uptime-list a[aria-current=page]")
    assert current.inner_text() == crowded["members"][3].name and current.is_visible()
    assert page.evaluate(OVERFLOWING) == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_and_axe(browser, live_url, crowded, axe_source, artifacts, scheme, width):
    folder = artifacts / "uptime"
    folder.mkdir(exist_ok=True)
    context, page = _open(
        browser, live_url, f"/uptime?component={crowded['members'][3].public_id}",
        viewport={"width": width, "height": 900}, color_scheme=scheme, is_mobile=width < 600,
    )  # fmt: skip
    assert _is_open(_group(page, crowded["fleet"]))
    assert not _is_open(_group(page, crowded["api"].group))
    assert page.evaluate(OVERFLOWING) == []
    page.locator("table.cal td.l4").first.hover()
    assert page.locator("#day-tip").is_visible()
    page.add_script_tag(content=axe_source)
    found = page.evaluate(AXE)
    page.screenshot(path=str(folder / f"list-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert found == []
