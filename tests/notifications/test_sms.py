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
    # Six arrivals inside any window [t, t + 1 s) would mean a[i + 5] - a[i] < 1 s.
    closest = min(later - first for first, later in zip(arrivals, arrivals[5:], strict=False))
    assert closest >= 1.0, f"6 SMS reached the provider within {closest:.3f} s"


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
    assert "maintenance started - DB upgrade (" in sent["Body"]
