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


OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
OPT_IN_WORDS = ["START", "YES", "UNSTOP", "OPTIN"]


def _case_variants(words):
    """Each word as Twilio may hand it over: any case, with the spaces a phone adds."""
    return [
        variant for word in words for variant in (word, word.lower(), f"  {word.capitalize()}\n")
    ]


@pytest.mark.parametrize("body", _case_variants(OPT_OUT_WORDS))
def test_every_twilio_opt_out_word_opts_out(client, make_subscriber, body):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    assert response.status_code == 200
    assert b"<Message>" not in response.content  # Twilio sends its own confirmation
    sub.refresh_from_db()
    assert sub.sms_opted_out


@pytest.mark.parametrize("body", _case_variants(OPT_IN_WORDS))
def test_every_twilio_opt_in_word_opts_back_in(client, make_subscriber, body):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123", sms_opted_out=True)
    _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    sub.refresh_from_db()
    assert not sub.sms_opted_out


@pytest.mark.parametrize(
    "body",
    [
        "Stop by at 5",
        "stop it",
        "STOP ALL",
        "Please unsubscribe me",
        "cancel the meeting",
        "end of day",
        "quit?",
        "STOP.",
    ],
)
def test_a_sentence_that_starts_with_an_opt_out_word_is_not_one(client, make_subscriber, body):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    assert response.status_code == 200
    sub.refresh_from_db()
    assert not sub.sms_opted_out


@pytest.mark.parametrize("body", ["Yes please", "start over", "optin now"])
def test_a_sentence_that_starts_with_an_opt_in_word_is_not_one(client, make_subscriber, body):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123", sms_opted_out=True)
    _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    sub.refresh_from_db()
    assert sub.sms_opted_out


@pytest.mark.parametrize("body", ["HELP", "help", " Info ", "INFO"])
def test_help_words_get_a_reply(client, make_subscriber, body):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    assert b"<Message>" in response.content and b"STOP" in response.content
    sub.refresh_from_db()
    assert not sub.sms_opted_out


@pytest.mark.parametrize("body", ["Help me", "info please"])
def test_a_sentence_that_starts_with_help_gets_no_reply(client, make_subscriber, body):
    response = _post(client, INBOUND, {"From": "+14155550123", "Body": body})
    assert response.status_code == 200 and b"<Message>" not in response.content


def _incident(operator, component):
    from incidents import services
    from incidents.enums import ComponentStatus

    return services.incident_create(
        name="API errors",
        body="Errors.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def _deliver_latest():
    from notifications import jobs

    return jobs.deliver_batch(Event.objects.latest("id").id, 0)


def test_stop_after_the_rows_are_queued_sends_nothing(
    client, twilio_stub, make_subscriber, api, operator
):
    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api)
    assert Delivery.objects.get(subscriber=sub).state == DeliveryState.PENDING
    _post(client, INBOUND, {"From": "+14155550123", "Body": "STOP"})
    _deliver_latest()
    assert twilio_stub == []
    row = Delivery.objects.get(subscriber=sub)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "Number opted out (STOP)"


def test_a_batch_checks_the_opt_out_of_every_row_it_claims(
    twilio_stub, make_subscriber, api, operator
):
    """A row may be claimed already when the STOP lands: the worker checks the flag itself."""
    from notifications.models import Subscriber

    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    _incident(operator, api)
    Subscriber.objects.filter(pk=sub.pk).update(sms_opted_out=True)  # the flag alone
    assert Delivery.objects.get(subscriber=sub).state == DeliveryState.PENDING
    _deliver_latest()
    assert twilio_stub == []
    row = Delivery.objects.get(subscriber=sub)
    assert row.state == DeliveryState.FAILED and row.last_error == "Number opted out (STOP)"


def test_messages_flow_again_after_start(client, twilio_stub, make_subscriber, api, operator):
    from incidents import services

    sub = make_subscriber(channel=Channel.SMS, address="+14155550123")
    _post(client, INBOUND, {"From": "+14155550123", "Body": "STOP"})
    incident = _incident(operator, api)
    assert not Delivery.objects.filter(subscriber=sub).exists()  # no row while opted out
    _post(client, INBOUND, {"From": "+14155550123", "Body": "start"})
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    _deliver_latest()
    [sent] = twilio_stub
    assert sent["To"] == "+14155550123" and "API errors" in sent["Body"]
    assert Delivery.objects.get(subscriber=sub).state == DeliveryState.SENT


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
