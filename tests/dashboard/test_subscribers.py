"""Subscriber and delivery screens: who may do what, add/remove/resend, CSV import and export,
the delivery log and replay, and the "This will notify" figures on the sending forms."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberImport,
    SubscriberState,
)
from tests.notifications.conftest import drain_queues

NEW = "/dashboard/subscribers/new/"
IMPORT = "/dashboard/subscribers/import/"


def _csv(text: str, name: str = "subs.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _import(client, text: str, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": _csv(text), **extra})
    drain_queues()
    return response


def _row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', html)


# --- roles -------------------------------------------------------------------------------


def test_viewer_can_list_and_export_but_not_change(viewer_client, make_subscriber):
    sub = make_subscriber(state=SubscriberState.UNCONFIRMED)
    assert viewer_client.get("/dashboard/subscribers/").status_code == 200
    assert viewer_client.get("/dashboard/subscribers/export.csv").status_code == 200
    assert viewer_client.get("/dashboard/deliveries/").status_code == 200
    refused = [
        viewer_client.post(NEW, {"channel": "email", "address": "x@example.test"}),
        viewer_client.post(f"/dashboard/subscribers/{sub.public_id}/remove/"),
        viewer_client.post(f"/dashboard/subscribers/{sub.public_id}/resend/"),
        viewer_client.post(IMPORT, {"file": _csv("channel,address\nemail,y@example.test\n")}),
        viewer_client.post("/dashboard/deliveries/replay/", {"scope": "all"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert Subscriber.objects.count() == 1 and not SubscriberImport.objects.exists()
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNCONFIRMED


def test_responder_views_but_cannot_add(responder_client, page):
    assert responder_client.get("/dashboard/subscribers/").status_code == 200
    assert responder_client.get(NEW).status_code == 403


def test_list_hides_write_controls_from_viewers(viewer_client, admin_client, make_subscriber):
    make_subscriber(state=SubscriberState.UNCONFIRMED)
    assert "Resend confirmation" not in viewer_client.get("/dashboard/subscribers/").text
    assert "Resend confirmation" in admin_client.get("/dashboard/subscribers/").text


# --- list ----------------------------------------------------------------------------------


def test_list_searches_filters_counts_and_paginates(admin_client, make_subscriber):
    for n in range(55):
        make_subscriber(address=f"user{n:02d}@example.test")
    make_subscriber(channel=Channel.SMS, address="+14155550123", state=SubscriberState.UNCONFIRMED)
    first = admin_client.get("/dashboard/subscribers/").text
    assert "56 matching." in first and len(_row_ids(first)) == 50
    assert re.search(r"<th scope=\"row\">Email</th><td>0</td><td>55</td>", first)
    assert re.search(r"<th scope=\"row\">SMS</th><td>1</td><td>0</td>", first)
    second = admin_client.get("/dashboard/subscribers/?channel=email&page=2").text
    assert "55 matching." in second and len(_row_ids(second)) == 5
    found = admin_client.get("/dashboard/subscribers/?q=user07").text
    assert _row_ids(found) == [Subscriber.objects.get(address="user07@example.test").public_id]
    sms = admin_client.get("/dashboard/subscribers/?state=unconfirmed").text
    assert _row_ids(sms) == [Subscriber.objects.get(channel="sms").public_id]
    assert admin_client.get("/dashboard/subscribers/?state=bogus").status_code == 400


# --- add, remove, resend -------------------------------------------------------------------


def test_add_with_skip_confirmation_is_active_at_once(admin_client, api, smtp_sink, run_jobs):
    response = run_jobs(
        admin_client.post,
        NEW,
        {
            "channel": "email",
            "address": "ops@example.test",
            "components": [api.pk],
            "skip_confirmation": "on",
        },
    )
    assert response.status_code == 302
    sub = Subscriber.objects.get()
    assert sub.state == SubscriberState.ACTIVE and list(sub.components.all()) == [api]
    assert smtp_sink.messages == []
    assert AuditEntry.objects.get(action="subscriber.create").actor == "ada"


def test_add_without_skip_sends_the_confirmation(admin_client, smtp_sink, run_jobs, page):
    response = run_jobs(admin_client.post, NEW, {"channel": "email", "address": "a@example.test"})
    assert response.status_code == 302
    assert Subscriber.objects.get().state == SubscriberState.UNCONFIRMED
    [mail] = smtp_sink.messages
    assert mail["To"] == "a@example.test"


def test_add_duplicate_is_refused_with_a_message(admin_client, make_subscriber):
    make_subscriber(address="ann@example.test")
    response = admin_client.post(NEW, {"channel": "email", "address": "ann@example.test"})
    assert response.status_code == 400
    assert "already subscribed" in response.text
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channel": "email", "address": "nope"}, "Enter a valid email address."),
        ({"channel": "sms", "address": "555"}, "Enter a valid phone number"),
        ({"channel": "webhook", "address": "https://h.example.test/x"}, "contact email"),
        ({"channel": "webhook", "address": "ftp://h", "contact_email": "a@b.test"}, "https://"),
    ],
)
def test_add_bad_address_is_a_400_with_the_reason(admin_client, page, data, message):
    response = admin_client.post(NEW, data)
    assert response.status_code == 400
    assert message in response.text
    assert not Subscriber.objects.exists()


def test_remove_asks_then_unsubscribes(admin_client, make_subscriber):
    sub = make_subscriber()
    path = f"/dashboard/subscribers/{sub.public_id}/remove/"
    assert "Unsubscribe" in admin_client.get(path).text
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE
    assert admin_client.post(path).status_code == 302
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNSUBSCRIBED
    assert AuditEntry.objects.filter(action="subscriber.remove").exists()


def test_resend_confirmation(admin_client, make_subscriber, smtp_sink, run_jobs):
    waiting = make_subscriber(address="w@example.test", state=SubscriberState.UNCONFIRMED)
    active = make_subscriber(address="a@example.test")
    run_jobs(admin_client.post, f"/dashboard/subscribers/{waiting.public_id}/resend/")
    [mail] = smtp_sink.messages
    assert mail["To"] == "w@example.test"
    response = admin_client.post(f"/dashboard/subscribers/{active.public_id}/resend/", follow=True)
    assert "Only unconfirmed subscribers" in response.text
    assert len(smtp_sink.messages) == 1


# --- import --------------------------------------------------------------------------------


def test_import_creates_good_rows_and_reports_bad_ones(
    admin_client, api, make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(address="known@example.test")
    text = (
        "channel,address,contact_email,components\n"
        "email,one@example.test,,\n"
        "sms,not-a-number,,\n"
        "email,two@example.test,,API\n"
        "email,known@example.test,,\n"
        "webhook,https://h.example.test/x,,\n"
        "email,three@example.test,,Moon base\n"
    )
    response = _import(
        admin_client, text, django_capture_on_commit_callbacks, skip_confirmation="on"
    )
    assert response.status_code == 302
    job = SubscriberImport.objects.get()
    assert response["Location"] == f"/dashboard/subscribers/import/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.total, job.processed) == ("done", 6, 6)
    assert (job.created, job.skipped, len(job.errors)) == (2, 1, 3)
    assert [e["row"] for e in job.errors] == [2, 5, 6]
    assert set(
        Subscriber.objects.filter(created_via="import").values_list("address", flat=True)
    ) == {
        "one@example.test",
        "two@example.test",
    }
    page = admin_client.get(response["Location"]).text
    assert "<progress" in page and "data-refresh-seconds" not in page
    assert "not-a-number" in page and "Enter a valid phone number" in page
    assert "Webhooks need a contact email." in page and "Unknown component: Moon base" in page
    assert AuditEntry.objects.filter(action="subscriber.import").exists()


def test_import_status_refreshes_while_running(admin_client, page):
    job = SubscriberImport.objects.create(rows=[{}] * 10, total=10, processed=4, status="running")
    html = admin_client.get(f"/dashboard/subscribers/import/{job.pk}/").text
    assert 'data-refresh-seconds="2"' in html
    assert 'value="4"' in html and 'max="10"' in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a UTF-8 CSV"),
        (b"name,email\nAnn,a@example.test\n", "must be the header"),
        (b"channel,address,colour\nemail,a@example.test,red\n", "Unknown column(s): colour"),
        (b"channel,address\n", "no rows"),
        (b"channel,address\nemail,\x00x\n", "binary data"),
    ],
)
def test_import_rejects_files_that_are_not_subscriber_csv(admin_client, page, content, message):
    upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": upload})
    assert response.status_code == 400
    assert message in response.text
    assert not SubscriberImport.objects.exists()


def test_import_rejects_files_over_5_mb(admin_client, page):
    big = b"channel,address\n" + b"email,a@example.test\n" * (5 * 1024 * 1024 // 20 + 10)
    response = admin_client.post(IMPORT, {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 400 and "larger than 5 MB" in response.text


# --- export --------------------------------------------------------------------------------


def test_export_streams_the_filtered_list_with_a_header(viewer_client, make_subscriber, api):
    make_subscriber(address="ann@example.test", components=[api])
    make_subscriber(address="bob@example.test", state=SubscriberState.UNCONFIRMED)
    response = viewer_client.get("/dashboard/subscribers/export.csv?state=active")
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["public_id", "channel", "address"]
    assert [(r[2], r[5]) for r in rows[1:]] == [("ann@example.test", "API")]


def test_export_guards_against_formula_injection(viewer_client, make_subscriber):
    make_subscriber(address="=HYPERLINK(1)@example.test")
    make_subscriber(address="+cmd@example.test")
    make_subscriber(
        channel=Channel.WEBHOOK, address="https://h.example.test/", contact_email="@x@example.test"
    )
    body = b"".join(viewer_client.get("/dashboard/subscribers/export.csv").streaming_content)
    cells = [c for row in csv.reader(io.StringIO(body.decode())) for c in row]
    assert "'=HYPERLINK(1)@example.test" in cells and "'+cmd@example.test" in cells
    assert "'@x@example.test" in cells
    assert not any(c[:1] in "=+-@" and c for c in cells)


# --- deliveries ----------------------------------------------------------------------------


@pytest.fixture
def outbox(make_subscriber):
    ann = make_subscriber(address="ann@example.test")
    hook = make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/x")
    gone = make_subscriber(address="gone@example.test", state=SubscriberState.UNSUBSCRIBED)
    first, second = (
        Event.objects.create(kind="incident.created"),
        Event.objects.create(kind="incident.updated"),
    )
    old = timezone.now() - timedelta(days=10)
    rows = {
        "ann_dead": Delivery.objects.create(
            event=first,
            subscriber=ann,
            channel="email",
            state="dead",
            attempts=8,
            last_error="SMTP 550 mailbox unavailable",
        ),
        "hook_dead": Delivery.objects.create(
            event=first,
            subscriber=hook,
            channel="webhook",
            state="dead",
            attempts=8,
            last_error="HTTP 500",
        ),
        "gone_dead": Delivery.objects.create(
            event=first, subscriber=gone, channel="email", state="dead", attempts=8
        ),
        "ann_sent": Delivery.objects.create(
            event=second,
            subscriber=ann,
            channel="email",
            state="sent",
            sent_at=old,
            provider_id="<msg-1@example.test>",
            created_at=old,
        ),
    }
    return rows


def test_delivery_log_filters(viewer_client, outbox):
    def ids(query):
        response = viewer_client.get(f"/dashboard/deliveries/?{query}")
        assert response.status_code == 200
        return {int(pk) for pk in _row_ids(response.text)}

    assert ids("state=dead") == {outbox[k].pk for k in ("ann_dead", "hook_dead", "gone_dead")}
    assert ids("channel=webhook") == {outbox["hook_dead"].pk}
    assert ids(f"event={outbox['ann_sent'].event_id}") == {outbox["ann_sent"].pk}
    assert ids("q=ann@") == {outbox["ann_dead"].pk, outbox["ann_sent"].pk}
    day = timezone.localdate() - timedelta(days=10)
    assert ids(f"date_from={day}&date_to={day}") == {outbox["ann_sent"].pk}
    page = viewer_client.get("/dashboard/deliveries/?state=dead").text
    assert "SMTP 550 mailbox unavailable" in page and "Replay" not in page
    assert "&lt;msg-1@example.test&gt;" in viewer_client.get("/dashboard/deliveries/").text


def test_replay_selected_dead_deliveries(admin_client, outbox):
    response = admin_client.post(
        "/dashboard/deliveries/replay/",
        {"scope": "selected", "ids": [outbox["ann_dead"].pk, outbox["ann_sent"].pk]},
        follow=True,
    )
    assert "1 deliveries replayed." in response.text
    states = {k: Delivery.objects.get(pk=d.pk).state for k, d in outbox.items()}
    # Tests never commit, so the replayed row waits, pending, for its batch job.
    assert states["ann_dead"] == DeliveryState.PENDING
    assert Delivery.objects.get(pk=outbox["ann_dead"].pk).attempts == 0
    assert states["hook_dead"] == states["gone_dead"] == DeliveryState.DEAD


def test_replay_all_dead_matching_the_filter(admin_client, outbox):
    response = admin_client.post(
        "/dashboard/deliveries/replay/", {"scope": "all", "channel": "webhook"}, follow=True
    )
    assert "1 deliveries replayed." in response.text
    assert response.redirect_chain[-1][0] == "/dashboard/deliveries/?channel=webhook"
    assert Delivery.objects.get(pk=outbox["ann_dead"].pk).state == DeliveryState.DEAD
    assert Delivery.objects.get(pk=outbox["hook_dead"].pk).state != DeliveryState.DEAD
    # The unsubscribed one matches "all dead" but replay never reaches an unsubscriber.
    again = admin_client.post("/dashboard/deliveries/replay/", {"scope": "all"}, follow=True)
    assert "1 deliveries replayed." in again.text
    assert Delivery.objects.get(pk=outbox["gone_dead"].pk).state == DeliveryState.DEAD


# --- "This will notify" --------------------------------------------------------------------


def _reach_text(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", t) for t in re.findall(r'<p class="reach"[^>]*>(.*?)</p>', html)]


def test_declare_form_counts_all_component_subscribers_and_says_so(
    responder_client, make_subscriber, api
):
    make_subscriber(address="all@example.test")
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(channel=Channel.SMS, address="+14155550101")
    [text] = _reach_text(responder_client.get("/dashboard/incidents/new/").text)
    assert text.startswith("This will notify 2 subscribers: 1 email, 1 SMS.")
    assert "subscribers to all components" in text
    reach = responder_client.get(
        "/dashboard/reach/", {"kind": "incident.created", "components": [api.pk], "all_only": "1"}
    ).json()
    assert reach["counts"]["email"] == 2 and reach["total"] == 3
    assert "all components" not in reach["text"]


def test_reach_on_forms_equals_deliveries_written(
    responder_client, make_subscriber, api, web, operator, settings
):
    settings.NOTIFY_SMS_EVENTS = ["incident.created"]
    incident = services.incident_create(
        name="Down", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    make_subscriber(address="inc@example.test", incident=incident)
    make_subscriber(channel=Channel.SMS, address="+14155550101")
    make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/x", components=[api])
    html = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").text
    update_text, resolve_text = _reach_text(html)
    assert update_text.startswith("This will notify 3 subscribers: 2 email, 1 Webhook.")
    assert "SMS is not sent" in update_text
    responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/update/",
        {"status": "identified", "body": "Found it", "notify": "on", f"component_{web.pk}": ""},
    )
    event = Event.objects.get(kind="incident.updated")
    assert Delivery.objects.filter(event=event).count() == 3
    assert resolve_text.startswith("This will notify 3 subscribers")
    # Adding Web to the update would add its subscriber: the JSON endpoint counts it.
    more = responder_client.get(
        "/dashboard/reach/",
        {"kind": "incident.updated", "components": [web.pk], "incident": incident.public_id},
    ).json()
    assert more["total"] == 4


def test_maintenance_form_shows_reach(responder_client, make_subscriber, api):
    make_subscriber(address="api@example.test", components=[api])
    [text] = _reach_text(responder_client.get("/dashboard/maintenance/new/").text)
    assert text.startswith("This will notify nobody")
    refused = responder_client.post("/dashboard/maintenance/new/", {"components": [api.pk]})
    [text] = _reach_text(refused.text)
    assert text.startswith("This will notify 1 subscriber: 1 email.")


def test_reach_endpoint_refuses_unknown_kind_and_component(viewer_client, page):
    assert viewer_client.get("/dashboard/reach/", {"kind": "rm -rf"}).status_code == 400
    bad = viewer_client.get("/dashboard/reach/", {"kind": "incident.created", "components": "99"})
    assert bad.status_code == 400
