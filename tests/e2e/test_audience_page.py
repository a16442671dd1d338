"""An audience-specific page as two readers see it, in a real browser at 360 and 1280 px,
light and dark: each sees its own components and incidents and none of the other's, nothing
overflows, axe-core finds no serious or critical violation; a reader of no audience gets the
"No access" page. Screenshots: test-artifacts/audiences/."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from tests.audiences.conftest import audience_site
from tests.e2e.test_public_design import AXE, OVERFLOWING

__all__ = ["audience_site"]

READERS = {
    "alpha": ("carol@alpha.test", {}),
    "bravo": ("oidc:https://idp.test|42", {"groups": ["bravo"]}),
    "nobody": ("mallory@elsewhere.test", {}),
}
OWN = {"alpha": ["Alpha API", "Alpha outage"], "bravo": ["Bravo Billing", "Bravo outage"]}


def _session_for(page_id: int, reader: str) -> str:
    """A signed-in reader's session, as the sign-in writes it (the reader access contract)."""
    identity, claims = READERS[reader]
    session = SessionStore()
    session["reader_access"] = {
        str(page_id): {
            "identity": identity,
            "method": "oidc" if claims else "magic_link",
            "claims": claims,
            "at": timezone.now().isoformat(),
        }
    }
    session.save()
    assert session.session_key is not None
    return session.session_key


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_two_readers_each_see_their_audience(
    browser, live_url, audience_site, axe_source, artifacts, scheme
):
    folder = artifacts / "audiences"
    folder.mkdir(exist_ok=True)
    page_id = audience_site["page"].id
    for reader in ("alpha", "bravo", "nobody"):
        cookie = {
            "name": settings.SESSION_COOKIE_NAME,
            "value": _session_for(page_id, reader),
            "url": live_url,
        }
        for width in (360, 1280):
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                color_scheme=scheme,
                is_mobile=width == 360,
            )
            context.add_cookies([cookie])
            page = context.new_page()
            response = page.goto(f"{live_url}/")
            assert response is not None
            body = page.locator("body").inner_text()
            if reader == "nobody":
                assert response.status == 403
                assert "No access" in body
                assert "Alpha" not in body and "Bravo" not in body
            else:
                assert response.status == 200
                assert response.headers["cache-control"].startswith("private")
                other = "bravo" if reader == "alpha" else "alpha"
                assert all(text in body for text in OWN[reader]), body[:400]
                assert not any(text in body for text in OWN[other]), body[:400]
                assert "Shared Login" in body
                # The live refresh reads the page as the reader does (with their cookie).
                page.wait_for_load_state("networkidle")
                assert "could not refresh" not in page.locator("body").inner_text()
            page.screenshot(path=str(folder / f"{reader}-{width}-{scheme}.png"), full_page=True)
            assert page.evaluate(OVERFLOWING) == [], (reader, width)
            page.add_script_tag(content=axe_source)
            assert page.evaluate(AXE) == [], (reader, width)
            context.close()
