"""Page settings in a real browser: the preview frame follows the accent colour as it is typed,
before anything is saved, and the contrast warning is restated live; without JavaScript the
"Preview" button does the same; the form reads well light and dark on a phone and a desktop.
Screenshots: test-artifacts/dashboard-settings-<width>-<scheme>.png."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

FRAME_ACCENT = """(want) => {
  const frame = document.getElementById('page-preview');
  const doc = frame && frame.contentDocument;
  if (!doc || doc.readyState !== 'complete' || !doc.querySelector('.preview-notice')) return false;
  return getComputedStyle(doc.documentElement).getPropertyValue('--accent').trim() === want;
}"""


def _saved_accent() -> str:
    from incidents.models import Page

    return Page.objects.get().accent_color


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_the_preview_follows_typing_before_saving(dash_site, dash_admin, dash_page, data_dir):
    from incidents.models import AuditEntry

    page = dash_page
    _sign_in(page, dash_site, dash_admin[1])
    page.goto(f"{dash_site}/dashboard/settings/")
    page.wait_for_function(FRAME_ACCENT, arg="#0b5cad")  # the built-in accent, saved page
    page.fill("#id_accent_color", "#8a2be2")
    page.wait_for_function(FRAME_ACCENT, arg="#8a2be2", timeout=5000)
    assert _saved_accent() == ""  # previewed, not saved
    # The warning follows the typing too.
    warnings = page.locator("#contrast-warnings")
    page.fill("#id_accent_color", "#ffff00")
    assert "Accent colour #ffff00: contrast 1.1:1" in warnings.inner_text()
    page.fill("#id_accent_color", "#8a2be2")
    assert warnings.inner_text().strip() == ""
    page.click("form#page-settings button:text-is('Save')")
    page.wait_for_selector("text=Page settings saved.")  # the same URL: wait for the answer
    assert _saved_accent() == "#8a2be2"
    assert AuditEntry.objects.filter(action="page.update").count() == 1
    assert page.csp_violations == [] and console_problems(page) == []


def test_without_javascript_the_preview_button_shows_the_values(
    dash_site, dash_admin, dash_browser, data_dir
):
    page = new_dash_page(dash_browser, java_script_enabled=False)
    try:
        _sign_in(page, dash_site, dash_admin[1])
        page.goto(f"{dash_site}/dashboard/settings/")
        page.fill("#id_accent_color", "#8a2be2")
        page.fill("#id_name", "Acme preview")
        page.click("button[data-preview]")
        frame = page.frame(name="page-preview")
        frame.wait_for_selector(".preview-notice:text('not saved yet')")
        # The notice is in the markup before the preview's stylesheet has arrived: the frame's
        # load event waits for it.
        frame.wait_for_load_state("load")
        assert "Acme preview" in frame.locator("header.site").inner_text()
        accent = frame.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
        )
        assert accent == "#8a2be2"
        assert _saved_accent() == ""
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_settings_page_reads_well(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source, data_dir
):
    import io

    from PIL import Image

    from incidents import services

    logo = io.BytesIO()
    Image.new("RGB", (96, 32), (138, 43, 226)).save(logo, "PNG")
    services.page_update(
        actor=services.SYSTEM,
        logo_image=logo.getvalue(),
        accent_color="#8a2be2",
        footer_links=[{"label": "Help centre", "url": "https://help.example.com/"}],
    )
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, dash_admin[1])
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.goto(f"{dash_site}/dashboard/settings/").status == 200
            page.wait_for_function(FRAME_ACCENT, arg="#8a2be2")
            assert _overflow(page) <= 0, width
            frame = page.frame(name="page-preview")
            # The uploaded logo is served and shown beside the name, in proportion, never
            # over the navigation (the frame is narrower than any phone).
            frame.wait_for_function(
                "() => { const i = document.querySelector('header.site img');"
                " return i && i.complete && i.naturalWidth === 96; }"
            )
            logo = frame.locator("header.site img").bounding_box()
            nav = frame.locator("nav.site").bounding_box()
            assert logo["x"] + logo["width"] <= nav["x"], (width, logo, nav)
            assert logo["width"] / logo["height"] == pytest.approx(3, abs=0.1)
            assert (
                frame.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                <= 0
            ), width
            pane = page.locator(".preview-pane").bounding_box()
            form = page.locator("form#page-settings").bounding_box()
            if width >= 1280:  # side by side
                assert pane["x"] >= form["x"] + form["width"] - 1
            else:  # stacked, within the screen
                assert pane["y"] >= form["y"] + form["height"] - 1
                assert pane["x"] + pane["width"] <= width
            page.screenshot(
                path=str(dash_artifacts / f"dashboard-settings-{width}-{scheme}.png"),
                full_page=True,
            )
            frame.evaluate(axe_source)  # axe checks the frame's page through its own copy
            assert _axe_serious(page, axe_source) == [], width
            if width < 1280:  # "Preview" on a phone brings the frame, below the form, into view
                page.evaluate("window.scrollTo(0, 0)")
                page.click("button[data-preview]")
                box = page.locator(".preview-pane").evaluate(
                    "e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }"
                )
                assert box[0] >= -1 and box[1] <= 900 + 1, box  # all of it, not only its top
        assert page.csp_violations == [] and console_problems(page) == []
    finally:
        page.context.close()
