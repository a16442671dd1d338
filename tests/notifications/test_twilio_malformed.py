"""Malformed Twilio requests: signed or not, odd bodies never raise a 500, never change a
subscriber they do not name, and never touch a delivery row they do not match."""

from __future__ import annotations

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications.models import Channel, Delivery, DeliveryState, Event
from tests.notifications.test_twilio_hooks import INBOUND, STATUS, TOKEN, _post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture
def subscriber(make_subscriber):
    return make_subscriber(channel=Channel.SMS, address="+14155550123")


@pytest.fixture
def sent_row(subscriber):
    event = Event.objects.create(kind="incident.created")
    return Delivery.objects.create(
        event=event,
        subscriber=subscriber,
        channel=Channel.SMS,
        state=DeliveryState.SENT,
        sent_at=timezone.now(),
        provider_id="SM123",
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"Body": "STOP"},
        {"From": "", "Body": "STOP"},
        {"From": "not a number", "Body": "STOP"},
        {"From": "+1" + "4" * 600, "Body": "STOP"},
        {"From": "+14155550199", "Body": "STOP"},
        {"From": "+14155550123"},
        {"From": "+14155550123", "Body": ""},
        {"From": "+14155550123", "Body": "x" * 20000},
        {"From": "+14155550123", "Body": "\u0000STOP\u202e"},
        {"From": "+14155550123", "Body": "STOP\u00a0please"},
    ],
)
def test_signed_but_odd_inbound_bodies_answer_twiml_and_leave_others_alone(
    client, subscriber, data
):
    response = _post(client, INBOUND, data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml")
    subscriber.refresh_from_db()
    # Only a STOP word from this very number may opt it out.
    assert not subscriber.sms_opted_out


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"MessageSid": "SM123"},
        {"MessageSid": "SM123", "MessageStatus": "exploded"},
        {"MessageSid": "SM999", "MessageStatus": "failed"},
        {"MessageSid": "", "MessageStatus": "failed"},
        {"MessageSid": "SM123", "MessageStatus": "delivered", "ErrorCode": "x" * 5000},
        {"MessageSid": "SM" + "1" * 5000, "MessageStatus": "undelivered"},
    ],
)
def test_signed_but_odd_status_callbacks_change_nothing(client, sent_row, data):
    assert _post(client, STATUS, data).status_code == 204
    sent_row.refresh_from_db()
    assert sent_row.state == DeliveryState.SENT


def test_an_error_code_is_kept_short(client, sent_row):
    data = {"MessageSid": "SM123", "MessageStatus": "failed", "ErrorCode": "9" * 5000}
    assert _post(client, STATUS, data).status_code == 204
    sent_row.refresh_from_db()
    assert sent_row.state == DeliveryState.FAILED
    assert sent_row.last_error == "Carrier reported failed"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"From": "+14155550123", "Body": "STOP"}', "application/json"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"From=%2B14155550123&Body=STOP" + b"&x=1" * 2000, "application/x-www-form-urlencoded"),
    ],
)
def test_bodies_that_are_not_twilio_forms_change_nothing(client, subscriber, body, content_type):
    signature = RequestValidator(TOKEN).compute_signature(INBOUND, {})
    response = client.generic(
        "POST", INBOUND, body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE=signature
    )
    # Refused, or (a JSON body carries no form fields, so the signature over none of them is
    # valid) answered with empty TwiML; never a 500, never an opt-out.
    assert response.status_code in (200, 400, 403)
    subscriber.refresh_from_db()
    assert not subscriber.sms_opted_out


@pytest.mark.parametrize("url", [INBOUND, STATUS])
def test_get_is_not_allowed(client, url):
    assert client.get(url).status_code == 405
