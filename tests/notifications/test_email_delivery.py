"""Email deliveries through a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs
from notifications.models import Delivery, DeliveryState, Event
from notifications.services.subscriptions import subscriber_unsubscribe
from tests.notifications.delivered import deliver_all


def _incident(operator, component, body="Errors & timeouts <now>."):
    return services.incident_create(
        name="API errors",
        body=body,
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def test_subscribers_receive_text_and_html_with_unsubscribe_headers(
    smtp_sink, make_subscriber, api, operator
):
    make_subscriber(address="ann@example.test")
    _incident(operator, api)
    deliver_all()
    [msg] = smtp_sink.messages
    assert msg["To"] == "ann@example.test"
    assert msg["Subject"].startswith("[") and "API errors" in msg["Subject"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        str(msg["List-Unsubscribe"]).strip().startswith("<https://status.example.test/unsubscribe/")
    )
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # Text is not HTML-escaped; HTML is.
    assert "Errors & timeouts <now>." in text
    assert "Errors &amp; timeouts &lt;now&gt;." in html
    # Each subscriber's own signed links, in both parts.
    unsubscribe = str(msg["List-Unsubscribe"]).strip()[1:-1]
    assert f"Unsubscribe: {unsubscribe}" in text
    assert f'href="{unsubscribe}"' in html
    assert "https://status.example.test/manage/" in text
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT and row.attempts == 1
    assert row.provider_id == msg["Message-ID"]


def _headers(msg) -> dict:
    return {
        name: str(msg[name] or "").strip() for name in ("Message-ID", "In-Reply-To", "References")
    }


def test_an_incident_is_one_thread_whose_root_each_subscriber_received(
    smtp_sink, make_subscriber, api, operator
):
    ann = make_subscriber(address="ann@example.test")
    bob = make_subscriber(address="bob@example.test")
    incident = _incident(operator, api)
    services.incident_update_post(incident=incident, status="identified", body="x", actor=operator)
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    deliver_all()
    for sub in (ann, bob):
        created, updated, resolved = [m for m in smtp_sink.messages if m["To"] == sub.address]
        root = f"<{incident.public_id}.{sub.public_id}@localhost>"
        # The opening email is the thread root; every later one refers to it.
        assert _headers(created) == {"Message-ID": root, "In-Reply-To": "", "References": ""}
        for later in (updated, resolved):
            later_headers = _headers(later)
            assert later_headers["In-Reply-To"] == later_headers["References"] == root
            assert later_headers["Message-ID"] not in (root, _headers(created)["Message-ID"])
        # One subject for the whole incident; what happened is the body's first lines.
        assert {m["Subject"] for m in (created, updated, resolved)} == {"[Status] API errors"}
        first_lines = [
            m.get_body(("plain",)).get_content().splitlines()[:2]
            for m in (created, updated, resolved)
        ]
        assert first_lines == [
            ["New incident: API errors", "Status: Investigating"],
            ["Incident update: API errors", "Status: Identified"],
            ["Resolved: API errors", "Status: Resolved"],
        ]
    all_ids = [m["Message-ID"] for m in smtp_sink.messages]
    assert len(set(all_ids)) == len(all_ids) == 6


def test_message_ids_are_stable_across_retries(smtp_sink, make_subscriber, api, operator):
    from notifications import render
    from notifications.services.delivery import build_message

    make_subscriber()
    incident = _incident(operator, api)
    services.incident_update_post(incident=incident, status="identified", body="x", actor=operator)
    for event in Event.objects.order_by("id"):
        row = Delivery.objects.select_related("subscriber").get(event=event)
        built = [
            build_message(row, row.subscriber, render.event_view(event)).headers["Message-ID"]
            for _ in range(2)
        ]
        assert built[0] == built[1]


def test_maintenance_emails_thread_on_the_scheduling_email(
    smtp_sink, make_subscriber, api, operator
):
    from datetime import timedelta

    sub = make_subscriber(components=[api])
    start = timezone.now() + timedelta(days=1)
    maintenance = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    services.maintenance_start(maintenance=maintenance, actor=operator)
    services.maintenance_complete(maintenance=maintenance, actor=operator)
    deliver_all()
    scheduled, started, completed = smtp_sink.messages
    root = f"<{maintenance.public_id}.{sub.public_id}@localhost>"
    assert scheduled["Message-ID"] == root
    assert started["References"] == completed["References"] == root
    assert {m["Subject"] for m in smtp_sink.messages} == {"[Status] Maintenance: DB upgrade"}


def test_component_change_emails_start_no_thread(smtp_sink, make_subscriber, api, operator, page):
    from incidents.models import Page

    Page.objects.update(notify_component_changes=True)
    make_subscriber()
    services.component_status_set(
        component=api, status=ComponentStatus.PARTIAL_OUTAGE, actor=operator, notify=True
    )
    deliver_all()
    [msg] = smtp_sink.messages
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert msg["Subject"] == "[Status] API: Partial outage"


def test_one_smtp_session_carries_a_whole_batch(smtp_sink, make_subscriber, api, operator):
    for n in range(5):
        make_subscriber(address=f"s{n}@example.test")
    _incident(operator, api)
    deliver_all()
    assert sorted(m["To"] for m in smtp_sink.messages) == [f"s{n}@example.test" for n in range(5)]
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 5
    # One connection (one EHLO) for the batch, and every message went through it.
    [session] = smtp_sink.sessions
    assert all(carrier is session for carrier in smtp_sink.session_of)


def test_each_batch_opens_its_own_smtp_session(smtp_sink, make_subscriber, api, operator, settings):
    """The counter sees separate connections: two batch jobs, two sessions."""
    settings.NOTIFY_BATCH_SIZE = 3
    for n in range(5):
        make_subscriber(address=f"s{n}@example.test")
    _incident(operator, api)
    event = Event.objects.get()
    jobs.deliver_batch(event.id, 0)
    jobs.deliver_batch(event.id, 1)
    assert len(smtp_sink.messages) == 5
    assert len(smtp_sink.sessions) == 2
    first, second = smtp_sink.sessions
    assert [s is first for s in smtp_sink.session_of] == [True] * 3 + [False] * 2


def test_a_permanent_recipient_refusal_fails_the_row_at_once(
    smtp_sink, make_subscriber, api, operator
):
    smtp_sink.refuse["gone@example.test"] = "550 5.1.1 No such user"
    make_subscriber(address="gone@example.test")
    make_subscriber(address="ann@example.test")
    _incident(operator, api)
    event = Event.objects.get()
    assert jobs.deliver_batch(event.id, 0) == {"sent": 1, "retry": 0, "failed": 1, "dead": 0}
    refused = Delivery.objects.get(subscriber__address="gone@example.test")
    assert refused.state == DeliveryState.FAILED and refused.attempts == 1
    assert refused.last_error == "Recipient refused (550)"
    assert [m["To"] for m in smtp_sink.messages] == ["ann@example.test"]
    # The refusal did not cost the batch its connection.
    assert len(smtp_sink.sessions) == 1
    # Not retried: nothing is due for it again.
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert jobs.deliver_batch(event.id, 0) == {"sent": 0, "retry": 0, "failed": 0, "dead": 0}


def test_a_temporary_recipient_refusal_is_retried(smtp_sink, make_subscriber, api, operator):
    smtp_sink.refuse["full@example.test"] = "452 4.2.2 Mailbox full"
    make_subscriber(address="full@example.test")
    _incident(operator, api)
    deliver_all()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and row.last_error == "Recipient refused (452)"
    del smtp_sink.refuse["full@example.test"]
    Delivery.objects.update(next_attempt_at=timezone.now())
    deliver_all()
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT and row.attempts == 2
    assert [m["To"] for m in smtp_sink.messages] == ["full@example.test"]


def test_unsubscribing_after_the_event_stops_the_queued_message(
    smtp_sink, make_subscriber, api, operator
):
    sub = make_subscriber()
    _incident(operator, api)
    subscriber_unsubscribe(subscriber=sub)
    deliver_all()
    assert smtp_sink.messages == []
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and row.last_error == "Unsubscribed"


def test_mail_server_down_retries_with_backoff_then_dies(make_subscriber, api, operator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    settings.NOTIFY_MAX_ATTEMPTS = 3
    make_subscriber()
    _incident(operator, api)
    event = Event.objects.get()
    outcomes = []
    for _ in range(3):
        Delivery.objects.update(next_attempt_at=timezone.now())  # skip the wait
        outcomes.append(jobs.deliver_batch(event.id, 0))
    row = Delivery.objects.get()
    assert [o["retry"] for o in outcomes] == [1, 1, 0]
    assert outcomes[-1]["dead"] == 1
    assert row.state == DeliveryState.DEAD and row.attempts == 3
    assert "mail server" in row.last_error.lower()


def test_a_retry_waits_for_its_backoff(make_subscriber, api, operator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    make_subscriber()
    _incident(operator, api)
    event = Event.objects.get()
    jobs.deliver_batch(event.id, 0)
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING
    assert row.next_attempt_at > timezone.now()
    assert jobs.deliver_batch(event.id, 0) == {"sent": 0, "retry": 0, "failed": 0, "dead": 0}


@pytest.mark.parametrize("attempts,low,high", [(1, 15, 30), (2, 30, 60), (4, 120, 240)])
def test_backoff_grows_exponentially_with_jitter(settings, attempts, low, high):
    from notifications.services.delivery import backoff

    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    for _ in range(20):
        assert low <= backoff(attempts).total_seconds() <= high


def test_maintenance_emails_use_their_own_template_with_the_window(
    smtp_sink, make_subscriber, api, operator
):
    from datetime import UTC, datetime, timedelta

    make_subscriber(components=[api])
    start = datetime(2030, 1, 5, 10, 0, tzinfo=UTC)
    services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        body="Short read-only period.",
        actor=operator,
    )
    deliver_all()
    [msg] = smtp_sink.messages
    text = msg.get_body(("plain",)).get_content()
    assert "When: 2030-01-05 10:00 to 12:00 UTC" in text
    assert text.startswith("Maintenance scheduled: DB upgrade")
    assert msg["Subject"] == "[Status] Maintenance: DB upgrade"


def test_a_message_that_cannot_be_rendered_is_a_recorded_retry(
    smtp_sink, make_subscriber, api, operator, monkeypatch
):
    def broken(*args, **kwargs):
        raise KeyError("missing")

    make_subscriber()
    _incident(operator, api)
    monkeypatch.setattr("notifications.services.delivery.sending.build_message", broken)
    deliver_all()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and row.attempts == 1
    assert row.last_error == "Could not render: KeyError"
    assert smtp_sink.messages == []


def test_one_click_unsubscribe_from_the_received_header_stops_everything(
    client, smtp_sink, make_subscriber, api, operator
):
    """RFC 8058 as a mail provider does it: the URL from the List-Unsubscribe header of the
    message that arrived, a POST with the form-encoded `List-Unsubscribe=One-Click` body."""
    from urllib.parse import urlsplit

    from notifications.models import Subscriber, SubscriberState

    sub = make_subscriber(address="ann@example.test")
    make_subscriber(address="bob@example.test")
    incident = _incident(operator, api)
    deliver_all()
    [received] = [m for m in smtp_sink.messages if m["To"] == "ann@example.test"]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(received["List-Unsubscribe"]).strip().removeprefix("<").removesuffix(">")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://status.example.test"
    response = client.post(
        parts.path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    sub = Subscriber.objects.get(pk=sub.pk)
    assert sub.state == SubscriberState.UNSUBSCRIBED and sub.unsubscribed_at
    smtp_sink.messages.clear()
    services.incident_update_post(incident=incident, status="identified", body="x", actor=operator)
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    deliver_all()
    assert not Delivery.objects.filter(subscriber=sub).exclude(event__kind="incident.created")
    assert [m["To"] for m in smtp_sink.messages] == ["bob@example.test"] * 2


def test_an_unexpected_send_error_fails_that_row_only(
    smtp_sink, make_subscriber, api, operator, monkeypatch
):
    from notifications.transports.email import EmailTransport

    real_send = EmailTransport.send

    def send(self, message):
        if message.address == "bob@example.test":
            raise UnicodeEncodeError("ascii", "é", 0, 1, "odd")
        return real_send(self, message)

    make_subscriber(address="ann@example.test")
    make_subscriber(address="bob@example.test")
    make_subscriber(address="cy@example.test")
    _incident(operator, api)
    monkeypatch.setattr(EmailTransport, "send", send)
    deliver_all()
    states = dict(Delivery.objects.values_list("subscriber__address", "state"))
    assert states == {
        "ann@example.test": DeliveryState.SENT,
        "bob@example.test": DeliveryState.PENDING,
        "cy@example.test": DeliveryState.SENT,
    }
    bob = Delivery.objects.get(subscriber__address="bob@example.test")
    assert bob.attempts == 1 and bob.last_error == "Could not send: UnicodeEncodeError"
    assert sorted(m["To"] for m in smtp_sink.messages) == ["ann@example.test", "cy@example.test"]


def test_a_header_the_mail_api_refuses_is_a_permanent_error(smtp_sink):
    from notifications.transports import Outgoing, TransportError
    from notifications.transports.email import EmailTransport

    transport = EmailTransport()
    message = Outgoing(
        delivery_id=1, key="k", address="ann@example.test", secret="", subject="a\nBcc: x@y.z"
    )
    with pytest.raises(TransportError) as caught:
        transport.send(message)
    transport.close()
    assert caught.value.permanent and caught.value.message.startswith("Invalid header")
    assert smtp_sink.messages == []
