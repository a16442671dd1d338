"""The outbox: Delivery rows written with the event, batch jobs enqueued on commit.

Rows are created with one INSERT ... SELECT over the matching subscribers, so 100k
subscribers cost one statement inside the operator's transaction, not 100k Python objects.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from incidents.events import DomainEvent, EventKind
from incidents.models import (
    Component,
    Incident,
    IncidentComponent,
    Maintenance,
    Page,
    Visibility,
    default_page_id,
)
from incidents.queue import QueueUnavailable, enqueue_now, enqueue_on_commit
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberState,
)
from notifications.services import marks
from notifications.services.attempts import attempts_insert, lease_expired_entries
from notifications.services.marks import MarksUnavailable, accepted_under, forget_accepted

log = logging.getLogger(__name__)

QUEUE = "notifications"
DELIVER_JOB = "notifications.jobs.deliver_batch"


def _channels_for(kind: str) -> list[str]:
    channels = [c.value for c in Channel]
    if kind not in settings.NOTIFY_SMS_EVENTS:
        channels.remove(Channel.SMS)
    return channels


def event_publish(event: DomainEvent) -> Event | None:
    """Receive a domain event inside the transaction that caused it and write its outbox.

    Returns the Event row, or None when nothing is to be sent (the operator chose not to
    notify, or component changes are switched off).
    """
    if not event.notify:
        return None
    page_id = event_page(
        incident_id=event.incident_id,
        maintenance_id=event.maintenance_id,
        component_ids=event.component_ids,
    )
    if event.kind == EventKind.COMPONENT_STATUS_CHANGED and not component_changes_notify(page_id):
        return None
    row = Event.objects.create(
        kind=event.kind,
        page_id=page_id,
        incident_id=event.incident_id,
        incident_update_id=event.incident_update_id,
        maintenance_id=event.maintenance_id,
        maintenance_update_id=event.maintenance_update_id,
        component_ids=list(event.component_ids),
        status_change_ids=list(event.status_change_ids),
    )
    count = _insert_deliveries(row, event)
    log.info("event %s #%s: %d deliveries", event.kind, row.id, count)
    for batch_no in range(batch_count(count)):
        enqueue_on_commit(
            DELIVER_JOB,
            row.id,
            batch_no,
            queue=QUEUE,
            job_id=batch_job_id(row.id, batch_no),
            unique=True,
        )
    return row


def component_changes_notify(page: int | None = None) -> bool:
    """The page setting: whether status changes outside incidents notify at all. None: the
    default page's."""
    pages = Page.objects.order_by("id") if page is None else Page.objects.filter(pk=page)
    return bool(pages.values_list("notify_component_changes", flat=True).first())


def event_page(
    *,
    incident_id: int | None = None,
    maintenance_id: int | None = None,
    component_ids: Iterable[int] = (),
) -> int | None:
    """The page an event belongs to: its incident's, its maintenance's, else its components'
    (a domain write never mixes pages); the default page when it names none of them."""
    found: int | None = None
    if incident_id is not None:
        found = Incident.objects.filter(pk=incident_id).values_list("page_id", flat=True).first()
    elif maintenance_id is not None:
        found = (
            Maintenance.objects.filter(pk=maintenance_id).values_list("page_id", flat=True).first()
        )
    elif ids := list(component_ids):
        found = (
            Component.objects.filter(pk__in=ids)
            .order_by("id")
            .values_list("page_id", flat=True)
            .first()
        )
    return found if found is not None else default_page_id()


def batch_count(rows: int) -> int:
    return math.ceil(rows / settings.NOTIFY_BATCH_SIZE)


def batch_job_id(event_id: int, batch_no: int) -> str:
    # Deterministic: enqueuing the same batch twice (retry of the enqueue) is a no-op in RQ.
    return f"notify-{event_id}-{batch_no}"


def matching_subscribers(
    *,
    kind: str,
    component_ids: Iterable[int],
    incident_id: int | None = None,
    page: int | None = None,
) -> QuerySet[Subscriber]:
    """Active subscribers of `page` an event of `kind` about these components (and incident)
    reaches. `page` None: the event's own (`event_page`), never every page's.

    The one statement of the matching rules: the outbox insert and the dashboard's "this will
    notify" figures both use it, so the figure shown is the number of rows written."""
    component_ids = list(component_ids)
    if page is None:
        page = event_page(incident_id=incident_id, component_ids=component_ids)
    if page is None:
        return Subscriber.objects.none()  # an install without a page has no subscriber
    scope = Q(incident__isnull=True) & (
        Q(all_components=True) | Q(components__in=list(component_ids))
    )
    if incident_id is not None:
        scope |= Q(incident_id=incident_id)
    # Subscribers "of all components" of every page would match without the page.
    return Subscriber.objects.filter(
        scope,
        _audience_sees(component_ids, incident_id),
        page_id=page,
        state=SubscriberState.ACTIVE,
        channel__in=_channels_for(kind),
    ).exclude(channel=Channel.SMS, sms_opted_out=True)


def _audience_sees(component_ids: list[int], incident_id: int | None) -> Q:
    """On an audience-specific page a subscriber hears only what its audience reads: an event
    touching at least one of the audience's components (an incident by every component it
    names, as the page shows it). One without an audience there hears nothing (docs/pages.md,
    "Audiences")."""
    sees = Q(audience__components__in=component_ids)
    if incident_id is not None:
        touched = IncidentComponent.objects.filter(incident_id=incident_id).values("component_id")
        sees |= Q(audience__components__in=touched)
    return ~Q(page__visibility=Visibility.AUDIENCE) | (Q(audience__isnull=False) & sees)


def _insert_deliveries(row: Event, event: DomainEvent) -> int:
    """One INSERT ... SELECT of every matching active subscriber; returns the row count."""
    matching = (
        matching_subscribers(
            kind=event.kind,
            component_ids=event.component_ids,
            incident_id=event.incident_id,
            page=row.page_id,
        )
        .values("id")
        .distinct()
    )
    now = timezone.now()
    select_sql, select_params = matching.query.sql_with_params()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    sub_table = connection.ops.quote_name(Subscriber._meta.db_table)
    sql = (
        f"INSERT INTO {table} (event_id, subscriber_id, channel, state, attempts,"  # noqa: S608
        " next_attempt_at, last_error, provider_id, created_at, updated_at)"
        f" SELECT %s, s.id, s.channel, %s, 0, %s, '', '', %s, %s FROM {sub_table} s"
        f" WHERE s.id IN ({select_sql})"
        " ON CONFLICT DO NOTHING"
    )
    params = (row.id, DeliveryState.PENDING, now, now, now, *select_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted: int = cursor.rowcount
    return inserted


def outbox_relay(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic safety net: reclaim rows whose sending lease expired (worker killed) and
    enqueue every event that has due pending rows (enqueue lost, Redis was down, retries)."""
    now = now or timezone.now()
    reclaimed = deliveries_reclaim_expired(now=now)
    due = (
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .values("event_id")
        .annotate(rows=Count("id"))
        .order_by("event_id")[:1000]
    )
    # One job per batch of due rows (an event whose whole enqueue was lost may have 100k);
    # ids are per minute, so relay ticks within a minute do not pile up jobs.
    minute = now.strftime("%Y%m%d%H%M")
    enqueued = 0
    try:
        for item in due:
            for n in range(batch_count(item["rows"])):
                enqueue_now(
                    DELIVER_JOB,
                    item["event_id"],
                    -1,
                    queue=QUEUE,
                    job_id=f"notify-relay-{item['event_id']}-{minute}-{n}",
                    unique=True,
                )
                enqueued += 1
    except QueueUnavailable as exc:
        log.warning("relay could not enqueue: %s", exc)
    return {"reclaimed": reclaimed, "enqueued": enqueued}


LEASE_EXPIRED_ERROR = "Worker stopped while sending (lease expired)"


def deliveries_reclaim_expired(*, now: datetime | None = None) -> int:
    """Rows whose sending lease expired (worker killed, or too slow) go back to `pending`,
    or to `dead` once they have used every attempt (attempts are counted at claim time: a
    message that keeps killing its worker dies), and are claimable again. Each leaves a line
    in the attempt log. Returns how many went back to `pending`.

    First, rows whose message was accepted before their worker died (marked in Redis under
    the lease that expired: notifications/services/marks.py) become `sent` instead: sending
    them again would be a duplicate. While the marks cannot be read, no row is taken back."""
    now = now or timezone.now()
    try:
        _record_accepted(now)
    except MarksUnavailable as exc:
        log.warning("relay: accepted marks unreadable, expired leases kept for now: %s", exc)
        return 0
    table = connection.ops.quote_name(Delivery._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    # One statement, RETURNING what it changed: the log lines name exactly the rows moved,
    # even if a slow worker records one of them in between.
    sql = (
        f"UPDATE {table} SET state = CASE WHEN attempts >= %s THEN %s ELSE %s END,"  # noqa: S608
        " lease_expires_at = NULL, last_error = %s, updated_at = %s"
        " WHERE state = %s AND lease_expires_at < %s RETURNING id, attempts, state"
    )
    params: list[int | str | None] = [
        settings.NOTIFY_MAX_ATTEMPTS,
        DeliveryState.DEAD,
        DeliveryState.PENDING,
        LEASE_EXPIRED_ERROR,
        at,
        DeliveryState.SENDING,
        at,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved: list[tuple[int, int, str]] = cursor.fetchall()
        lease_expired_entries(moved, at=now, message=LEASE_EXPIRED_ERROR)
    return sum(1 for _pk, _number, state in moved if state == DeliveryState.PENDING)


def _record_accepted(now: datetime) -> None:
    """Rows under an expired lease that their worker marked accepted become `sent`, with the
    attempt-log line the worker would have written at its next flush."""
    if not marks.store_url():
        return
    expired = list(
        Delivery.objects.filter(state=DeliveryState.SENDING, lease_expires_at__lt=now).values_list(
            "id", "event_id", "lease_expires_at"
        )
    )
    accepted = accepted_under(expired)
    if not accepted:
        return
    leases = {pk: lease for pk, _event_id, lease in expired}
    events = {pk: event_id for pk, event_id, _lease in expired}
    recorded: list[int] = []
    with transaction.atomic():
        for pk, (provider_id, entry) in accepted.items():
            sent_at = entry.at + timedelta(milliseconds=entry.latency_ms or 0)
            # Fenced as the worker's own flush: only while still held under that lease.
            if Delivery.objects.filter(
                pk=pk, state=DeliveryState.SENDING, lease_expires_at=leases[pk]
            ).update(
                state=DeliveryState.SENT,
                sent_at=sent_at,
                updated_at=now,
                lease_expires_at=None,
                last_error="",
                provider_id=provider_id,
            ):
                recorded.append(pk)
        attempts_insert([entry for pk, (_pid, entry) in accepted.items() if pk in recorded])
    forget_accepted((pk, events[pk]) for pk in recorded)
    log.warning(
        "relay: %d deliveries accepted before their worker stopped recorded as sent",
        len(recorded),
    )


def lease_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def deliveries_replay(*, delivery_ids: list[int]) -> int:
    """Give dead or failed rows a fresh set of attempts (operator's replay). Rows of
    subscribers no longer active are left alone: replay never reaches an unsubscriber."""
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.filter(
            id__in=delivery_ids,
            state__in=[DeliveryState.DEAD, DeliveryState.FAILED],
            subscriber__state=SubscriberState.ACTIVE,
        )
        event_ids = set(rows.values_list("event_id", flat=True))
        count = Delivery.objects.filter(id__in=list(rows.values_list("id", flat=True))).update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error="",
            updated_at=now,
        )
        stamp = int(now.timestamp())
        for event_id in sorted(event_ids):
            enqueue_on_commit(
                DELIVER_JOB,
                event_id,
                -1,
                queue=QUEUE,
                job_id=f"notify-replay-{event_id}-{stamp}",
                unique=True,
            )
    return count
