"""Notifications per page: each page's own sender (From, Reply-To, List-Unsubscribe, SMS
sender, webhook signature), events that reach only their page's subscribers, tokens bound to
their page, and links that start at the page's own URL. Real SMTP on loopback, the local
Twilio stub and a local webhook receiver."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Page, PageHost
from notifications import jobs, links, senders
from notifications.models import (
    Channel,
    Delivery,
    Event,
    PageNotificationSettings,
    SubscriberState,
    new_webhook_secret,
)
from notifications.services.outbox import matching_subscribers

pytestmark = pytest.mark.django_db

SERVICE_B = "MG" + "b" * 32
# A page's host name is served with the install's scheme (http on the test server).
BETA = settings.PUBLIC_URL_DEFAULT.split("://")[0] + "://status.beta.test"


@pytest.fixture
def pages(page, operator, make_subscriber, receiver):
    """Page A (the default page) and page B, each with its own sender, a component and an
    email, an SMS and a webhook subscriber."""
    page_a = Page.objects.get(pk=page.pk)
    page_b = Page.objects.create(name="Beta", slug="beta", time_zone="Etc/UTC")
    PageHost.objects.create(page=page_b, host="status.beta.test")
    own = {
        page_a: PageNotificationSettings.objects.create(
            page=page_a,
            from_name="Alpha Status",
            from_email="alpha@a.test",
            reply_to="help@a.test",
            sms_from_number="+15005550010",
            webhook_secret=new_webhook_secret(),
        ),
        page_b: PageNotificationSettings.objects.create(
            page=page_b,
            from_name="Beta Status",
            from_email="beta@b.test",
            reply_to="support@b.test",
            sms_messaging_service_sid=SERVICE_B,
            webhook_secret=new_webhook_secret(),
        ),
    }
    out = {}
    for row, name, number in ((page_a, "a", "+14155550101"), (page_b, "b", "+14155550102")):
        component = services.component_create(name=f"API {name}", page=row, actor=operator)
        out[name] = {
            "page": row,
            "settings": own[row],
            "component": component,
            "email": make_subscriber(address=f"{name}@example.test", page=row),
            "sms": make_subscriber(channel=Channel.SMS, address=number, page=row),
            "webhook": make_subscriber(
                channel=Channel.WEBHOOK, address=f"{receiver.url}?page={name}", page=row
            ),
        }
    return out


def _incident_on(component, operator):
    services.incident_create(
        name="Errors",
        body="Errors.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    event = Event.objects.latest("id")
    jobs.deliver_batch(event.id, 0)
    return event


def test_an_update_on_page_b_reaches_only_b_with_bs_sender(
    pages, operator, smtp_sink, twilio_stub, receiver
):
    b = pages["b"]
    event = _incident_on(b["component"], operator)
    assert event.page_id == b["page"].pk
    reached = set(Delivery.objects.filter(event=event).values_list("subscriber_id", flat=True))
    assert reached == {b["email"].pk, b["sms"].pk, b["webhook"].pk}

    [mail] = smtp_sink.messages
    assert mail["To"] == "b@example.test"
    assert mail["From"] == "Beta Status <beta@b.test>"
    assert mail["Reply-To"] == "support@b.test"
    unsubscribe = mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith(f"{BETA}/unsubscribe/")

    [sms] = twilio_stub
    assert sms["To"] == "+14155550102"
    assert sms["MessagingServiceSid"] == SERVICE_B and "From" not in sms
    assert sms["StatusCallback"] == f"{BETA}/hooks/twilio/status"

    [request] = receiver.requests
    assert request["path"].endswith("?page=b")
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Webhook(b["settings"].webhook_secret).verify(request["body"], headers)
    assert payload["meta"]["unsubscribe"].startswith(f"{BETA}/")
    # Neither the subscriber's own secret nor the other page's signs it.
    for other in (b["webhook"].secret, pages["a"]["settings"].webhook_secret):
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(request["body"], headers)


def test_page_a_keeps_its_own_sender(pages, operator, smtp_sink, twilio_stub, receiver):
    _incident_on(pages["a"]["component"], operator)
    [mail] = smtp_sink.messages
    assert mail["To"] == "a@example.test"
    assert mail["From"] == "Alpha Status <alpha@a.test>"
    assert mail["Reply-To"] == "help@a.test"
    assert mail["List-Unsubscribe"].strip().strip("<>").startswith("https://status.example.test/")
    [sms] = twilio_stub
    assert sms["From"] == "+15005550010" and "MessagingServiceSid" not in sms
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    Webhook(pages["a"]["settings"].webhook_secret).verify(request["body"], headers)


def test_a_page_without_settings_falls_back_to_the_install(pages, settings):
    PageNotificationSettings.objects.all().delete()
    settings.DEFAULT_FROM_EMAIL = "Status <status@install.test>"
    settings.NOTIFY_REPLY_TO = "desk@install.test"
    sender = senders.sender_for(pages["b"]["page"])
    assert sender.from_email == "Status <status@install.test>"
    assert sender.envelope == "status@install.test"
    assert sender.reply_to == "desk@install.test"
    assert sender.sms_from_number == settings.TWILIO_FROM_NUMBER
    assert sender.webhook_secret == ""
    # A name alone keeps the install's address.
    PageNotificationSettings.objects.create(page=pages["b"]["page"], from_name="Beta")
    assert senders.sender_for(pages["b"]["page"]).from_email == "Beta <status@install.test>"


def test_senders_of_many_pages_cost_one_query(pages, django_assert_num_queries):
    ids = [pages["a"]["page"].pk, pages["b"]["page"].pk]
    with django_assert_num_queries(1):
        found = senders.senders_for(ids)
    assert found[ids[1]].from_email == "Beta Status <beta@b.test>"


def test_matching_subscribers_are_the_events_page_only(pages):
    """Subscribers "of every component" of page A must not hear about page B."""
    b = pages["b"]
    matching = matching_subscribers(kind="incident.created", component_ids=[b["component"].pk])
    assert set(matching.values_list("page_id", flat=True)) == {b["page"].pk}
    assert matching.count() == 3


def _token(page_id, public_id):
    return links.signed([page_id, public_id], "notifications.manage")


def test_a_token_naming_page_a_cannot_act_on_page_bs_subscriber(pages):
    a, b = pages["a"], pages["b"]
    client = Client()
    forged = _token(a["page"].pk, b["email"].public_id)
    response = client.post(f"/unsubscribe/{forged}")
    assert response.status_code == 404
    b["email"].refresh_from_db()
    assert b["email"].state == SubscriberState.ACTIVE
    # The same subscriber's own token, on any host: B's page, and it acts.
    own = links.manage_token(b["email"])
    assert "· Beta</title>" in client.get(f"/unsubscribe/{own}").content.decode()
    assert client.post(f"/unsubscribe/{own}").status_code == 200
    b["email"].refresh_from_db()
    assert b["email"].state == SubscriberState.UNSUBSCRIBED


def test_the_manage_page_lists_the_subscribers_own_pages_components(pages):
    b = pages["b"]
    html = Client().get(f"/manage/{links.manage_token(b['email'])}").content.decode()
    assert "API b" in html and "API a" not in html
    # Another page's component is refused, and nothing changes.
    token = links.manage_token(b["email"])
    response = Client().post(f"/manage/{token}", {"components": [pages["a"]["component"].pk]})
    assert response.status_code == 400
    assert not b["email"].components.exists()


def test_a_token_from_before_pages_works_for_the_default_page_only(pages):
    old_a = signing.dumps(pages["a"]["email"].public_id, salt="notifications.manage")
    old_b = signing.dumps(pages["b"]["email"].public_id, salt="notifications.manage")
    assert links.subscriber_from_token(old_a) == pages["a"]["email"]
    assert links.subscriber_from_token(old_b) is None


def test_links_start_at_each_pages_own_url(pages):
    a, b = pages["a"], pages["b"]
    token_b = links.manage_token(b["email"])
    assert links.unsubscribe_url(b["email"]) == f"{BETA}/unsubscribe/{token_b}"
    # Without a host name: /p/<slug> on the install's public URL.
    PageHost.objects.all().delete()
    base = settings.PUBLIC_URL_DEFAULT.rstrip("/")
    assert links.manage_url(b["email"]) == f"{base}/p/beta/manage/{token_b}"
    # The page's configured URL wins; the default page keeps its own.
    assert links.manage_url(a["email"]).startswith("https://status.example.test/manage/")
    Page.objects.filter(pk=b["page"].pk).update(url="https://beta.example.test/")
    assert links.manage_url(b["email"]) == f"https://beta.example.test/manage/{token_b}"


def test_subscribing_names_its_page_and_only_its_components(pages, run_jobs, smtp_sink):
    from notifications.services.subscriptions import SubscribeError, subscriber_subscribe

    a, b = pages["a"], pages["b"]
    with pytest.raises(SubscribeError):
        subscriber_subscribe(
            channel="email",
            address="c@example.test",
            component_ids=[a["component"].pk],
            page=b["page"],
        )
    # The same address on both pages: two subscriptions, each confirmed from its own page.
    run_jobs(subscriber_subscribe, channel="email", address="c@example.test", page=b["page"])
    run_jobs(subscriber_subscribe, channel="email", address="c@example.test")
    assert set(
        a["page"].subscribers.filter(address="c@example.test").values_list("page_id", flat=True)
    ) | set(
        b["page"].subscribers.filter(address="c@example.test").values_list("page_id", flat=True)
    ) == {a["page"].pk, b["page"].pk}
    first, second = smtp_sink.messages
    assert first["From"] == "Beta Status <beta@b.test>"
    assert f"{BETA}/subscribe/confirm/" in first.get_body(("plain",)).get_content()
    assert second["From"] == "Alpha Status <alpha@a.test>"


def test_the_dashboards_reach_counts_the_events_page_only(pages):
    from notifications.selectors import reach_by_channel

    b = pages["b"]
    reach = reach_by_channel(kind="incident.created", component_ids=[b["component"].pk])
    assert reach["email"] == 1 and reach["sms"] == 1 and reach["webhook"] == 1
    named = reach_by_channel(kind="incident.created", component_ids=[], page=b["page"].pk)
    assert named == reach


def test_help_answers_with_the_page_whose_number_was_texted(pages):
    from notifications.twilio_hooks import handle_inbound

    pages["b"]["settings"].sms_from_number = "+15005550020"
    pages["b"]["settings"].save()
    to_b = handle_inbound({"From": "+14155550199", "To": "+15005550020", "Body": "HELP"})
    assert "Beta" in to_b and f"{BETA}" in to_b
    shared = handle_inbound({"From": "+14155550199", "To": "+15005550006", "Body": "HELP"})
    assert "Beta" not in shared and "https://status.example.test" in shared
