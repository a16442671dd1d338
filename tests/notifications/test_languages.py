"""Subscribers read their messages in their own language: the language of the page they
subscribed on (/de/...), changed on the manage page. Emails over a real SMTP server on
loopback, SMS through the Twilio-shaped HTTP stub, as every delivery test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs, links, render
from notifications.models import Channel, Subscriber, SubscriberState
from tests.notifications.delivered import deliver_all, html_of, text_of


def test_german_and_english_subscribers_get_one_update_each_in_their_language(
    smtp_sink, twilio_stub, make_subscriber, api, operator
):
    make_subscriber(address="anna@example.test", language="de")
    make_subscriber(address="ann@example.test", language="en")
    make_subscriber(channel=Channel.SMS, address="+4915112345678", language="de")
    make_subscriber(channel=Channel.SMS, address="+14155550123", language="en")
    incident = services.incident_create(
        name="API errors",
        body="Requests fail.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    deliver_all()

    emails = {msg["To"]: msg for msg in smtp_sink.messages}
    german, english = text_of(emails["anna@example.test"]), text_of(emails["ann@example.test"])
    assert german.splitlines()[0] == "Neuer Vorfall: API errors"
    assert english.splitlines()[0] == "New incident: API errors"
    assert "Status: Wird untersucht" in german and "Status: Investigating" in english
    assert "- API: Schwerer Ausfall" in german and "- API: Major outage" in english
    # The link to the incident opens the page in the reader's language.
    link = f"https://status.example.test/de/incidents/{incident.public_id}"
    assert f"Auf der Statusseite lesen: {link}" in german
    assert f"https://status.example.test/incidents/{incident.public_id}" in english
    # The footer: the subscriber's own links under German words.
    unsubscribe = str(emails["anna@example.test"]["List-Unsubscribe"]).strip()[1:-1]
    assert f"Abbestellen: {unsubscribe}" in german
    assert "Ihr Abonnement verwalten: https://status.example.test/manage/" in german
    assert f"Unsubscribe: {str(emails['ann@example.test']['List-Unsubscribe']).strip()[1:-1]}" in (
        english
    )
    html = html_of(emails["anna@example.test"])
    assert '<html lang="de" dir="ltr">' in html
    assert ">Abbestellen</a>" in html and ">Betroffene Komponenten</h2>" in html
    assert "Unsubscribe" not in html and "Affected components" not in html

    sms = {sent["To"]: sent["Body"] for sent in twilio_stub}
    assert sms["+4915112345678"].startswith("Status: Neuer Vorfall - API errors (Wird untersucht).")
    assert "Antworten Sie STOP zum Abbestellen." in sms["+4915112345678"]
    assert f"/de/incidents/{incident.public_id}" in sms["+4915112345678"]
    assert sms["+14155550123"].startswith("Status: New incident - API errors (Investigating).")
    assert sms["+14155550123"].endswith("Reply STOP to stop.")


def test_subject_lines_are_in_the_subscribers_language(smtp_sink, make_subscriber, api, operator):
    make_subscriber(address="anna@example.test", language="de")
    make_subscriber(address="ann@example.test", language="en")
    make_subscriber(address="aiko@example.test", language="ja")
    start = timezone.now() + timedelta(days=1)
    services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    deliver_all()
    subjects = {msg["To"]: str(msg["Subject"]) for msg in smtp_sink.messages}
    assert subjects == {
        "anna@example.test": "[Status] Wartung: DB upgrade",
        "ann@example.test": "[Status] Maintenance: DB upgrade",
        "aiko@example.test": "[Status] メンテナンス: DB upgrade",
    }
    japanese = text_of(next(m for m in smtp_sink.messages if m["To"] == "aiko@example.test"))
    assert japanese.splitlines()[0] == "メンテナンス予定: DB upgrade"


def test_without_a_language_a_subscriber_reads_the_pages_default(
    smtp_sink, make_subscriber, page, api, operator
):
    type(page).objects.update(language="fr")
    make_subscriber(address="ann@example.test")  # language "" (dashboard, API, imports)
    services.incident_create(
        name="API errors",
        body="Requests fail.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    deliver_all()
    [msg] = smtp_sink.messages
    assert text_of(msg).splitlines()[0] == "Nouvel incident: API errors"
    # The default language's addresses have no prefix.
    assert "https://status.example.test/incidents/" in text_of(msg)


def test_a_batch_renders_once_per_language_not_per_subscriber(
    smtp_sink, make_subscriber, api, operator, monkeypatch
):
    for n in range(3):
        make_subscriber(address=f"de{n}@example.test", language="de")
        make_subscriber(address=f"en{n}@example.test", language="en")
    rendered: list[str] = []
    real = render.EventView._email_rendered

    def counted(view):
        rendered.append(view.language)
        return real(view)

    monkeypatch.setattr(render.EventView, "_email_rendered", counted)
    services.incident_create(
        name="API errors",
        body="Requests fail.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    deliver_all()
    assert len(smtp_sink.messages) == 6
    assert sorted(rendered) == ["de", "en"]


# --- the language is chosen where the person subscribes, and changed on the manage page -------


def test_subscribing_on_a_german_page_makes_a_german_subscriber(client, page, smtp_sink):
    form = client.get("/de/subscribe").content.decode()
    assert '<input type="hidden" name="language" value="de">' in form
    assert '<html lang="de"' in form and "Abonnieren" in form
    response = client.post(
        "/subscribe",
        {"channel": "email", "address_email": "anna@example.test", "language": "de"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200
    assert "Fast geschafft" in response.content.decode()
    sub = Subscriber.objects.get(address="anna@example.test")
    assert sub.language == "de"
    jobs.send_confirmation(sub.id)
    [msg] = smtp_sink.messages
    assert str(msg["Subject"]) == f"[{page.name}] Bestätigen Sie Ihr Abonnement"
    assert "Abonnement bestätigen: " in msg.get_content()


def test_the_address_prefix_names_the_language_when_the_form_does_not(client, page):
    client.post("/fr/subscribe", {"channel": "email", "address_email": "a@example.test"})
    client.post("/subscribe", {"channel": "email", "address_email": "b@example.test"})
    client.post(
        "/subscribe", {"channel": "email", "address_email": "c@example.test", "language": "xx"}
    )
    languages = dict(Subscriber.objects.values_list("address", "language"))
    assert languages == {"a@example.test": "fr", "b@example.test": "", "c@example.test": ""}


def _active(**kwargs) -> Subscriber:
    return Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="anna@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
        **kwargs,
    )


def test_the_manage_page_speaks_the_subscribers_language_and_changes_it(client, page, api):
    sub = _active(language="de")
    path = "/" + links.manage_url(sub).split("/", 3)[3]
    html = client.get(path).content.decode()
    assert '<html lang="de"' in html and "Ihr Abonnement" in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html
    response = client.post(path, {"language": "ja"})
    assert response.status_code == 200
    assert '<html lang="ja"' in response.content.decode()
    sub.refresh_from_db()
    assert sub.language == "ja"


@pytest.mark.parametrize("bad", ["xx", "", "en-GB"])
def test_a_language_not_ours_is_refused_and_nothing_changes(client, page, api, bad):
    sub = _active(language="de", all_components=False)
    sub.components.set([api])
    path = "/" + links.manage_url(sub).split("/", 3)[3]
    response = client.post(path, {"language": bad})
    assert response.status_code == 400
    assert "Wählen Sie eine Sprache aus der Liste." in response.content.decode()
    sub.refresh_from_db()
    assert sub.language == "de"
    assert list(sub.components.all()) == [api]  # the scope was not reset either


def test_a_webhook_owner_hears_of_the_quarantine_in_the_subscriptions_language(
    smtp_sink, make_subscriber
):
    sub = make_subscriber(
        channel=Channel.WEBHOOK, address="https://hooks.example.test/a", language="de"
    )
    jobs.send_quarantine_notice(sub.id, "HTTP 500")
    [msg] = smtp_sink.messages
    assert str(msg["Subject"]) == "[Status] Ihr Webhook-Endpunkt wurde gesperrt"
    assert "Letzter Fehler: HTTP 500" in msg.get_content()
