"""Operator translations in notifications: from one update, a German subscriber's email
(subject included) and SMS carry the German name and body, an English subscriber's the
original; a language without a translation falls back to the original text. Real SMTP on
loopback and the Twilio-shaped stub, as every delivery test."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Channel
from tests.notifications.delivered import deliver_all, html_of, text_of


def test_one_update_reaches_each_subscriber_in_their_language(
    smtp_sink, twilio_stub, make_subscriber, api, operator
):
    make_subscriber(address="anna@example.test", language="de")
    make_subscriber(address="ann@example.test", language="en")
    make_subscriber(address="aiko@example.test", language="ja")  # no Japanese text written
    make_subscriber(channel=Channel.SMS, address="+4915112345678", language="de")
    make_subscriber(channel=Channel.SMS, address="+14155550123", language="en")
    incident = services.incident_create(
        name="API errors",
        body="Requests **fail**.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    # Written before the delivery runs, as the API does in the request that posts the update.
    services.translations_set(
        obj=incident, translations={"de": {"name": "API-Fehler"}}, actor=operator
    )
    services.translations_set(
        obj=incident.updates.get(),
        translations={"de": {"body": "Anfragen **schlagen fehl**."}},
        actor=operator,
    )
    deliver_all()

    emails = {msg["To"]: msg for msg in smtp_sink.messages}
    assert str(emails["anna@example.test"]["Subject"]) == "[Status] API-Fehler"
    assert str(emails["ann@example.test"]["Subject"]) == "[Status] API errors"
    german, english = text_of(emails["anna@example.test"]), text_of(emails["ann@example.test"])
    assert german.splitlines()[0] == "Neuer Vorfall: API-Fehler"
    assert "Anfragen schlagen fehl." in german and "Requests fail" not in german
    assert english.splitlines()[0] == "New incident: API errors"
    assert "Requests fail." in english and "Anfragen" not in english
    assert "<strong>schlagen fehl</strong>" in html_of(emails["anna@example.test"])
    assert "<strong>fail</strong>" in html_of(emails["ann@example.test"])
    # No Japanese translation: Japanese words around the original text.
    japanese = text_of(emails["aiko@example.test"])
    assert "API errors" in japanese and "Requests fail." in japanese

    sms = {sent["To"]: sent["Body"] for sent in twilio_stub}
    assert sms["+4915112345678"].startswith("Status: Neuer Vorfall - API-Fehler (Wird untersucht).")
    assert sms["+14155550123"].startswith("Status: New incident - API errors (Investigating).")


def test_a_translated_window_name_is_in_the_german_subject(
    smtp_sink, make_subscriber, api, operator
):
    make_subscriber(address="anna@example.test", language="de")
    make_subscriber(address="ann@example.test", language="en")
    start = timezone.now() + timedelta(days=1)
    window = services.maintenance_schedule(
        name="DB upgrade",
        body="We upgrade the database.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    services.translations_set(
        obj=window, translations={"de": {"name": "Datenbank-Upgrade"}}, actor=operator
    )
    deliver_all()
    subjects = {msg["To"]: str(msg["Subject"]) for msg in smtp_sink.messages}
    assert subjects == {
        "anna@example.test": "[Status] Wartung: Datenbank-Upgrade",
        "ann@example.test": "[Status] Maintenance: DB upgrade",
    }
    # No German body was written: the original text stands under German words.
    german = text_of(next(m for m in smtp_sink.messages if m["To"] == "anna@example.test"))
    assert "We upgrade the database." in german
