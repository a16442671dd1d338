"""SMS through the real twilio SDK, pointed at a local stub of Twilio's REST API."""

from __future__ import annotations

import threading

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs
from notifications.models import Channel, Delivery, DeliveryState, Event
from notifications.transports.sms import send_sms
from tests.notifications.conftest import INVALID_NUMBER, OPTED_OUT_NUMBER


def _incident(operator, component, name="API errors"):
    return services.incident_create(
        name=name,
        body="Errors.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def _deliver():
    return jobs.deliver_batch(Event.objects.latest("id").id, 0)


def test_sms_goes_through_twilio_with_status_callback(twilio_stub, make_subscriber, api, operator):
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api, name="API\u00a0errors \u201con\u201d EU\u2014West")
    _deliver()
    [sent] = twilio_stub
    assert sent["To"] == "+14155550123"
    assert sent["From"] == "+15005550006"
    assert sent["StatusCallback"] == "https://status.example.test/hooks/twilio/status"
    # Non-breaking spaces force UCS-2 encoding and double the price.
    assert "\u00a0" not in sent["Body"] and 'API errors "on" EU-West' in sent["Body"]
    assert sent["Body"].isascii()
    assert sent["auth"].startswith("Basic ")
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT and row.provider_id == sent["sid"]


@pytest.mark.parametrize("number,code", [(INVALID_NUMBER, "21211"), (OPTED_OUT_NUMBER, "21610")])
def test_invalid_and_opted_out_numbers_fail_permanently(
    twilio_stub, make_subscriber, api, operator, number, code
):
    make_subscriber(channel=Channel.SMS, address=number)
    _incident(operator, api)
    assert _deliver()["failed"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and row.attempts == 1
    assert row.last_error.startswith(f"Twilio error {code}")


def test_an_opted_out_error_marks_the_number_so_later_events_skip_it(
    twilio_stub, make_subscriber, api, operator
):
    """Twilio's 21610 means the number sent STOP at some point we did not see: the first
    refused send records it, queued rows for the number are cancelled, and later events
    write no row for it."""
    sub = make_subscriber(channel=Channel.SMS, address=OPTED_OUT_NUMBER)
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    incident = _incident(operator, api)
    first_event = Event.objects.latest("id")
    # A second SMS event queued before the first one is delivered.
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    queued = Delivery.objects.get(subscriber=sub, event__kind="incident.resolved")
    assert queued.state == DeliveryState.PENDING
    jobs.deliver_batch(first_event.id, 0)
    sub.refresh_from_db()
    assert sub.sms_opted_out
    refused = Delivery.objects.get(subscriber=sub, event=first_event)
    assert refused.state == DeliveryState.FAILED and refused.last_error.startswith(
        "Twilio error 21610"
    )
    queued.refresh_from_db()
    assert queued.state == DeliveryState.FAILED
    assert queued.last_error == "Number opted out (STOP)"
    _deliver()
    services.incident_create(
        name="Again",
        body="x",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    assert not Delivery.objects.filter(subscriber=sub, event=Event.objects.latest("id")).exists()
    _deliver()
    # Only the other number was ever sent to; the stub refused the opted-out one once.
    assert {sms["To"] for sms in twilio_stub} == {"+14155550123"}
    assert len(twilio_stub) == 3


def test_an_invalid_number_error_does_not_opt_the_number_out(
    twilio_stub, make_subscriber, api, operator
):
    sub = make_subscriber(channel=Channel.SMS, address=INVALID_NUMBER)
    _incident(operator, api)
    _deliver()
    sub.refresh_from_db()
    assert not sub.sms_opted_out


def test_a_confirmation_refused_as_opted_out_marks_the_number(twilio_stub, page):
    from notifications.models import Subscriber, SubscriberState

    sub = Subscriber.objects.create(
        channel=Channel.SMS, address=OPTED_OUT_NUMBER, state=SubscriberState.UNCONFIRMED
    )
    assert jobs.send_confirmation(sub.id).startswith("Twilio error 21610")
    sub.refresh_from_db()
    assert sub.sms_opted_out and twilio_stub == []


def test_messaging_service_sid_is_the_sender_instead_of_from(
    twilio_stub, make_subscriber, api, operator, settings
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.TWILIO_FROM_NUMBER = "+15005550006"  # set as well: the service wins
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api)
    _deliver()
    [sent] = twilio_stub
    assert sent["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in sent
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_without_any_sender_nothing_reaches_twilio(
    twilio_stub, make_subscriber, api, operator, settings
):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = ""
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api)
    _deliver()
    assert twilio_stub == []
    assert "no sender" in Delivery.objects.get().last_error


def test_missing_twilio_configuration_is_a_delivery_error(make_subscriber, api, operator):
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api)
    _deliver()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING
    assert "not configured" in row.last_error


def test_sms_ceiling_holds_across_concurrent_senders(twilio_stub, settings):
    """Three senders (threads here; the limiter's state is in Redis when REDIS_URL is set,
    so separate worker processes share it the same way) push 30 SMS at a ceiling of 5/s.
    Counted where it matters, at the provider: no one-second span holds more than 5."""
    settings.SMS_MAX_PER_SECOND = 5
    errors = []

    def sender(n):
        for i in range(10):
            try:
                send_sms(f"+1415555{n:02d}{i:02d}", "Ceiling test")
            except Exception as exc:  # noqa: BLE001 - reported by the assert below
                errors.append(exc)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    arrivals = sorted(sms["at"] for sms in twilio_stub)
    assert len(arrivals) == 30
    # Six arrivals inside any window [t, t + 1 s) would mean a[i + 5] - a[i] < 1 s. The limiter
    # spaces the sends; each then takes its own time over loopback to reach the provider, so
    # arrivals may close up by a few milliseconds (0.998 s seen on a busy machine). Without the
    # limiter the 30 arrive within milliseconds of each other.
    closest = min(later - first for first, later in zip(arrivals, arrivals[5:], strict=False))
    assert closest >= 0.95, f"6 SMS reached the provider within {closest:.3f} s"


def test_maintenance_start_sms_uses_its_own_template(twilio_stub, make_subscriber, api, operator):
    from datetime import timedelta

    from django.utils import timezone

    make_subscriber(channel=Channel.SMS, address="+14155550123")
    start = timezone.now() + timedelta(hours=1)
    maintenance = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    services.maintenance_start(maintenance=maintenance, actor=operator)
    _deliver()
    [sent] = twilio_stub  # scheduling sends no SMS: not in NOTIFY_SMS_EVENTS
    # Its own template: the window, where the generic one says the status ("In progress").
    assert "Maintenance started - DB upgrade (" in sent["Body"]
    assert "UTC)." in sent["Body"] and "In progress" not in sent["Body"]
