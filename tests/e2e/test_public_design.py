"""Every public page in a real browser, by geometry rather than presence: nothing overflows a
360 px phone, the header keeps one line at 390 px, the subscriber pages wear the site's
stylesheet and change in dark mode, axe-core finds no serious or critical violation (light and
dark, phone and desktop), and each page is photographed at 390 and 1280 px in both schemes
(test-artifacts/design/). Also the subscribe disclosure on the front page, with and without
JavaScript, and the status frame's themes on a dark host page."""

from __future__ import annotations

import functools
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Component, ComponentGroup
from notifications import links
from notifications.models import Channel, Subscriber, SubscriberState
from tests.e2e.test_public_page import OPERATOR, status_site

__all__ = ["status_site"]  # the fixture, shared with test_public_page

# Elements whose right edge passes the viewport (ignoring the invisible and the deliberately
# off-screen skip link), as "tag.class: right edge".
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || el.classList.contains("skip")) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      out.push(el.tagName.toLowerCase() + "." + el.className + ": " + Math.round(box.left)
        + ".." + Math.round(box.right));
    }
  }
  const scroll = document.documentElement.scrollWidth - width;
  if (scroll > 0) out.push("document scrolls sideways by " + scroll + " px");
  return out;
}"""

AXE = """async () => {
  const result = await axe.run(document);
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.help + " " + JSON.stringify(v.nodes.slice(0, 3).map(n => n.target)));
}"""


@pytest.fixture
def site(status_site):
    """The status site plus a subscriber, and every public page worth a look, by name."""
    incident = status_site["incident"]
    maintenance = services.maintenance_schedule(
        name="Database upgrade",
        scheduled_for=timezone.now() + timedelta(days=3),
        scheduled_until=timezone.now() + timedelta(days=3, hours=2),
        components=[status_site["api"]],
        actor=OPERATOR,
        body="Short read-only window.",
    )
    subscriber = Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="ann@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
    )
    manage = links.manage_url(subscriber).split("/", 3)[3]
    return {
        **status_site,
        "paths": {
            "index": "/",
            "history": "/history",
            "uptime": "/uptime",
            "incident": f"/incidents/{incident.public_id}",
            "maintenance": f"/maintenance/{maintenance.public_id}",
            "subscribe": "/subscribe",
            "subscribe-incident": f"/subscribe?incident={incident.public_id}",
            "confirm": links.confirm_url(subscriber).split("/", 3)[3],
            "manage": manage,
            "unsubscribe": links.unsubscribe_url(subscriber).split("/", 3)[3],
            "embed-status": "/embed/status",
        },
    }


def _visit(page, live_url: str, path: str) -> None:
    response = page.goto(f"{live_url}/{path.lstrip('/')}")
    assert response.status == 200, path


def _open_disclosure(page) -> None:
    page.locator("#subscribe > summary").click()
    page.wait_for_selector("#subscribe .panel", state="visible")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 390, 1280])
def test_every_page_fits_passes_axe_and_is_photographed(
    browser, live_url, site, axe_source, artifacts, scheme, width
):
    folder = artifacts / "design"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=width < 600
    )
    page = context.new_page()
    overflow, serious = {}, {}
    views = [(name, path, False) for name, path in site["paths"].items()]
    views.append(("index-subscribe-open", "/", True))
    for name, path, disclosure in views:
        _visit(page, live_url, path)
        if disclosure:
            _open_disclosure(page)
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


def test_header_keeps_one_line_at_390(browser, live_url, site):
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    page = context.new_page()
    for name in ("index", "history", "subscribe", "manage"):
        _visit(page, live_url, site["paths"][name])
        boxes = page.evaluate(
            """() => ({
              title: document.querySelector("header.site h1").getBoundingClientRect().toJSON(),
              items: [...document.querySelectorAll("nav.site > ul > li")]
                .map(li => li.getBoundingClientRect().toJSON()),
            })"""
        )
        items = boxes["items"]
        assert len(items) == 3, name
        # One row: every item shares the first one's vertical band, left to right...
        for item in items[1:]:
            assert abs(item["top"] - items[0]["top"]) < 8, (name, items)
        assert [i["left"] for i in items] == sorted(i["left"] for i in items), name
        # ...and the page name sits beside them, not above.
        title = boxes["title"]
        assert title["right"] <= items[0]["left"], (name, title, items[0])
        assert title["top"] < items[0]["bottom"] and items[0]["top"] < title["bottom"], name
    context.close()


SUBSCRIBER_PAGES = ("subscribe", "confirm", "manage", "unsubscribe")


def test_subscriber_pages_use_the_site_stylesheet_and_change_in_dark_mode(browser, live_url, site):
    seen = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        _visit(page, live_url, "/")
        site_sheets = page.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
        for name in SUBSCRIBER_PAGES:
            _visit(page, live_url, site["paths"][name])
            sheets = page.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
            assert sheets == site_sheets, name
            # The sheet really applied: the site's header and its button colours.
            assert page.locator("header.site").is_visible(), name
            seen[(name, scheme)] = page.evaluate(
                """() => [getComputedStyle(document.body).backgroundColor,
                          getComputedStyle(document.body).color,
                          getComputedStyle(document.querySelector("footer.site")).borderTopColor]"""
            )
        context.close()
    for name in SUBSCRIBER_PAGES:
        light, dark = seen[(name, "light")], seen[(name, "dark")]
        assert light[0] == "rgb(255, 255, 255)" and dark[0] == "rgb(13, 17, 23)", name
        assert light[1] != dark[1] and light[2] != dark[2], name


def test_subscribe_in_place_shows_each_channels_own_field(new_page, live_url, site):
    page = new_page
    _visit(page, live_url, "/")
    assert not page.locator("#subscribe .panel").is_visible()
    _open_disclosure(page)
    email = page.locator("#f-address_email")
    assert email.is_visible()
    assert email.get_attribute("type") == "email"
    assert email.get_attribute("autocomplete") == "email"
    assert not page.locator("#f-contact_email").is_visible()

    page.locator("label[for=ch-sms]").click()
    phone = page.locator("#f-address_sms")
    assert phone.is_visible() and not email.is_visible()
    assert phone.get_attribute("type") == "tel" and phone.get_attribute("autocomplete") == "tel"

    page.locator("label[for=ch-webhook]").click()
    hook = page.locator("#f-address_webhook")
    assert hook.is_visible() and hook.get_attribute("type") == "url"
    contact = page.locator("#f-contact_email")
    assert contact.is_visible() and contact.get_attribute("type") == "email"


def test_select_group_and_subscribe_with_javascript(new_page, live_url, site):
    page = new_page
    _visit(page, live_url, "/")
    _open_disclosure(page)
    group = ComponentGroup.objects.get(name="Edge network")
    form = page.locator("#subscribe form.subscribe-form")
    form.locator(f"input[name=groups][value='{group.id}']").check()
    members = form.locator(".group-choice", has_text="Edge network").locator(
        "input[name=components]"
    )
    assert members.count() == 2
    assert all(members.nth(i).is_checked() for i in range(members.count()))
    page.locator("#f-address_email").fill("bob@example.test")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Almost done").is_visible()
    sub = Subscriber.objects.get(address="bob@example.test")
    assert set(sub.components.values_list("name", flat=True)) == {"CDN", "DNS"}


def test_subscribe_without_javascript_falls_back_to_the_page(browser, live_url, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _visit(page, live_url, "/")
    _open_disclosure(page)  # <details> needs no script
    page.locator("label[for=ch-sms]").click()
    assert page.locator("#f-address_sms").is_visible()  # CSS alone shows the channel's field
    assert not page.locator("#f-address_email").is_visible()
    page.locator("#f-address_sms").fill("not a number")
    page.locator("#subscribe button[type=submit]").click()
    page.wait_for_load_state()
    # The server's answer is the full subscribe page, the SMS field kept and marked invalid.
    assert page.url.endswith("/subscribe")
    assert page.get_by_role("alert").is_visible()
    field = page.locator("#f-address_sms")
    assert field.is_visible() and field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "not a number"
    # "Select group" alone, without the script ticking its members, still means the group.
    group = ComponentGroup.objects.get(name="Core services")
    field.fill("")
    page.locator("label[for=ch-email]").click()
    page.locator("#f-address_email").fill("cy@example.test")
    page.locator(f"input[name=groups][value='{group.id}']").check()
    page.locator("form.subscribe-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Almost done").is_visible()
    sub = Subscriber.objects.get(address="cy@example.test")
    assert list(sub.components.all()) == list(Component.objects.filter(group=group))
    context.close()


@pytest.fixture
def dark_host(tmp_path):
    """A host page on a second origin: a static HTTP server on loopback (Chrome keeps pages of
    other address spaces from framing local ones)."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def write(html: str) -> str:
        (tmp_path / "host.html").write_text(html, encoding="utf-8")
        return f"http://127.0.0.1:{server.server_address[1]}/host.html"

    yield write
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.mark.parametrize("theme", ["dark", "transparent"])
def test_status_frame_is_readable_on_a_dark_host_page(
    browser, live_url, site, theme, artifacts, dark_host
):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    host = (
        '<!doctype html><html><body style="background:#111;margin:0">'
        f'<iframe src="{live_url}/embed/status?theme={theme}" title="Status" '
        'style="border:0;width:320px;height:40px"></iframe></body></html>'
    )
    page.goto(dark_host(host))
    frame = page.frame_locator("iframe")
    frame.locator(".description").wait_for()
    color = frame.locator(".description").evaluate("el => getComputedStyle(el).color")
    background = frame.locator("body").evaluate("el => getComputedStyle(el).backgroundColor")
    (artifacts / "design").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "design" / f"embed-status-on-dark-{theme}.png"))
    context.close()
    red, green, blue = (int(v) for v in color[color.index("(") + 1 : -1].split(",")[:3])
    assert min(red, green, blue) > 180, color  # light text, readable on the dark host
    if theme == "transparent":
        assert background == "rgba(0, 0, 0, 0)"
    else:
        assert background == "rgb(13, 17, 23)"


def test_status_frame_light_theme_ignores_a_dark_preference(browser, live_url, site):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    _visit(page, live_url, "/embed/status?theme=light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
    context.close()
