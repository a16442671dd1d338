"""The postmortem form's "What subscribers will receive" panel in a real browser: it follows the
text as the operator types, shows the subject, the email (its own document, in a sandboxed
frame, light and dark), the plain text and the SMS; what publishing then sends is the same;
nothing scrolls sideways at 390 px; axe finds nothing serious, light and dark, on the form and
on the email itself. Screenshots:
test-artifacts/postmortem-preview-<width>-<scheme>.png (the form's panel) and
test-artifacts/email-<width>-<scheme>.png (the rendered email at full height).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import SANDBOX_REFUSAL, console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

BODY = """## What happened

About **40%** of sign-ins failed for twenty minutes after a deploy.

- Sign-in may have failed
- Sessions were kept

## What changes

1. A canary stage before every deploy
2. An alert on the sign-in error rate

The [runbook](https://docs.example.test/runbook) has the details.
"""
# The email's page background in each scheme (status.css --card light, --bg dark).
EMAIL_BACKGROUND = {"light": "rgb(246, 248, 250)", "dark": "rgb(13, 17, 23)"}


def _resolved_incident():
    from django.utils.timezone import now

    from incidents import services
    from incidents.models import Component
    from notifications.models import Channel, Subscriber, SubscriberState

    api, web = Component.objects.get(name="API"), Component.objects.get(name="Web")
    incident = services.incident_create(
        name="Sign-in errors",
        body="Looking.",
        actor=services.SYSTEM,
        component_statuses={api: "major_outage", web: "degraded_performance"},
        notify=False,
    )
    services.incident_resolve(incident=incident, body="Fixed.", actor=services.SYSTEM, notify=False)
    for channel, address in ((Channel.EMAIL, "ann@example.test"), (Channel.SMS, "+14155550123")):
        Subscriber.objects.create(
            channel=channel, address=address, state=SubscriberState.ACTIVE, confirmed_at=now()
        )
    return incident


def _personal(text: str) -> str:
    """The subscriber's own manage and unsubscribe links, the one part a preview cannot know."""
    return re.sub(r"/(manage|unsubscribe)/[^\s\"<]+", "/LINK", text)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_postmortem_preview_shows_what_publishing_sends(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source, settings, mailoutbox
):
    from incidents.events import EventKind
    from notifications import render
    from notifications.models import Delivery, Event
    from notifications.services import delivery
    from notifications.services.delivery import build_message

    settings.NOTIFY_SMS_EVENTS = [EventKind.POSTMORTEM_PUBLISHED]
    _user, device = dash_admin
    incident = _resolved_incident()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    try:
        _sign_in(page, dash_site, device)
        url = f"{dash_site}/dashboard/incidents/{incident.public_id}/"
        page.goto(url)
        panel = page.locator("[data-subscriber-preview]")
        assert "Write the postmortem" in panel.inner_text()
        page.fill("textarea[name=body]", BODY)
        # The panel follows the text (dashboard.js, after a pause in typing).
        subject = page.locator("[data-preview-subject]")
        subject.wait_for()
        frame = page.frame_locator("iframe.email-frame")
        frame.locator("h2", has_text="What happened").wait_for()
        assert frame.locator("strong", has_text="40%").count() == 1
        assert (
            frame.locator("a", has_text="Read it on the status page")
            .get_attribute("href")
            .endswith(f"/incidents/{incident.public_id}")
        )
        page.locator("details.preview-text summary").click()
        shown = {
            "subject": subject.inner_text(),
            "text": page.locator("[data-preview-text]").inner_text(),
            "sms": page.locator("[data-preview-sms]").inner_text(),
        }
        assert "**" not in shown["text"] and "- Sign-in may have failed" in shown["text"]
        assert re.search(r"\d+ characters, GSM-7, [12] segments?", panel.inner_text())

        for width in (1280, 390, 1280):  # the frame grows, then shrinks back
            page.set_viewport_size({"width": width, "height": 900})
            assert _overflow(page) <= 0, width
            # The frame is as tall as the email at this width: no second scrollbar.
            page.wait_for_function(
                timeout=3000,
                expression="() => { const f = document.querySelector('iframe.email-frame');"
                " return Math.abs(f.getBoundingClientRect().height"
                " - f.contentDocument.body.scrollHeight) <= 4; }",
            )
            overflow = page.locator("iframe.email-frame").evaluate(
                "f => f.contentDocument.documentElement.scrollWidth"
                " - f.contentDocument.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the email scrolls sideways in its frame at {width}"
            page.locator("section", has=panel).screenshot(
                path=str(dash_artifacts / f"postmortem-preview-{width}-{scheme}.png")
            )
            assert _axe_serious(page, axe_source) == [], width
        assert page.csp_violations == []
        # The test's own listener (an init script) is refused in the frame: the sandbox lets
        # no script run there. That refusal is the one console line.
        sandboxed = [p for p in page.console_problems if p.startswith(SANDBOX_REFUSAL)]
        assert sandboxed and all(
            "/postmortem/preview/email/" in p or "'about:blank'" in p for p in sandboxed
        )
        assert console_problems(page) == []

        # The email itself, as its own document (what the frame shows), at both widths.
        email = page.context.new_page()
        email.emulate_media(color_scheme=scheme)
        email_url = f"{url}postmortem/preview/email/"
        for width in (390, 1280):
            email.set_viewport_size({"width": width, "height": 900})
            assert email.goto(email_url).status == 200
            background = email.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == EMAIL_BACKGROUND[scheme]
            assert _overflow(email) <= 0, width
            email.screenshot(
                path=str(dash_artifacts / f"email-{width}-{scheme}.png"), full_page=True
            )
            assert _axe_serious(email, axe_source) == [], f"email at {width}"
        email.close()

        # Publish: what goes out is what the panel showed.
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Publish and notify").click()
        page.wait_for_url(url)
        event = Event.objects.get(kind=EventKind.POSTMORTEM_PUBLISHED)
        # Without Redis the batch already ran in-process; with it, no worker listens here.
        delivery.batch_deliver(event_id=event.id)
        [mail] = mailoutbox
        assert mail.subject == shown["subject"]
        assert _personal(mail.body).strip() == _personal(shown["text"]).strip()
        [html] = [content for content, kind in mail.alternatives if kind == "text/html"]
        assert "<strong>40%</strong>" in html
        sms_row = Delivery.objects.select_related("subscriber").get(event=event, channel="sms")
        sent_sms = build_message(sms_row, sms_row.subscriber, render.event_view(event)).text
        assert sent_sms == shown["sms"]
    finally:
        page.context.close()
