"""SMS through the real twilio SDK, pointed at a local stub of Twilio's REST API."""

from __future__ import annotations

import time

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs
from notifications.models import Channel, Delivery, DeliveryState, Event
from notifications.ratelimit import acquire_slot
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


def test_sms_rate_never_exceeds_the_ceiling(settings):
    """Ten sends at 5/s need at least one window boundary, and no window holds more than 5."""
    settings.SMS_MAX_PER_SECOND = 5
    stamps = []
    start = time.time()
    for _ in range(10):
        stamps.append(acquire_slot(f"sms-test-{start}", 5))
    per_second = {s: stamps.count(s) for s in stamps}
    assert max(per_second.values()) <= 5
    assert len(per_second) >= 2


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
