"""Emails built from their batch's template (notifications.mime) are the very bytes Django's
mail API builds for the same message, for every kind of subject, body and address; what the
template cannot build exactly is built the ordinary way."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs, mime, render
from notifications.models import Delivery, DeliveryState, Event
from notifications.services.messages import build_message

DATE = "Thu, 03 Dec 2026 14:49:50 -0000"

NAMES = [
    "API errors",
    "Störung der Datenbank: Anmeldungen schlagen fehl",
    "A very long incident name that goes on and on well past the seventy-eight characters "
    "a header line should keep to, so that the subject must be folded",
    "Долгое название инцидента на русском языке, которое нужно сложить в несколько строк",
    "日本語の障害: ログインできない",
    'Quotes "and" <angle> brackets, commas; semicolons = equals ?=',
]
BODIES = [
    "Errors & timeouts <now>.",
    "Wir untersuchen erhöhte Fehlerraten. **Bitte** später erneut versuchen – danke.",
    "Line one.\n\nA [link](https://example.test/a?b=c&d=e) and a list:\n\n- one\n- two",
]
ASCII_ADDRESSES = [
    "ann@example.test",
    "Ann.Lee+tag@Example.TEST",
    "o'brien_x-y@mail.example-test.co",
    "x=y?z@example.test",
    "a{b}|c~d#e$f%g&h*i^j`k@example.test",
]


@pytest.fixture
def fixed_date(monkeypatch):
    """The same Date on both paths: Django formats it at build time."""
    monkeypatch.setattr("django.core.mail.message.formatdate", lambda **kwargs: DATE)
    monkeypatch.setattr(mime, "date_header", lambda: DATE)


def _django_bytes(message) -> bytes:
    """The message as Django's mail API builds it (EmailTransport's other path)."""
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email="status@localhost",
        to=[message.address],
        headers=message.headers,
    )
    mail.attach_alternative(message.html, "text/html")
    return mail.message().as_bytes(linesep="\r\n")


def _same_boundary(raw: bytes, other: bytes) -> bytes:
    """`other` with `raw`'s MIME boundary (Django draws a random one per message)."""
    mine = re.search(rb'boundary="([^"]+)"', raw).group(1)
    theirs = re.search(rb'boundary="([^"]+)"', other).group(1)
    return other.replace(theirs, mine)


def _messages(event_kind_rows):
    event = Event.objects.get(pk=event_kind_rows)
    view = render.event_view(event)
    rows = Delivery.objects.filter(event=event).select_related("subscriber").order_by("id")
    return [build_message(row, row.subscriber, view) for row in rows]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("body", BODIES)
def test_template_bytes_are_the_bytes_django_builds(
    fixed_date, make_subscriber, api, operator, name, body
):
    for address in ASCII_ADDRESSES:
        make_subscriber(address=address)
    incident = services.incident_create(
        name=name,
        body=body,
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    # The opening email (its Message-ID is the thread root) and a reply in the thread.
    services.incident_update_post(incident=incident, status="identified", body=body, actor=operator)
    events = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(events) == 2
    for event_id in events:
        messages = _messages(event_id)
        assert len(messages) == len(ASCII_ADDRESSES)
        for message in messages:
            assert message.raw is not None, message.address
            expected = _django_bytes(message)
            assert message.raw == _same_boundary(message.raw, expected)
            # The envelope Django's SMTP backend would give.
            assert message.sender == sanitize_address("status@localhost", "utf-8")
            assert message.address == sanitize_address(message.address, "utf-8")
            parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
            assert parsed["To"] == message.address
            # Django's own folding of an encoded subject leaves a leading space; the bytes are
            # the same as Django's anyway (above).
            assert " ".join(str(parsed["Subject"]).split()) == message.subject
            assert parsed["Message-ID"] == message.headers["Message-ID"]
            for kind, part in (("plain", message.text), ("html", message.html)):
                content = parsed.get_body((kind,)).get_content()
                assert content.splitlines() == part.splitlines()
        # Each subscriber's own links, Message-ID and To.
        assert len({m.raw for m in messages}) == len(messages)


@pytest.mark.parametrize(
    "address",
    [
        "jörg@example.test",
        "ann@bücher.example",
        '"a b"@example.test',
        "a..b@x.test",
        "=?utf-8?q?x?=@example.test",
    ],
)
def test_an_address_needing_encoding_is_built_the_ordinary_way(
    fixed_date, make_subscriber, api, operator, address
):
    make_subscriber(address=address)
    make_subscriber(address="ann@example.test")
    services.incident_create(
        name="API errors",
        body="Body.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    odd, plain = _messages(Event.objects.get().pk)
    assert odd.raw is None and odd.subject and odd.html
    assert plain.raw is not None


def test_a_body_django_would_encode_is_built_the_ordinary_way(
    fixed_date, make_subscriber, api, operator
):
    make_subscriber()
    services.incident_create(
        name="API errors",
        body="x" * 1200,  # longer than a line of SMTP: sent quoted-printable
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    [message] = _messages(Event.objects.get().pk)
    assert message.raw is None


def _template(text: str) -> mime.MimeTemplate:
    manage = mime.placeholder(mime.MANAGE)
    unsubscribe = mime.placeholder(mime.UNSUBSCRIBE)
    template = mime.build_template(
        subject="S",
        text=text.replace("MANAGE", manage).replace("UNSUB", unsubscribe),
        html=f'<a href="{manage}">m</a>',
        headers={
            "Message-ID": mime.placeholder("message-id"),
            "List-Unsubscribe": f"<{unsubscribe}>",
        },
        slots=["message-id"],
    )
    assert template is not None
    return template


def _values(**changes: str) -> dict[str, str]:
    return {
        mime.TO: "ann@example.test",
        mime.DATE: DATE,
        mime.MANAGE: "https://status.example.test/manage/abc:def",
        mime.UNSUBSCRIBE: "https://status.example.test/unsubscribe/abc:def",
        "message-id": "<delivery-1-x@localhost>",
        **changes,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {mime.TO: "ann@example.test\r\nBcc: eve@example.test"},
        {mime.TO: "ann@example.test, eve@example.test"},
        {"message-id": "<x@localhost>\r\nBcc: eve@example.test"},
        {"message-id": "<x@localhost> folded"},
        {mime.MANAGE: "https://status.example.test/manage/é"},
        {mime.UNSUBSCRIBE: "https://status.example.test/u\nX-Injected: 1"},
    ],
)
def test_a_value_that_could_inject_or_need_encoding_is_refused(changes):
    template = _template("Manage: MANAGE\nUnsubscribe: UNSUB")
    assert template.fill(_values()) is not None
    assert template.fill(_values(**changes)) is None


def test_a_link_that_would_make_a_line_too_long_is_refused():
    template = _template("y" * 800 + " MANAGE and UNSUB")
    assert template.fill(_values()) is not None
    long_link = "https://status.example.test/manage/" + "a" * 100
    assert template.fill(_values(**{mime.MANAGE: long_link})) is None
    filled = template.fill(_values())
    assert max(len(line) for line in filled.split(b"\r\n")) <= 998


def test_a_real_smtp_conversation_delivers_the_template_bytes(
    smtp_sink, make_subscriber, api, operator
):
    make_subscriber(address="ann@example.test")
    make_subscriber(address="Bob.Lee+x@example.test")
    make_subscriber(address="jörg@example.test")  # built the ordinary way
    services.incident_create(
        name="Störung: API errors",
        body="Erhöhte Fehlerraten – wir prüfen.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    jobs.deliver_batch(Event.objects.get().pk, 0)
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == sorted(
        ["ann@example.test", "Bob.Lee+x@example.test", "jörg@example.test"]
    )
    for msg in smtp_sink.messages:
        assert str(msg["Subject"]).endswith("Störung: API errors")
        assert "Erhöhte Fehlerraten – wir prüfen." in msg.get_body(("plain",)).get_content()
        unsubscribe = str(msg["List-Unsubscribe"]).strip()[1:-1]
        assert f'href="{unsubscribe}"' in msg.get_body(("html",)).get_content()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_queries_per_batch_do_not_grow_with_its_size(smtp_sink, make_subscriber, api, operator):
    def batch_queries(subscribers: int) -> int:
        for n in range(subscribers):
            make_subscriber(address=f"user{n}-{subscribers}@example.test")
        incident = services.incident_create(
            name="API errors",
            body="Body.",
            component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
            actor=operator,
        )
        event = Event.objects.get(incident=incident)
        with CaptureQueriesContext(connection) as captured:
            jobs.deliver_batch(event.pk, 0)
        assert not Delivery.objects.filter(event=event).exclude(state=DeliveryState.SENT)
        Delivery.objects.all().delete()
        from notifications.models import Subscriber

        Subscriber.objects.all().delete()
        return len(captured)

    assert batch_queries(40) == batch_queries(4)


def test_a_header_value_longer_than_django_folds_plainly_is_refused():
    template = _template("Manage: MANAGE")
    assert template.fill(_values(**{"message-id": "<" + "m" * 880 + "@localhost>"})) is not None
    assert template.fill(_values(**{"message-id": "<" + "m" * 900 + "@localhost>"})) is None


def test_a_template_missing_a_per_message_header_is_not_built():
    # "references" is named as a per-message slot but no header carries it.
    assert (
        mime.build_template(
            subject="S",
            text=f"Manage: {mime.placeholder(mime.MANAGE)}",
            html="",
            headers={"Message-ID": mime.placeholder("message-id")},
            slots=["message-id", "references"],
        )
        is None
    )


def test_a_per_message_value_in_the_body_is_not_built():
    # The Message-ID placeholder in the text: a value this module would fill unfolded.
    assert (
        mime.build_template(
            subject="S",
            text=f"Id: {mime.placeholder('message-id')}",
            html="",
            headers={"X-Other": "constant"},
            slots=["message-id"],
        )
        is None
    )


def test_a_folded_message_id_is_folded_as_django_folds_it(fixed_date):
    template = _template("Manage: MANAGE")
    for length in range(40, 90):
        message_id = "<" + "m" * (length - 12) + "@localhost>"
        filled = template.fill(_values(**{"message-id": message_id}))
        mail = EmailMultiAlternatives(
            subject="S",
            body=f"Manage: {_values()[mime.MANAGE]}",
            from_email="status@localhost",
            to=["ann@example.test"],
            headers={
                "Date": DATE,
                "Message-ID": message_id,
                "List-Unsubscribe": f"<{_values()[mime.UNSUBSCRIBE]}>",
            },
        )
        mail.attach_alternative(f'<a href="{_values()[mime.MANAGE]}">m</a>', "text/html")
        expected = mail.message().as_bytes(linesep="\r\n")
        assert filled == _same_boundary(filled, expected), length
