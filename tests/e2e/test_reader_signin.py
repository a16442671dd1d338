"""The sign-in page of a private page in a real browser at 360 and 1280 px, light and dark:
nothing overflows, axe-core finds no serious or critical violation, a wrong password shows its
error beside the field, the right one leads to the page. Screenshots: test-artifacts/readers/."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Page
from statuspage.readers import services as reader_services
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import OPERATOR

PASSWORD = "correct horse battery staple"


@pytest.fixture
def private_page(live_url):
    secret = Page.objects.create(
        name="Zebracorn internal", slug="secret", time_zone="Etc/UTC", visibility="private"
    )
    services.component_create(name="Quokka backend", actor=OPERATOR, page=secret)
    reader_services.settings_save(
        page=secret,
        actor=OPERATOR,
        password=PASSWORD,
        magic_link_allowed="@corp.test",
        ip_allowlist="",
    )
    return secret


def _check(page, axe_source, folder, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert page.evaluate(OVERFLOWING) == [], name
    page.add_script_tag(content=axe_source)
    assert page.evaluate(AXE) == [], name


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_sign_in_page_fits_passes_axe_and_signs_in(
    browser, live_url, private_page, axe_source, artifacts, scheme, width
):
    folder = artifacts / "readers"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=width < 400
    )
    page = context.new_page()
    page.goto(f"{live_url}/p/secret/history")
    page.wait_for_url(f"{live_url}/p/secret/readers/?next=*")
    assert page.locator("h1").inner_text().strip() == "Zebracorn internal"
    assert "Quokka" not in page.content()
    _check(page, axe_source, folder, f"signin-{width}-{scheme}")

    page.fill("#reader-password", "wrong")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert page.locator("#err-password").inner_text() == "That password is not right."
    assert page.locator("#reader-password").get_attribute("aria-invalid") == "true"
    _check(page, axe_source, folder, f"signin-error-{width}-{scheme}")

    page.fill("#reader-password", PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_url}/p/secret/history")
    assert page.locator("footer button", has_text="Sign out").count() == 1
    page.goto(f"{live_url}/p/secret/")
    assert "Quokka backend" in page.locator("main").inner_text()
    _check(page, axe_source, folder, f"signed-in-{width}-{scheme}")
    # The reader's secret feed addresses: long URLs still fit a phone.
    with page.expect_navigation():
        page.locator("footer a", has_text="Feed addresses").click()
    with page.expect_navigation():
        page.click("button:has-text('Make a new secret address')")
    assert page.locator("code.address").count() == 4
    _check(page, axe_source, folder, f"feeds-{width}-{scheme}")
    atom = page.locator("code.address").first.inner_text()
    assert "/p/secret/readers/feed/" in atom
    reader = browser.new_context()  # a feed reader: no cookie
    fetched = reader.request.get(atom)
    assert fetched.status == 200 and "<feed" in fetched.text()
    assert fetched.headers["cache-control"].startswith("private")
    reader.close()
    page.goto(f"{live_url}/p/secret/")
    with page.expect_navigation():
        page.locator("footer button", has_text="Sign out").click()
    page.wait_for_url(f"{live_url}/p/secret/readers/")
    context.close()
