"""A translated incident page in Arabic (right to left) and Japanese at 390 px, light and
dark: the operator's translated name and update read in the page's language, the note that
says it is a translation opens the original (in its own language and direction), and with it
open nothing overflows, no two texts overlap and axe-core finds no serious or critical
violation. Screenshots: test-artifacts/languages/translated-*."""

from __future__ import annotations

import pytest

from incidents import services
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_languages import OVERLAPS
from tests.e2e.test_public_page import OPERATOR, status_site

__all__ = ["status_site"]

TRANSLATED = {
    "ar": (
        "ارتفاع أخطاء واجهة البرمجة",
        "نحقق في **ارتفاع** معدلات الأخطاء. [التفاصيل](https://example.com)",
    ),
    "ja": (
        "APIエラーの増加",
        "APIのエラー率の**上昇**を調査しています。[詳細](https://example.com)",
    ),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("code", ["ar", "ja"])
def test_a_translated_incident_page_fits_and_passes_axe(
    browser, live_url, status_site, axe_source, artifacts, code, scheme
):
    folder = artifacts / "languages"
    folder.mkdir(exist_ok=True)
    incident = status_site["incident"]
    name, body = TRANSLATED[code]
    services.translations_set(obj=incident, translations={code: {"name": name}}, actor=OPERATOR)
    first = incident.updates.order_by("id").first()
    services.translations_set(obj=first, translations={code: {"body": body}}, actor=OPERATOR)

    context = browser.new_context(
        viewport={"width": 390, "height": 800}, is_mobile=True, color_scheme=scheme
    )
    page = context.new_page()
    response = page.goto(f"{live_url}/{code}/incidents/{incident.public_id}")
    assert response.status == 200
    page.wait_for_load_state("load")
    assert page.locator("h2#h-incident").inner_text() == name
    note = page.locator("details.original > summary")
    assert note.count() == 1
    note.click()
    original = page.locator("details.original > .body")
    assert original.is_visible()
    assert original.get_attribute("lang") == "en"
    assert "investigating" in original.inner_text()
    found = {"overflow": page.evaluate(OVERFLOWING), "overlap": page.evaluate(OVERLAPS)}
    page.add_script_tag(content=axe_source)
    found["axe"] = page.evaluate(AXE)
    page.screenshot(path=str(folder / f"translated-{code}-{scheme}-390.png"), full_page=True)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
