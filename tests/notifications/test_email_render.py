"""What an email and an SMS say: Markdown rendered and sanitised in the HTML part, readable in
the text part, status labels as words, the incident's own link, the affected components; the
SMS within its length rules; a real SMTP conversation carrying the multipart message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from incidents.events import EventKind
from incidents.markdown import render_text
from incidents.models import Incident, Page
from notifications import email_style, render, sms_text
from notifications.models import Channel, Delivery, DeliveryState, Event
from notifications.preview import postmortem_preview
from notifications.services import delivery
from notifications.services.delivery import build_message

BODY = """## What happened

About **40%** of sign-ins failed for _twenty minutes_.

- Sign-in may fail
- Retry after a minute
  - nested detail

1. Found the cause
2. Rolled back

See [the runbook](https://docs.example.test/runbook) and <https://example.test/a>.

<script>alert(1)</script> <img src=x onerror=alert(2)> [bad](javascript:alert(3))
"""


def _public_url():
    return Page.objects.get().public_url


def _declare(operator, components, body=BODY, name="Sign-in errors"):
    services.incident_create(
        name=name,
        body=body,
        status="identified",
        component_statuses=components,
        actor=operator,
    )
    return Event.objects.latest("id")


def _message(event, channel=Channel.EMAIL):
    row = Delivery.objects.select_related("subscriber").get(event=event, channel=channel)
    return build_message(row, row.subscriber, render.event_view(event))


@pytest.fixture
def email_event(make_subscriber, operator, api, web):
    make_subscriber(address="ann@example.test")
    return _declare(
        operator, {api: ComponentStatus.MAJOR_OUTAGE, web: ComponentStatus.DEGRADED_PERFORMANCE}
    )


# --- the HTML part ------------------------------------------------------------------------------


def test_the_html_part_renders_the_markdown_and_keeps_no_script(email_event):
    html = _message(email_event).html
    assert "<strong>40%</strong>" in html and "**" not in html
    assert re.search(r"<h2 [^>]*>What happened</h2>", html)
    assert "## What happened" not in html
    assert re.search(r'<a href="https://docs.example.test/runbook"[^>]*>the runbook</a>', html)
    # The raw HTML stays visible as text, never as markup; the refused link is no link.
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)
    assert not re.search(r"href=\"\s*javascript", html, re.IGNORECASE)
    # The operator's `##` is smaller than the email's own headline.
    assert re.search(r"<h1 [^>]*font-size:20px", html)
    assert re.search(r"<h2 style=\"font-size:17px", html)


def test_the_html_part_says_the_status_in_words_and_lists_the_components(email_event):
    html = _message(email_event).html
    assert "identified" not in html.replace("Identified", "")
    assert "Identified</strong>" in html
    assert "Affected components" in html
    assert re.search(r">API</td>.*Major outage</strong>", html)
    assert re.search(r">Web</td>.*Degraded performance</strong>", html)
    body = html.split("</head>")[1]
    assert "major_outage" not in re.sub(r'class="[^"]*"', "", body)


def test_every_link_goes_to_the_incident_not_the_site_root(email_event, page):
    message = _message(email_event)
    permalink = f"{_public_url()}/incidents/{email_event.incident.public_id}"
    assert f'href="{permalink}"' in message.html
    assert f"Read it on the status page: {permalink}" in message.text
    assert f'href="{_public_url()}"' not in message.html


def test_the_html_part_is_the_design_system_inlined_for_mail_clients(email_event):
    html = _message(email_event).html
    # Inline styles carry the light design; the <style> block only adds dark mode.
    assert 'class="e-page" style="' in html and "background:#f6f8fa" in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "system-ui" in html
    # No external fonts, stylesheets or images: nothing a client would fetch.
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<img" not in html


def _css_tokens(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z_-]+):\s*(#[0-9a-f]{6})", block))


def test_the_email_colours_are_the_status_pages_tokens():
    """The email cannot link status.css; its copied values must stay the stylesheet's."""
    css = (Path(settings.BASE_DIR) / "statuspage/static/public/status.css").read_text()
    root = css.split("@media (prefers-color-scheme: dark)")[0]
    dark = css.split("@media (prefers-color-scheme: dark)")[1].split("}")[0]
    light_tokens, dark_tokens = _css_tokens(root), _css_tokens(dark)
    for name, value in email_style.LIGHT.items():
        assert light_tokens[name if name != "link" else "accent"] == value, name
    for name, value in email_style.DARK.items():
        assert dark_tokens[name] == value, name
    for status, value in email_style.STATUS_LIGHT.items():
        assert light_tokens[f"c-{status}"] == value, status
    for status, value in email_style.STATUS_DARK.items():
        assert dark_tokens[f"t-{status}"] == value, status
    assert email_style.FONT in root


def test_table_alignment_becomes_an_inline_style():
    from incidents.markdown import render_markdown

    html = email_style.inline_markdown(render_markdown("| a | b |\n|:-:|--:|\n| 1 | 2 |"))
    assert "text-align:center" in html and "text-align:right" in html
    assert "md-center" not in html and "md-right" not in html


# --- the text part ------------------------------------------------------------------------------


def test_the_text_part_reads_as_text(email_event, page):
    text = _message(email_event).text
    lines = text.splitlines()
    assert lines[0] == "Incident update: Sign-in errors" or lines[0].startswith("New incident")
    assert "Status: Identified" in lines
    assert "**" not in text and "##" not in text and "_twenty" not in text
    assert "About 40% of sign-ins failed for twenty minutes." in lines
    assert lines[lines.index("What happened") :][:2] == ["What happened", "============="]
    assert "- Sign-in may fail" in lines and "  - nested detail" in lines
    assert "1. Found the cause" in lines and "2. Rolled back" in lines
    assert "the runbook (https://docs.example.test/runbook)" in text
    assert "and https://example.test/a." in text  # an autolink is not said twice
    assert "bad (javascript:" not in text  # a refused link is no link: its source shows
    assert "Affected components:\n- API: Major outage\n- Web: Degraded performance" in text
    assert text.endswith("/unsubscribe/" + text.rsplit("/unsubscribe/", 1)[1])


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("**bold** and *em* and ~~gone~~", "bold and em and gone"),
        ("# Title", "Title\n====="),
        ("### Small", "Small\n-----"),
        ("3. three\n4. four", "3. three\n4. four"),
        ("- a\n\n- b", "- a\n\n- b"),
        ("> quoted\n> more", "> quoted\n> more"),
        ("```\nx = 1\n```", "    x = 1"),
        ("    indented", "    indented"),
        ("a\n\n---\n\nb", "a\n\n--------------------\n\nb"),
        ("| h | i |\n|---|---|\n| 1 | 2 |", "h | i\n1 | 2"),
        ("[mail](mailto:ops@example.test)", "mail (ops@example.test)"),
        ("<mailto:ops@example.test>", "ops@example.test"),
        ("[rel](/incidents/x)", "rel"),
        ("![diagram](https://example.test/d.png)", "diagram"),
        ("line one  \nline two", "line one\nline two"),
        ("`**not bold**`", "**not bold**"),
        ("", ""),
    ],
)
def test_markdown_to_text(markdown, text):
    assert render_text(markdown) == text


def test_chat_messages_carry_the_text_and_the_incident_link(make_subscriber, operator, api, page):
    make_subscriber(channel=Channel.SLACK, address="https://hooks.slack.com/services/T0/B0/x")
    event = _declare(operator, {api: ComponentStatus.MAJOR_OUTAGE})
    summary = _message(event, Channel.SLACK).payload
    assert "**" not in summary["text"] and "About 40% of sign-ins" in summary["text"]
    assert summary["url"] == f"{_public_url()}/incidents/{event.incident.public_id}"


def test_maintenance_emails_say_when_and_link_the_window(make_subscriber, operator, api, page):
    make_subscriber(address="ann@example.test")
    start = timezone.now() + timezone.timedelta(days=1)
    maintenance = services.maintenance_schedule(
        name="DB upgrade",
        components=[api],
        body="Read-only for **ten** minutes.",
        scheduled_for=start,
        scheduled_until=start + timezone.timedelta(hours=2),
        actor=operator,
    )
    message = _message(Event.objects.latest("id"))
    assert message.text.startswith("Maintenance scheduled: DB upgrade\nStatus: Scheduled\nWhen: ")
    assert "Read-only for ten minutes." in message.text
    assert "<strong>ten</strong>" in message.html and "When:</strong>" in message.html
    assert f"{_public_url()}/maintenance/{maintenance.public_id}" in message.html
    assert "- API: Operational" in message.text


def test_a_cancelled_window_says_cancelled(make_subscriber, operator, api):
    make_subscriber(address="ann@example.test")
    start = timezone.now() + timezone.timedelta(days=1)
    maintenance = services.maintenance_schedule(
        name="DB upgrade",
        components=[api],
        body="",
        scheduled_for=start,
        scheduled_until=start + timezone.timedelta(hours=2),
        actor=operator,
    )
    services.maintenance_cancel(maintenance=maintenance, actor=operator)
    message = _message(Event.objects.latest("id"))
    assert "Status: Cancelled" in message.text and "Cancelled</strong>" in message.html


# --- the SMS and its length rules --------------------------------------------------------------


def test_the_sms_has_the_label_the_components_and_the_permalink(
    make_subscriber, operator, api, web, page
):
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    event = _declare(operator, {api: ComponentStatus.MAJOR_OUTAGE, web: "partial_outage"})
    text = _message(event, Channel.SMS).text
    permalink = f"{_public_url()}/incidents/{event.incident.public_id}"
    assert text == (
        f"Status: New incident - Sign-in errors (Identified). Affected: API, Web. "
        f"{permalink} Reply STOP to stop."
    )
    assert sms_text.measure(text) == sms_text.Length("GSM-7", len(text), 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("GSM-7", 160, 1)),
        ("a" * 161, ("GSM-7", 161, 2)),
        ("a" * 306, ("GSM-7", 306, 2)),
        ("a" * 307, ("GSM-7", 307, 3)),
        ("a" * 159 + "€", ("GSM-7", 161, 2)),  # € takes two septets
        ("a" * 158 + "[", ("GSM-7", 160, 1)),
        # An escape pair never straddles two segments: 152 + 2 goes to the second one.
        ("a" * 152 + "{" + "a" * 151, ("GSM-7", 305, 2)),
        ("a" * 152 + "{" + "a" * 152, ("GSM-7", 306, 3)),
        ("ł" * 70, ("UCS-2", 70, 1)),
        ("ł" * 71, ("UCS-2", 71, 2)),
        ("ł" * 134, ("UCS-2", 134, 2)),
        ("ł" * 135, ("UCS-2", 135, 3)),
        ("a" * 65 + "\U0001f525" * 2 + "a", ("UCS-2", 70, 1)),
        # A surrogate pair never splits: 66 + 2 goes whole to the second segment.
        ("a" * 67 + "\U0001f525" + "a" * 65, ("UCS-2", 134, 2)),
        ("a" * 66 + "\U0001f525" + "a" * 66, ("UCS-2", 134, 3)),
        ("", ("GSM-7", 0, 0)),
    ],
)
def test_sms_segments_at_the_boundaries(text, expected):
    assert sms_text.measure(text) == sms_text.Length(*expected)


def test_typographic_and_accented_characters_keep_gsm7():
    assert sms_text.gsm_safe("It’s “down” – ok… Zürich Çé Łódź ş") == (
        'It\'s "down" - ok... Zürich Çé Łodz s'
    )
    assert sms_text.is_gsm7(sms_text.gsm_safe("It’s “down” – Zürich ş ő"))


def _render(title, components):
    return f"Acme: New incident - {title}.{' Affected: ' + components if components else ''} END"


def test_fit_keeps_everything_when_it_fits():
    assert sms_text.fit(_render, "DB down", ["API", "Web"]) == (
        "Acme: New incident - DB down. Affected: API, Web END"
    )


def test_fit_shortens_the_components_first_then_the_title():
    fixed = len(_render("", ""))  # 25
    title = "t" * (306 - fixed)  # fits exactly with no components
    assert sms_text.fit(_render, title, []) == _render(title, "")
    # One character more: the title is cut (at a word: none here, so at the limit).
    cut = sms_text.fit(_render, title + "t", [])
    assert len(cut) == 306 and cut.endswith("... END")
    # Components give way to a count before the title is touched.
    names = [f"Component {i}" for i in range(30)]
    text = sms_text.fit(_render, "DB down", names)
    assert "DB down." in text and " and " in text and " more END" in text
    assert len(text) <= 306
    shown = text.split("Affected: ")[1].split(" and ")[0].split(", ")
    # The fullest list: one more name would not fit.
    longer = _render("DB down", sms_text.components_summary(names, len(shown) + 1))
    assert len(longer) > 306


def test_fit_counts_ucs2_when_the_text_needs_it():
    title = "障害 " * 60
    text = sms_text.fit(_render, title, ["API"])
    assert sms_text.measure(text).encoding == "UCS-2"
    assert sms_text.measure(text).segments == 2 and "障害..." in text
    assert text.endswith("Affected: 1 component END")
    assert sms_text.fit(_render, "", []) == _render("", "")


def test_fit_sends_the_shortest_text_when_nothing_fits():
    def huge(title, components):
        return "x" * 400 + title + components

    assert sms_text.fit(huge, "title", ["API"]) == "x" * 400


def test_cut():
    assert sms_text.cut("DB is down now", 14) == "DB is down now"
    assert sms_text.cut("DB is down now", 13) == "DB is..."
    assert sms_text.cut("abcdefgh", 6) == "abc..."
    assert sms_text.cut("abcdefgh", 4) == "a..."
    assert sms_text.cut("abcdefgh", 3) == ""
    assert sms_text.cut("abcdefgh", 0) == ""


def test_long_sms_in_ucs2_stays_within_two_segments(make_subscriber, operator, api, page):
    Page.objects.update(name="Статус")  # Cyrillic: UCS-2, 67 units a segment
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    event = _declare(operator, {api: ComponentStatus.MAJOR_OUTAGE}, name="Сбой входа " * 15)
    text = _message(event, Channel.SMS).text
    length = sms_text.measure(text)
    assert length.encoding == "UCS-2" and length.segments <= 2
    assert text.startswith("Статус: New incident - Сбой") and text.endswith("Reply STOP to stop.")
    assert f"/incidents/{event.incident.public_id}" in text


# --- the preview is the sender's output ---------------------------------------------------------


def test_the_postmortem_preview_is_what_publishing_sends(
    smtp_sink, make_subscriber, operator, api, settings
):
    settings.NOTIFY_SMS_EVENTS = [EventKind.POSTMORTEM_PUBLISHED]
    make_subscriber(address="ann@example.test")
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    services.incident_create(
        name="Sign-in errors",
        body="Looking.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
        notify=False,
    )
    incident = Incident.objects.get()
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator, notify=False)
    preview = postmortem_preview(incident, BODY)
    services.postmortem_save_draft(incident=incident, body=BODY, actor=operator)
    services.postmortem_publish(incident=incident, actor=operator)
    event = Event.objects.get(kind=EventKind.POSTMORTEM_PUBLISHED)
    email_row = Delivery.objects.select_related("subscriber").get(event=event, channel="email")
    sent = build_message(email_row, email_row.subscriber, render.event_view(event))
    assert preview.subject == sent.subject
    # Only the subscriber's own links differ.
    personal = re.compile(r"/(manage|unsubscribe)/[^\s\"<]+")
    assert personal.sub("/LINK", preview.text) == personal.sub("/LINK", sent.text)
    assert personal.sub("/LINK", preview.html) == personal.sub("/LINK", sent.html)
    sms_row = Delivery.objects.select_related("subscriber").get(event=event, channel="sms")
    assert preview.sms == build_message(sms_row, sms_row.subscriber, render.event_view(event)).text
    assert preview.sms_length.segments == 1
    assert Delivery.objects.filter(event=event).count() == 2


def test_a_real_smtp_conversation_delivers_the_multipart_message(
    smtp_sink, make_subscriber, operator, api, web, page
):
    make_subscriber(address="ann@example.test")
    event = _declare(
        operator, {api: ComponentStatus.MAJOR_OUTAGE, web: ComponentStatus.PARTIAL_OUTAGE}
    )
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert delivery.batch_deliver(event_id=event.id)["sent"] == 1
    assert Delivery.objects.get().state == DeliveryState.SENT
    [mail] = smtp_sink.messages
    assert mail["Subject"] == "[Status] Sign-in errors"
    assert mail.get_content_type() == "multipart/alternative"
    text_part, html_part = mail.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    text = text_part.get_content().replace("\r\n", "\n")
    html = html_part.get_content()
    permalink = f"{_public_url()}/incidents/{event.incident.public_id}"
    assert "Status: Identified" in text and "**" not in text
    assert "- Sign-in may fail" in text and permalink in text
    assert "- API: Major outage\n- Web: Partial outage" in text
    assert "<strong>40%</strong>" in html and "<script" not in html
    assert f'href="{permalink}"' in html and "Partial outage" in html
    assert str(mail["List-Unsubscribe"]).strip(" <>") in text
