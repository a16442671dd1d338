"""Twilio inbound SMS (STOP/START/HELP) and status callbacks; both need a valid signature."""

from __future__ import annotations

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications.models import Channel, Delivery, DeliveryState, Event

TOKEN = "test-auth-token"
INBOUND = "http://testserver/hooks/twilio/inbound"
STATUS = "http://testserver/hooks/twilio/status"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


def _post(client, url, data, token=TOKEN):
    signature = RequestValidator(token).compute_signature(url, data)
    return client.post(url, data, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize("url", [INBOUND, STATUS])
def test_requests_without_a_valid_signature_are_forbidden(client, db, url):
    data = {"From": "+14155550123", "Body": "STOP", "MessageSid": "SM1"}
    assert client.post(url, data).status_code == 403
    assert _post(client, url, data, token="wrong").status_code == 403


def test_stop_opts_the_number_out_until_start(client, make_subscriber):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": " stop "})
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.sms_opted_out
    _post(client, INBOUND, {"From": "+14155550123", "Body": "START"})
    sub.refresh_from_db()
    assert not sub.sms_opted_out


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "cancel", "End", "QUIT", "STOPALL"])
def test_twilio_other_opt_out_words_count(client, make_subscriber, word):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    _post(client, INBOUND, {"From": "+14155550123", "Body": word})
    sub.refresh_from_db()
    assert sub.sms_opted_out


def test_help_gets_a_reply(client, make_subscriber):
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": "HELP"})
    assert b"<Message>" in response.content and b"STOP" in response.content


def test_undelivered_status_fails_the_delivery(client, make_subscriber):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    event = Event.objects.create(kind="incident.created")
    row = Delivery.objects.create(
        event=event,
        subscriber=sub,
        channel=Channel.SMS,
        state=DeliveryState.SENT,
        sent_at=timezone.now(),
        provider_id="SM123",
    )
    data = {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert _post(client, STATUS, data).status_code == 204
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "Carrier reported undelivered (30003)"
