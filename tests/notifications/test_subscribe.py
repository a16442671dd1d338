"""The public subscribe flow: no cookies, same answer, double opt-in, signed links, limits."""

from __future__ import annotations

import json
import re

import pytest
from django.core import signing
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications import links
from notifications.models import Channel, Subscriber, SubscriberState, new_webhook_secret


def _subscribe(client, **data):
    return client.post("/subscribe", data, REMOTE_ADDR=data.pop("ip", "203.0.113.9"))


def test_subscribe_page_sets_no_cookie(client, page):
    response = client.get("/subscribe")
    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert b'name="address_email" autocomplete="email"' in response.content


def test_email_double_opt_in_by_signed_link(client, smtp_sink, make_subscriber, run_jobs):
    response = run_jobs(_subscribe, client, channel="email", address="Ann@Example.TEST")
    assert response.status_code == 200
    sub = Subscriber.objects.get()
    assert sub.address == "Ann@example.test" and sub.state == SubscriberState.UNCONFIRMED
    [mail] = smtp_sink.messages
    link = re.search(r"https://\S+/subscribe/confirm/\S+", mail.get_content()).group(0)
    path = link.removeprefix("https://status.example.test")
    # GET only asks (mail scanners follow links); POST confirms.
    assert b"<form" in client.get(path).content
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNCONFIRMED
    assert client.post(path).status_code == 200
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE and sub.confirmed_at


def test_expired_confirmation_link_is_refused(client, make_subscriber, settings, monkeypatch):
    sub = make_subscriber(state=SubscriberState.UNCONFIRMED)
    path = links.confirm_url(sub).removeprefix("https://status.example.test")
    settings.NOTIFY_UNCONFIRMED_EXPIRE_HOURS = 1
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 2 * 3600)
    assert client.post(path).status_code == 404
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNCONFIRMED


def test_same_answer_for_new_and_known_addresses(client, make_subscriber, run_jobs, smtp_sink):
    make_subscriber(address="known@example.test")
    new = run_jobs(_subscribe, client, channel="email", address="new@example.test", ip="1.1.1.1")
    known = run_jobs(
        _subscribe, client, channel="email", address="known@example.test", ip="1.1.1.2"
    )
    assert new.status_code == known.status_code == 200
    strip = lambda r, a: r.content.replace(a.encode(), b"")  # noqa: E731
    assert strip(new, "new@example.test") == strip(known, "known@example.test")
    # The active subscriber is untouched and gets no new confirmation mail.
    assert [m["To"] for m in smtp_sink.messages] == ["new@example.test"]


@pytest.mark.parametrize(
    "data,field",
    [
        ({"channel": "email", "address": "not-an-email"}, "valid email"),
        ({"channel": "sms", "address": "12345"}, "phone number"),
        ({"channel": "webhook", "address": "ftp://x.test/", "contact_email": "a@b.test"}, "URL"),
        ({"channel": "webhook", "address": "https://x.test/h"}, "contact email"),
        ({"channel": "pigeon", "address": "x"}, "Choose"),
        ({"channel": "slack", "address": "https://169.254.169.254/latest"}, "public address"),
        ({"channel": "discord", "address": "https://[::1]/hook"}, "public address"),
        ({"channel": "teams", "address": "https://localhost/hook"}, "public address"),
        ({"channel": "email", "address": "a@b.test", "components": "abc"}, "components"),
        # A component id that was never on the page (or has been deleted since).
        ({"channel": "email", "address": "a@b.test", "components": "987654"}, "components"),
        ({"channel": "email", "address": "   "}, "Enter an address"),
        # Credentials in a URL would be stored and shown to operators in clear.
        (
            {
                "channel": "webhook",
                "address": "https://user:secret@x.test/h",
                "contact_email": "a@b.test",
            },
            "user name or password",
        ),
    ],
)
def test_bad_input_is_a_400_with_a_clear_message(client, page, data, field):
    response = _subscribe(client, **data)
    assert response.status_code == 400
    assert field.encode() in response.content
    assert not Subscriber.objects.exists()


def test_overlong_input_is_a_400_not_a_500(client, page):
    for data in (
        {"channel": "email", "address": "a" * 5000 + "@example.test"},
        {"channel": "sms", "address": "+1" + "5" * 400},
        {"channel": "webhook", "address": "https://x.test/", "contact_email": "a" * 300},
    ):
        assert _subscribe(client, **data).status_code == 400
    response = _subscribe(
        client, channel="email", address="ok@example.test", contact_email="x" * 1000
    )
    assert response.status_code == 200
    assert Subscriber.objects.get().contact_email == ""


def test_rate_limit_per_ip_answers_429(client, page, settings):
    settings.SUBSCRIBE_RATE_PER_IP_HOUR = 2
    codes = [
        _subscribe(client, channel="email", address=f"x{n}@example.test", ip="198.51.100.7")
        for n in range(3)
    ]
    assert [r.status_code for r in codes] == [200, 200, 429]


def test_rate_limit_per_address_answers_429_with_the_same_body(client, page, settings):
    settings.SUBSCRIBE_RATE_PER_ADDRESS_HOUR = 1
    first = _subscribe(client, channel="email", address="same@example.test", ip="198.51.100.8")
    second = _subscribe(client, channel="email", address="same@example.test", ip="198.51.100.9")
    settings.SUBSCRIBE_RATE_PER_IP_HOUR = 0 + 1
    by_ip = _subscribe(client, channel="email", address="other@example.test", ip="198.51.100.8")
    assert first.status_code == 200
    assert second.status_code == by_ip.status_code == 429
    assert second.content == by_ip.content


def test_sms_double_opt_in_by_code(client, twilio_stub, page, run_jobs):
    run_jobs(_subscribe, client, channel="sms", address="+1 415 555 0123")
    [sent] = twilio_stub
    code = re.search(r"\b(\d{6})\b", sent["Body"]).group(1)
    sub = Subscriber.objects.get(channel=Channel.SMS)
    assert sub.address == "+14155550123" and code not in sub.confirm_code_hash
    wrong = client.post("/subscribe/sms", {"address": sub.address, "code": "000000"})
    assert wrong.status_code == 400
    right = client.post("/subscribe/sms", {"address": sub.address, "code": code})
    assert right.status_code == 200
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE


def test_webhook_confirms_itself_with_a_2xx_test_delivery(client, receiver, page, run_jobs, clock):
    # Signed links carry the second they were made in: stop the clock so ours is the same.
    clock.move_to(timezone.now(), tick=False)
    run_jobs(_subscribe, client, channel="webhook", address=receiver.url, contact_email="o@x.test")
    sub = Subscriber.objects.get()
    assert sub.state == SubscriberState.ACTIVE
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    # Verified as a receiver would, with the subscriber's own secret.
    payload = Webhook(sub.secret).verify(request["body"], headers)
    assert payload["test"] is True
    assert payload["meta"]["unsubscribe"] == links.unsubscribe_url(sub)
    assert headers["webhook-id"] == f"test-{sub.public_id}"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(request["body"], headers)


def _slack_title(body):
    return body["blocks"][0]["text"]["text"]


def _discord_title(body):
    assert body["allowed_mentions"] == {"parse": []}
    return body["embeds"][0]["title"]


def _teams_title(body):
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    return card["content"]["body"][0]["text"]


CHAT_TITLES = {"slack": _slack_title, "discord": _discord_title, "teams": _teams_title}


@pytest.mark.parametrize("channel", sorted(CHAT_TITLES))
def test_chat_url_confirms_itself_with_a_native_test_message(
    client, receiver, page, run_jobs, channel
):
    response = run_jobs(_subscribe, client, channel=channel, address=receiver.url)
    assert response.status_code == 200
    sub = Subscriber.objects.get()
    assert sub.channel == channel and sub.address == receiver.url
    assert sub.state == SubscriberState.ACTIVE and sub.confirmed_at
    [request] = receiver.requests
    assert request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    assert CHAT_TITLES[channel](body).strip("*") == f"{page.name}: subscription test"


@pytest.mark.parametrize("channel", sorted(CHAT_TITLES))
def test_chat_url_answering_500_stays_unconfirmed(client, receiver, page, run_jobs, channel):
    receiver.status = 500
    run_jobs(_subscribe, client, channel=channel, address=receiver.url)
    sub = Subscriber.objects.get()
    assert sub.state == SubscriberState.UNCONFIRMED and sub.confirmed_at is None
    assert len(receiver.requests) == 1


def test_webhook_answering_500_stays_unconfirmed(client, receiver, page, run_jobs):
    receiver.status = 500
    run_jobs(_subscribe, client, channel="webhook", address=receiver.url, contact_email="o@x.test")
    assert Subscriber.objects.get().state == SubscriberState.UNCONFIRMED


def test_unsubscribe_get_asks_post_acts(client, make_subscriber):
    sub = make_subscriber()
    path = links.unsubscribe_url(sub).removeprefix("https://status.example.test")
    assert b"<form" in client.get(path).content
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE
    # RFC 8058 one-click: a bare POST with List-Unsubscribe=One-Click.
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNSUBSCRIBED


def test_tampered_manage_link_is_refused(client, make_subscriber):
    sub = make_subscriber()
    path = links.unsubscribe_url(sub).removeprefix("https://status.example.test")
    assert client.post(path[:-2]).status_code == 404
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE


def test_manage_changes_the_component_scope(client, make_subscriber, api, web):
    sub = make_subscriber()
    path = links.manage_url(sub).removeprefix("https://status.example.test")
    assert client.get(path).status_code == 200
    client.post(path, {"components": [str(api.id)]})
    sub.refresh_from_db()
    assert not sub.all_components
    assert list(sub.components.all()) == [api]


def test_just_this_incident_subscription_from_the_permalink(client, page, operator, api):
    from incidents import services
    from incidents.enums import ComponentStatus

    incident = services.incident_create(
        name="Outage",
        body="x",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    assert b"Outage" in client.get(f"/subscribe?incident={incident.public_id}").content
    _subscribe(client, channel="email", address="i@example.test", incident=incident.public_id)
    assert Subscriber.objects.get().incident == incident


def test_unconfirmed_expire_and_quarantined_are_purged(make_subscriber, settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.services import subscribers_expire_and_purge

    old = timezone.now() - timedelta(days=91)
    make_subscriber(address="old@x.test", state=SubscriberState.UNCONFIRMED, created_at=old)
    make_subscriber(address="new@x.test", state=SubscriberState.UNCONFIRMED)
    make_subscriber(
        address="q@x.test",
        state=SubscriberState.QUARANTINED,
        quarantined_at=old,
        confirmed_at=old,
    )
    assert subscribers_expire_and_purge() == {"expired": 1, "purged": 1}
    assert list(Subscriber.objects.values_list("address", flat=True)) == ["new@x.test"]


def test_sms_codes_are_limited_per_number_even_for_the_right_code(client, page, settings):
    sub = Subscriber.objects.create(channel=Channel.SMS, address="+14155550199")
    for n in range(5):
        wrong = client.post("/subscribe/sms", {"address": sub.address, "code": f"00000{n}"})
        assert wrong.status_code == 400
    # The sixth try for one number within the hour is refused before the code is checked.
    refused = client.post("/subscribe/sms", {"address": sub.address, "code": "123456"})
    assert refused.status_code == 429
