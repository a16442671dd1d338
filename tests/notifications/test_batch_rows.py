"""A batch job's rows, loaded as values into model instances, and the attempt-log lines and
sent rows it writes in one statement each: the same as the ORM's, and only the claim's own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Delivery, DeliveryAttempt, DeliveryState, Event
from notifications.services.attempts import Attempt, attempts_insert
from notifications.services.delivery import batch, deliveries_claim
from notifications.services.delivery.records import record_sent


def _event(operator, component) -> Event:
    services.incident_create(
        name="API errors",
        body="Errors on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    return Event.objects.get()


def _claimed(make_subscriber, operator, api, count: int) -> tuple[Event, list[int], datetime]:
    for n in range(count):
        make_subscriber(address=f"reader{n}@example.test", language="de" if n % 2 else "")
    event = _event(operator, api)
    lease = timezone.now() + timedelta(minutes=5)
    ids = deliveries_claim(event_id=event.id, limit=100, lease=lease)
    assert len(ids) == count
    return event, ids, lease


def test_loaded_rows_carry_the_orm_values_and_their_subscriber(make_subscriber, operator, api):
    event, ids, lease = _claimed(make_subscriber, operator, api, 3)
    rows = batch.Batch(event.id, threading.Event()).load(ids, lease, "id")
    assert [row.pk for row in rows] == ids
    for row in rows:
        orm = Delivery.objects.select_related("subscriber").get(pk=row.pk)
        with CaptureQueriesContext(connection) as captured:
            for name in batch._ROW_COLUMNS:  # noqa: SLF001 - the columns the batch reads
                assert getattr(row, name) == getattr(orm, name), name
            for name in batch._SUBSCRIBER_COLUMNS:  # noqa: SLF001
                assert getattr(row.subscriber, name) == getattr(orm.subscriber, name), name
        assert len(captured) == 0  # every column the batch reads came with the load
        assert not row._state.adding and row._state.db == orm._state.db  # noqa: SLF001
        # A column left out is deferred, as with QuerySet.defer: read when asked for.
        assert row.created_at == orm.created_at
        assert row.subscriber.confirmed_at == orm.subscriber.confirmed_at


def test_a_row_of_another_claim_among_the_ids_is_not_loaded(make_subscriber, operator, api):
    """The load takes the ids' range: a row in it that another claim holds, even under an
    equal lease, is not this job's."""
    event, ids, lease = _claimed(make_subscriber, operator, api, 3)
    first, middle, last = ids
    rows = batch.Batch(event.id, threading.Event()).load([first, last], lease, "id")
    assert [row.pk for row in rows] == [first, last]
    assert Delivery.objects.get(pk=middle).lease_expires_at == lease


def test_attempt_lines_are_written_as_given(make_subscriber, operator, api):
    event, ids, _lease = _claimed(make_subscriber, operator, api, 2)
    at = datetime(2026, 12, 4, 15, 30, 1, 123457, tzinfo=UTC)
    lines = [
        Attempt(ids[0], 1, at, "sent", "SMTP 250", 12, "", 'Ok "queued" \\ as 4F3A – ü'),
        Attempt(ids[1], 2, at + timedelta(microseconds=1), "retry", "", None, "Timed out", ""),
    ]
    attempts_insert(lines)
    stored = DeliveryAttempt.objects.order_by("delivery_id").values_list(
        "delivery_id", "number", "at", "outcome", "code", "latency_ms", "message", "excerpt"
    )
    assert [Attempt(*values) for values in stored] == lines


def test_sent_rows_are_written_only_under_their_own_lease(make_subscriber, operator, api):
    event, ids, lease = _claimed(make_subscriber, operator, api, 2)
    rows = batch.Batch(event.id, threading.Event()).load(ids, lease, "id")
    for row in rows:
        row.provider_id = f"<{row.pk}@example.test>"
    # The second row was taken back meanwhile and claimed again under another lease.
    later = lease + timedelta(microseconds=1)
    Delivery.objects.filter(pk=ids[1]).update(lease_expires_at=later)
    record_sent(rows)
    first, second = Delivery.objects.order_by("id")
    assert (first.state, first.provider_id) == (DeliveryState.SENT, f"<{ids[0]}@example.test>")
    assert first.lease_expires_at is None and first.sent_at is not None
    assert (second.state, second.provider_id, second.lease_expires_at) == (
        DeliveryState.SENDING,
        "",
        later,
    )


def test_an_excerpt_takes_a_clean_line_as_it_is_and_cleans_any_other():
    """The shortcut for a line that needs no cleaning gives what the cleaning gives."""
    from notifications.transports.base import _UNPRINTABLE, EXCERPT_CHARS, excerpt

    def cleaned(text: str) -> str:
        text = " ".join(_UNPRINTABLE.sub(" ", text).split())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"

    for text in [
        "2.0.0 Ok: queued as 4F3A",
        "Grüße – ok",
        " leading",
        "trailing ",
        "two  spaces",
        "tab\there",
        "line\r\nbreak",
        "no\u00a0break space",
        "ideographic\u3000space",
        "separator\u2028here",
        "bidi\u202eoverride",
        "c1\x85control",
        "x" * EXCERPT_CHARS,
        "x" * (EXCERPT_CHARS + 1),
    ]:
        assert excerpt(text) == cleaned(text), repr(text)
        assert excerpt(text.encode()) == cleaned(text), repr(text)
