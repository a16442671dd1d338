"""The incident flow with the keyboard only, in a real browser: declare from the overview in
three interactions ("d", the name, Ctrl+Enter), two updates, resolve, reopen, resolve again,
then a postmortem draft and its publication. Focus moves by Tab (counted and bounded), choices
by arrow keys; no clicks after sign-in. Screenshots: test-artifacts/dashboard-keyboard-*.png."""

from __future__ import annotations

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems
from tests.e2e.test_dashboard import _sign_in

MAX_TABS = 80


def _tab_to(page, selector: str) -> int:
    """Tab until `selector` has the focus; how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} is not reachable with Tab")


def _post(page, status_select: str | None, steps: int, body_selector: str, text: str) -> None:
    if status_select:
        _tab_to(page, status_select)
        for _ in range(steps):
            page.keyboard.press("ArrowDown")
    _tab_to(page, body_selector)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    with page.expect_navigation():
        page.keyboard.press("ControlOrMeta+Enter")


def test_declare_to_postmortem_with_the_keyboard_only(
    dash_site, dash_admin, dash_page, dash_artifacts
):
    from incidents.models import AuditEntry, Incident

    page, site = dash_page, dash_site
    _user, device = dash_admin
    _sign_in(page, site, device)

    interactions = 0
    page.keyboard.press("d")
    interactions += 1
    page.wait_for_url(f"{site}/dashboard/incidents/new/")
    assert page.evaluate("document.activeElement.id") == "id_name"  # autofocus
    page.keyboard.type("Checkout failing")
    interactions += 1
    with page.expect_navigation():
        page.keyboard.press("ControlOrMeta+Enter")
    interactions += 1
    assert interactions <= 4
    incident = Incident.objects.get()
    assert (incident.name, incident.status) == ("Checkout failing", "investigating")
    assert "will post an update within 30 minutes" in incident.updates.get().body
    page.screenshot(path=str(dash_artifacts / "dashboard-keyboard-declared.png"), full_page=True)

    _post(page, "#id_status", 1, "#id_body", "Found it: a bad **deploy**.")
    _post(page, "#id_status", 2, "#id_body", "Rolled back; watching.")
    incident.refresh_from_db()
    assert incident.status == "monitoring" and incident.updates.count() == 3

    _post(page, None, 0, "#resolve_body", "Fixed.")
    incident.refresh_from_db()
    assert incident.status == "resolved"

    _post(page, "#reopen_status", 1, "#reopen_body", "Errors are back.")
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("identified", None)
    assert AuditEntry.objects.filter(action="incident.reopened").count() == 1

    _post(page, None, 0, "#resolve_body", "Fixed for good.")
    incident.refresh_from_db()
    assert incident.status == "resolved"

    # Ctrl+Enter saves the draft (the form's first button); publishing is its own key press.
    _post(page, None, 0, "#id_body", "## Cause\nA bad deploy.")
    incident.refresh_from_db()
    assert incident.postmortem_draft.startswith("## Cause")
    assert incident.postmortem_published_at is None
    _tab_to(page, "button[name=publish]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    incident.refresh_from_db()
    assert incident.status == "postmortem" and incident.postmortem_published_at is not None
    page.screenshot(path=str(dash_artifacts / "dashboard-keyboard-postmortem.png"), full_page=True)
    assert page.csp_violations == []
    assert console_problems(page) == []


def test_the_skip_link_is_the_first_stop_and_lands_in_main(dash_site, dash_admin, dash_page):
    page, site = dash_page, dash_site
    _sign_in(page, site, dash_admin[1])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    box = page.locator("a.skip").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
