"""Workers' side of the outbox: claim a batch, render, send, record each attempt.

The retry policy lives here and only here: next_attempt_at with exponential backoff and
jitter; permanent errors fail at once; the last failed try makes the row dead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from incidents.events import EventKind
from notifications import links, render
from notifications.models import (
    URL_CHANNELS,
    Channel,
    Delivery,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberState,
)
from notifications.services.outbox import lease_deadline
from notifications.services.subscriptions import (
    OPTED_OUT_ERROR,
    sms_opt_out,
    subscriber_quarantine,
)
from notifications.transports import Outgoing, TransportError, transport_for
from notifications.transports.sms import OPTED_OUT_CODE
from notifications.transports.webhook import Attempt

log = logging.getLogger(__name__)

QUARANTINE_FAILURES = 10
QUARANTINE_WINDOW = timedelta(hours=1)
SENT_FLUSH = 100

MAX_BACKOFF = timedelta(hours=6)
# A batch job keeps topping up its HTTP window from the outbox for this long (well inside
# RQ's 300 s job timeout and the sending lease); the event's other batch jobs take over after.
HTTP_TOPUP_SECONDS = 120
TOPUP_MIN = 50
WATCHDOG_SECONDS = 0.25


def deliveries_claim(*, event_id: int, limit: int, channels=None) -> list[int]:
    """Atomically move up to `limit` due pending rows of an event (of `channels`, or all)
    to `sending` under a lease."""
    now = timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # SKIP LOCKED lets concurrent batch jobs on PostgreSQL take disjoint rows without waiting;
    # SQLite serialises writers, so the conditional UPDATE alone is atomic there.
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    channels = list(channels or [])
    only = f" AND channel IN ({', '.join(['%s'] * len(channels))})" if channels else ""
    # The pick is a MATERIALIZED CTE: as a plain `IN (SELECT ... LIMIT n)` PostgreSQL may
    # re-run the subquery per row and claim more than `limit` rows.
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT id FROM {table}"  # noqa: S608
        f" WHERE event_id = %s AND state = %s AND next_attempt_at <= %s{only}"
        # Oldest due first: rows never tried come before retries (whose next_attempt_at
        # lies later), so retries of hanging endpoints never queue ahead of first sends.
        f" ORDER BY next_attempt_at, id LIMIT %s{lock})"
        # The attempt is counted at claim time, so a message that kills its worker every
        # time still runs out of attempts instead of being reclaimed forever.
        f" UPDATE {table} SET state = %s, lease_expires_at = %s, updated_at = %s,"
        " attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM picked) AND state = %s RETURNING id"
    )
    params = [
        event_id,
        DeliveryState.PENDING,
        now,
        *channels,
        limit,
        DeliveryState.SENDING,
        lease_deadline(now),
        now,
        DeliveryState.PENDING,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def batch_deliver(*, event_id: int) -> dict[str, int]:
    """Claim one batch of an event's deliveries and send it. Returns counts by outcome."""
    with _stop_on_sigterm() as stopping:
        return _batch_deliver(event_id, stopping)


def _batch_deliver(event_id: int, stopping: threading.Event) -> dict[str, int]:
    ids = deliveries_claim(event_id=event_id, limit=settings.NOTIFY_BATCH_SIZE)
    counts = {"sent": 0, "retry": 0, "failed": 0, "dead": 0}
    if not ids:
        return counts
    event = Event.objects.select_related(
        "incident", "incident_update", "maintenance", "maintenance_update"
    ).get(pk=event_id)
    view = render.event_view(event)
    rows = (
        Delivery.objects.filter(id__in=ids).select_related("subscriber").order_by("channel", "id")
    )
    transports, sent, done = {}, [], set()
    # Every row this job holds under a lease, top-ups included: released if SIGTERM stops it.
    claimed = list(ids)

    def record(row: Delivery, outcome: str) -> None:
        nonlocal sent
        counts[outcome] += 1
        done.add(row.pk)
        if outcome == "sent":
            sent.append(row)
        if len(sent) >= SENT_FLUSH:
            _record_sent(sent)
            sent = []

    try:
        url_rows = [row for row in rows if row.channel in URL_CHANNELS]
        for row in rows:
            if stopping.is_set():
                break
            if row.channel in URL_CHANNELS:
                continue
            transport = transports.get(row.channel)
            if transport is None:
                transport = transports[row.channel] = transport_for(row.channel)
            record(row, _attempt(row, transport, view))
        if not stopping.is_set():
            _send_concurrently(
                url_rows, view, record, event_id=event_id, stopping=stopping, claimed=claimed
            )
    finally:
        _record_sent(sent)
        for transport in transports.values():
            transport.close()
        if stopping.is_set():
            _release([pk for pk in claimed if pk not in done])
    return counts


@contextlib.contextmanager
def _stop_on_sigterm():
    """RQ's work horse leaves SIGTERM at its default action (die at once), while its parent,
    on SIGTERM, waits for the horse to finish the job (warm shutdown). A SIGTERM that reaches
    the horse itself (a platform that signals every process of a container) would leave the
    claimed rows `sending` until their lease ran out and re-send up to SENT_FLUSH of them.
    Instead the batch stops after the message in hand: what went out is recorded, the rest
    is released. Only where SIGTERM has no handler yet, and only on the main thread."""
    stopping = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield stopping
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    try:
        yield stopping
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if stopping.is_set():
        log.warning("SIGTERM: batch stopped early, unsent rows released")
        from rq import get_current_job

        # An RQ horse exits after this one job anyway; anything else gets its signal back.
        if get_current_job() is None:
            os.kill(os.getpid(), signal.SIGTERM)


def _release(ids: list[int]) -> None:
    """Give claimed rows that were never tried back to the queue, uncounted."""
    if not ids:
        return
    now = timezone.now()
    Delivery.objects.filter(id__in=ids, state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING,
        lease_expires_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=now,
        updated_at=now,
    )


def _send_concurrently(
    rows: list[Delivery],
    view: render.EventView,
    record,
    *,
    event_id: int,
    stopping: threading.Event,
    claimed: list[int],
) -> None:
    """HTTP endpoints are sent by a sliding window of NOTIFY_HTTP_CONCURRENCY threads that
    is topped up from the outbox as sends finish: a hanging endpoint holds one thread for one
    timeout, never the batch, and this job keeps claiming the event's due URL rows while
    slots are free (up to HTTP_TOPUP_SECONDS), so the next rows do not wait for the slowest
    sends of this batch. Only the sends run in threads; rendering, claiming and every
    database write stay on this thread. After SIGTERM (`stopping`) nothing new is started:
    the sends in flight finish and the caller releases the rest."""
    concurrency = settings.NOTIFY_HTTP_CONCURRENCY
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    queue = deque(rows)
    inflight: dict[Future, tuple[Delivery, Attempt]] = {}
    topup_until = time.monotonic() + HTTP_TOPUP_SECONDS
    transports: dict[str, object] = {}

    def send(row: Delivery, message: Outgoing, attempt: Attempt):
        try:
            return transports[row.channel].send(message, attempt), None
        except TransportError as exc:
            return "", exc
        except Exception as exc:  # noqa: BLE001 - one odd URL must not end the whole window
            log.exception("delivery %s could not be sent", row.pk)
            return "", TransportError(f"Could not send: {type(exc).__name__}")

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        while True:
            while queue and len(inflight) < concurrency and not stopping.is_set():
                row = queue.popleft()
                error = _not_sendable(row)
                if error is None:
                    try:
                        message = build_message(row, row.subscriber, view)
                    except Exception as exc:  # noqa: BLE001 - one broken message must not stall a batch
                        log.exception("delivery %s could not be rendered", row.pk)
                        error = TransportError(f"Could not render: {type(exc).__name__}")
                if error is not None:
                    record(row, _record_failure(row, error))
                    continue
                if row.channel not in transports:
                    transports[row.channel] = transport_for(row.channel)
                attempt = Attempt()
                inflight[pool.submit(send, row, message, attempt)] = (row, attempt)
            free = concurrency - len(inflight)
            if not queue and free > 0 and time.monotonic() < topup_until and not stopping.is_set():
                more = deliveries_claim(
                    event_id=event_id,
                    limit=min(settings.NOTIFY_BATCH_SIZE, max(free, TOPUP_MIN)),
                    channels=URL_CHANNELS,
                )
                claimed.extend(more)
                if more:
                    queue.extend(
                        Delivery.objects.filter(id__in=more)
                        .select_related("subscriber")
                        .order_by("id")
                    )
                    continue
                # Nothing due now: later retries are the relay's and the next batch's.
                topup_until = 0.0
            if not inflight and (not queue or stopping.is_set()):
                return
            done, _ = wait(inflight, timeout=WATCHDOG_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                row, _attempt = inflight.pop(future)
                provider_id, error = future.result()
                if error is not None:
                    record(row, _record_failure(row, error))
                else:
                    row.provider_id = provider_id[:200]
                    record(row, "sent")
            # WEBHOOK_TIMEOUT_SECONDS is a total per POST, not only per socket operation.
            now = time.monotonic()
            # Repeated each tick: abort is idempotent and also catches a socket that was
            # still being opened at the first try.
            for _row, attempt in inflight.values():
                if now - attempt.started > timeout:
                    attempt.abort()


def _not_sendable(row: Delivery) -> TransportError | None:
    subscriber = row.subscriber
    # Unsubscribed (or STOPped) after the row was written: never send after unsubscribe.
    if subscriber.state != SubscriberState.ACTIVE:
        return TransportError("Subscriber no longer active", permanent=True)
    if row.channel == Channel.SMS and subscriber.sms_opted_out:
        return TransportError(OPTED_OUT_ERROR, permanent=True)
    return None


def _record_sent(rows: list[Delivery]) -> None:
    """Successes are written in chunks (one query per chunk, not per row): a worker killed
    mid-chunk leaves at most SENT_FLUSH rows to be re-sent after their lease expires, and
    the stable Message-ID / webhook-id lets receivers drop those duplicates."""
    if not rows:
        return
    # One statement: Django's bulk_update builds a CASE per field and row, which costs more
    # Python time than the sends themselves.
    now = timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(rows))
    sql = (
        f"WITH v(id, pid) AS (VALUES {values})"  # noqa: S608
        f" UPDATE {table} SET state = %s, sent_at = %s,"
        " updated_at = %s, lease_expires_at = NULL, last_error = '',"
        f" provider_id = (SELECT pid FROM v WHERE v.id = {table}.id)"
        " WHERE id IN (SELECT id FROM v)"
    )
    params = [x for row in rows for x in (row.pk, row.provider_id)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, DeliveryState.SENT, now, now])


def _attempt(row: Delivery, transport, view: render.EventView) -> str:
    error = _not_sendable(row)
    if error is not None:
        return _record_failure(row, error)
    try:
        message = build_message(row, row.subscriber, view)
    except Exception as exc:  # noqa: BLE001 - one broken message must not stall its batch
        log.exception("delivery %s could not be rendered", row.pk)
        return _record_failure(row, TransportError(f"Could not render: {type(exc).__name__}"))
    try:
        provider_id = transport.send(message)
    except TransportError as exc:
        return _record_failure(row, exc)
    except Exception as exc:  # noqa: BLE001 - one odd message must not end the whole batch
        log.exception("delivery %s could not be sent", row.pk)
        return _record_failure(row, TransportError(f"Could not send: {type(exc).__name__}"))
    row.provider_id = provider_id[:200]
    return "sent"


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter between half and the whole step."""
    step = settings.NOTIFY_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF, timedelta(seconds=step * random.uniform(0.5, 1.0)))


def _record_failure(row: Delivery, error: TransportError) -> str:
    now = timezone.now()
    attempts = row.attempts  # already counted by the claim
    if error.permanent:
        state, outcome = DeliveryState.FAILED, "failed"
    elif attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        state, outcome = DeliveryState.DEAD, "dead"
    else:
        state, outcome = DeliveryState.PENDING, "retry"
    Delivery.objects.filter(pk=row.pk).update(
        state=state,
        next_attempt_at=now + backoff(attempts) if outcome == "retry" else now,
        lease_expires_at=None,
        last_error=error.message[:200],
        updated_at=now,
    )
    log.info("delivery %s attempt %s: %s (%s)", row.pk, attempts, error.message, outcome)
    if row.channel == Channel.SMS and error.code == OPTED_OUT_CODE:
        # Twilio knows of a STOP we never saw (sent before this subscription, or its inbound
        # hook was missed): record it, so later events skip the number until START.
        sms_opt_out(number=row.subscriber.address)
    if row.channel in URL_CHANNELS and outcome != "failed":
        endpoint_failure_record(subscriber_id=row.subscriber_id, message=error.message, at=now)
    return outcome


def endpoint_failure_record(*, subscriber_id: int, message: str, at) -> bool:
    """Statuspage's rule: an endpoint failing 10 times within an hour is quarantined (and
    its contact told). Any hour, not a fixed window from the first failure: a window that
    restarted at its end would let a burst straddling the restart through. Returns whether
    this failure quarantined it."""
    now = at.timestamp()
    with transaction.atomic():
        sub = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        recent = [t for t in sub.failure_times if now - t < QUARANTINE_WINDOW.total_seconds()]
        recent = sorted([*recent, now])[-QUARANTINE_FAILURES:]
        sub.failure_times, sub.failure_count = recent, len(recent)
        sub.save(update_fields=["failure_times", "failure_count"])
        if len(recent) >= QUARANTINE_FAILURES and sub.state == SubscriberState.ACTIVE:
            subscriber_quarantine(subscriber=sub, last_error=message)
            return True
    return False


# The event that opens an incident's (or a maintenance's) thread: its email's Message-ID is the
# thread root that every later email about the same object refers to.
THREAD_STARTERS = {EventKind.INCIDENT_CREATED, EventKind.MAINTENANCE_SCHEDULED}


def _thread_headers(view: render.EventView, subscriber: Subscriber, key: str) -> dict:
    """Message-ID, and In-Reply-To/References, so one incident's emails form one thread.

    Each subscriber has their own thread root, `<incident id>.<subscriber id>@domain`, which
    the opening email (incident created, maintenance scheduled) carries as its Message-ID:
    the References of every later email name a message the subscriber really received.
    Someone who subscribed after the opening email still gets one thread (clients group by
    References even when the root is missing); the subject, the same for every email about
    the object, keeps Gmail's threading too. Every Message-ID is stable per (event,
    subscriber), so a retried send is recognisable as a duplicate."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    own = f"<{key}@{domain}>"
    if not view.object_public_id:
        return {"Message-ID": own}  # component status changes: no thread
    root = f"<{view.object_public_id}.{subscriber.public_id}@{domain}>"
    if view.event.kind in THREAD_STARTERS:
        return {"Message-ID": root}
    return {"Message-ID": own, "In-Reply-To": root, "References": root}


def build_message(row: Delivery, subscriber: Subscriber, view: render.EventView) -> Outgoing:
    key = f"delivery-{row.event_id}-{subscriber.public_id}"
    message = Outgoing(
        delivery_id=row.pk, key=key, address=subscriber.address, secret=subscriber.secret
    )
    base = view.page_url
    # One signature per message; the URL patterns are reversed once per batch.
    token = links.manage_token(subscriber)
    unsubscribe = view.link("notifications-unsubscribe", token)
    if row.channel == Channel.EMAIL:
        message.subject, message.text, message.html = view.email_parts(
            manage_url=view.link("notifications-manage", token), unsubscribe_url=unsubscribe
        )
        message.headers = {
            **_thread_headers(view, subscriber, key),
            # The unsubscribe URL's POST is the RFC 8058 one-click action.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    elif row.channel == Channel.SMS:
        message.text = render.gsm_safe(view.render_text("sms/message.txt", view.context()))
        message.headers = {"callback": links.absolute(reverse("notifications-twilio-status"), base)}
    elif row.channel == Channel.WEBHOOK:
        message.payload = view.webhook_body(unsubscribe=unsubscribe)
    else:
        message.payload = {
            "title": render.clean_text(f"{view.headline}: {view.title}"),
            "text": render.clean_text(view.body),
            "url": view.page_url,
        }
    return message
