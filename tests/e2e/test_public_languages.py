"""The public pages in Arabic (right to left) and Japanese (CJK) in a real browser at 390 px:
nothing overflows, no two texts overlap, axe-core finds no serious or critical violation, the
uptime bars still run left to right in time on the mirrored page, and the script's dates and
words follow the page's language. The subscribe form and a subscriber's manage page (its
language's choice) too. Screenshots: test-artifacts/languages/."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications import links
from notifications.models import Channel, Subscriber, SubscriberState
from tests.e2e.test_public_design import AXE, OVERFLOWING
from tests.e2e.test_public_page import status_site

__all__ = ["status_site"]

# Pairs of text boxes (each text node's line boxes) that cover each other by more than a
# sliver, as "text A / text B". Boxes of hidden or clipped-away text (the bars' summaries,
# screen-reader-only words) have no size and are skipped.
OVERLAPS = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const host = node.parentElement;
    const style = getComputedStyle(host);
    if (style.visibility === "hidden" || host.closest("[hidden], .sr-only, .sum, .skip")) continue;
    // A closed disclosure's contents are not shown (Chromium may still lay them out).
    const shut = host.closest("details:not([open])");
    if (shut && !host.closest("summary")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 2 && r.height > 2) boxes.push([r, node.textContent.trim().slice(0, 30)]);
    }
  }
  const out = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i][0], b = boxes[j][0];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push(boxes[i][1] + " / " + boxes[j][1]);
    }
  }
  return out.slice(0, 10);
}"""

# The first (oldest) and last (today's) cell of every uptime bar, left edges in px.
BAR_ENDS = """() => Array.from(document.querySelectorAll(".uptime ol.bars")).map(ol => {
  const cells = ol.querySelectorAll("li");
  const left = (cell) => cell.getBoundingClientRect().left;
  return [left(cells[0]), left(cells[cells.length - 1])];
})"""


@pytest.mark.parametrize("code", ["ar", "ja"])
def test_pages_in_arabic_and_japanese_fit_read_well_and_pass_axe(
    browser, live_url, status_site, axe_source, artifacts, code
):
    folder = artifacts / "languages"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    page = context.new_page()
    incident = status_site["incident"].public_id
    subscriber = Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="reader@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
        language=code,
    )
    problems = {}
    for name, path in [
        ("index", f"/{code}/"),
        ("history", f"/{code}/history"),
        ("uptime", f"/{code}/uptime"),
        ("incident", f"/{code}/incidents/{incident}"),
        ("subscribe", f"/{code}/subscribe"),
        # The subscriber's own page speaks the subscriber's language, without a prefix.
        ("manage", "/" + links.manage_url(subscriber).split("/", 3)[3]),
    ]:
        response = page.goto(f"{live_url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
        html = page.locator("html")
        assert html.get_attribute("lang") == code
        assert html.get_attribute("dir") == ("rtl" if code == "ar" else "ltr")
        found = {
            "overflow": page.evaluate(OVERFLOWING),
            "overlap": page.evaluate(OVERLAPS),
        }
        page.add_script_tag(content=axe_source)
        found["axe"] = page.evaluate(AXE)
        if any(found.values()):
            problems[name] = {k: v for k, v in found.items() if v}
        page.screenshot(path=str(folder / f"{name}-{code}-390.png"), full_page=True)
        if name == "index":
            ends = page.evaluate(BAR_ENDS)
            assert ends, "no uptime bars on the front page"
            # Time runs left to right on the bars, on a right-to-left page too.
            assert all(first < last for first, last in ends), ends
            # The script redrew the bars and times in the page's language, not the browser's.
            figure = page.locator(".uptime .figure").first.inner_text()
            assert "uptime" not in figure, figure
            assert page.locator("#tz-note").inner_text() != ""
    context.close()
    assert problems == {}
