"""A delivery's page: the row and its attempt log, newest first, with each try's time, outcome,
code, latency and the start of the answer; linked from the delivery log and the subscriber
list."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Channel, Delivery, DeliveryAttempt, Event
from notifications.services import delivery


def _path(row: Delivery) -> str:
    return f"/dashboard/deliveries/{row.pk}/"


def _row(make_subscriber, **kwargs) -> Delivery:
    sub = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/in")
    event = Event.objects.create(kind="incident.created")
    return Delivery.objects.create(event=event, subscriber=sub, channel="webhook", **kwargs)


def _log(row: Delivery, *entries: dict) -> None:
    for n, entry in enumerate(entries, start=1):
        DeliveryAttempt.objects.create(delivery=row, number=n, **entry)


def _attempt_rows(html: str) -> list[str]:
    table = html.split('<table class="attempts', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)


def test_the_attempts_are_listed_newest_first_with_what_each_got_back(
    viewer_client, make_subscriber
):
    start = timezone.now() - timedelta(minutes=10)
    row = _row(make_subscriber, state="sent", attempts=3, sent_at=timezone.now())
    _log(
        row,
        {
            "at": start,
            "outcome": "retry",
            "code": "HTTP 503",
            "latency_ms": 87,
            "message": "HTTP 503",
            "excerpt": "<script>alert(1)</script> upstream overloaded",
        },
        {
            "at": start + timedelta(minutes=1),
            "outcome": "retry",
            "latency_ms": 10004,
            "message": "Connection timed out",
        },
        {
            "at": start + timedelta(minutes=5),
            "outcome": "sent",
            "code": "HTTP 204",
            "latency_ms": 41,
        },
    )
    response = viewer_client.get(_path(row))
    assert response.status_code == 200
    html = response.content.decode()
    newest, middle, oldest = _attempt_rows(html)
    sent = (start + timedelta(minutes=5)).isoformat(timespec="seconds")
    assert f'<time datetime="{sent}" data-local>' in newest
    assert ">Sent<" in newest and "HTTP 204" in newest and "41 ms" in newest
    assert "Failed, will retry" in middle and "Connection timed out" in middle
    assert "10004 ms" in middle
    assert "HTTP 503" in oldest and "87 ms" in oldest
    # The answer is shown as text, never as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; upstream overloaded" in oldest
    assert "<script>alert" not in html
    # The row itself: subscriber, state, number of attempts.
    assert "https://hooks.example.test/in" in html and "after 3 attempts" in html


def test_a_delivery_without_logged_attempts_says_so(viewer_client, make_subscriber, settings):
    settings.NOTIFY_ATTEMPT_RETENTION_DAYS = 30
    fresh = _row(make_subscriber)
    assert "No attempts yet." in viewer_client.get(_path(fresh)).content.decode()
    Delivery.objects.filter(pk=fresh.pk).update(attempts=2, state="dead")
    html = viewer_client.get(_path(fresh)).content.decode()
    assert "No attempts within the last 30 days." in html


def test_an_unknown_delivery_is_a_404(viewer_client, page):
    assert viewer_client.get("/dashboard/deliveries/999999/").status_code == 404


def test_the_page_costs_the_same_queries_for_1_and_40_attempts(viewer_client, make_subscriber):
    costs = []
    for count in (1, 40):
        row = _row(make_subscriber) if not costs else Delivery.objects.get()
        DeliveryAttempt.objects.filter(delivery=row).delete()
        _log(row, *[{"at": timezone.now(), "outcome": "retry"} for _ in range(count)])
        with CaptureQueriesContext(connection) as captured:
            assert viewer_client.get(_path(row)).status_code == 200
        costs.append(len(captured))
    assert costs[0] == costs[1]


def test_the_delivery_log_and_the_subscriber_list_lead_to_the_attempts(
    viewer_client, make_subscriber
):
    row = _row(make_subscriber, state="dead", attempts=8)
    log_html = viewer_client.get("/dashboard/deliveries/").content.decode()
    assert f'href="/dashboard/deliveries/{row.pk}/"' in log_html
    assert f'href="/dashboard/deliveries/{row.pk}/#attempts"' in log_html
    list_html = viewer_client.get("/dashboard/subscribers/").content.decode()
    assert f'href="/dashboard/deliveries/?q={row.subscriber.public_id}"' in list_html


def test_a_real_webhook_history_shows_on_the_page(
    viewer_client, receiver, make_subscriber, api, operator
):
    """From the transport to the page: a 503 with a body, then a 204."""
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    services.incident_create(
        name="API errors",
        body="Errors.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    event = Event.objects.get()
    receiver.status, receiver.body = 503, b"Service Unavailable: queue full"
    delivery.batch_deliver(event_id=event.id)
    Delivery.objects.update(next_attempt_at=timezone.now())
    receiver.status, receiver.body = 204, b""
    delivery.batch_deliver(event_id=event.id)
    html = viewer_client.get(_path(Delivery.objects.get())).content.decode()
    newest, oldest = _attempt_rows(html)
    assert "HTTP 204" in newest and ">Sent<" in newest
    assert "HTTP 503" in oldest and "Service Unavailable: queue full" in oldest
