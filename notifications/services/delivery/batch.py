"""A batch job: claim rows of an event, send them, record each try. Rows of a channel sent in
turn (email, SMS) go one by one on this thread; URL rows through the HTTP window."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from notifications import render
from notifications.models import (
    URL_CHANNELS,
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryState,
    Event,
    Subscriber,
)
from notifications.services.attempts import (
    Attempt,
    SendResult,
    attempt_entry,
    attempts_insert,
    not_sent,
    timed_send,
)
from notifications.services.delivery.claim import deliveries_claim, release, send_margin
from notifications.services.delivery.http_window import HttpWindow
from notifications.services.delivery.records import (
    FAILURE_OUTCOMES,
    Failure,
    failure_for,
    record_failed,
    record_sent,
)
from notifications.services.delivery.sending import outcome, prepare
from notifications.services.marks import AcceptedMarks
from notifications.services.outbox import lease_deadline
from notifications.services.subscriptions import sms_opt_out
from notifications.transports import Outgoing, Transport, TransportError, transport_for
from notifications.transports.sms import OPTED_OUT_CODE

log = logging.getLogger(__name__)

# Successes, failures and attempt-log lines are written every SENT_FLUSH tries, a few
# statements in all; meanwhile each accepted message has its mark in Redis
# (notifications/services/marks.py).
SENT_FLUSH = 100

# The columns a batch reads, loaded as plain values and made into model instances without
# `Model.__init__` (`_instance`): the instances' construction and the datetime columns'
# parsing were a tenth of a worker's CPU per message. The columns left out are deferred as
# with `QuerySet.defer` (a read would cost a query per row: the query-count tests see it).
_ROW_COLUMNS = (
    "id",
    "event_id",
    "subscriber_id",
    "channel",
    "state",
    "attempts",
    "lease_expires_at",
    "provider_id",
)
_SUBSCRIBER_COLUMNS = (
    "id",
    "public_id",
    "page_id",
    "channel",
    "address",
    "contact_email",
    "state",
    "all_components",
    "audience_id",
    "incident_id",
    "secret",
    "language",
    "sms_opted_out",
    "failure_count",
)

M = TypeVar("M", bound=Model)


def _instance(model: type[M], db: str, names: tuple[str, ...], values: Sequence[object]) -> M:
    """The instance `Model.from_db` gives for these columns, the others deferred, without
    `Model.__init__`'s work per field (no model of this module has init signals)."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, values, strict=True))
    obj._state = ModelState()  # noqa: SLF001 - what from_db sets
    obj._state.adding = False  # noqa: SLF001
    obj._state.db = db  # noqa: SLF001
    return obj


def batch_deliver(*, event_id: int) -> dict[str, int]:
    """Claim one batch of an event's deliveries and send it. Returns counts by outcome."""
    with _stop_on_sigterm() as stopping:
        return _batch_deliver(event_id, stopping)


def _batch_deliver(event_id: int, stopping: threading.Event) -> dict[str, int]:
    batch = Batch(event_id, stopping)
    lease = lease_deadline()
    ids = deliveries_claim(event_id=event_id, limit=settings.NOTIFY_BATCH_SIZE, lease=lease)
    if not ids:
        return batch.counts
    event = Event.objects.select_related(
        "incident", "incident_update", "maintenance", "maintenance_update"
    ).get(pk=event_id)
    view = render.event_view(event)
    # Emails and SMS go out in each subscriber's language: one view per language met, each
    # rendering its messages once for the batch. Webhooks and chat keep the event's English
    # view (machine formats, and channels shared by a team rather than one reader).
    views: dict[str, render.EventView] = {}
    rows = batch.load(ids, lease, "channel", "id")
    transports: dict[str, Transport] = {}
    try:
        _send_in_turn(
            batch,
            [row for row in rows if row.channel not in URL_CHANNELS],
            functools.partial(_in_language, view, views),
            transports,
        )
        if not stopping.is_set():
            url_rows = [row for row in rows if row.channel in URL_CHANNELS]
            HttpWindow(batch, url_rows, view).run()
    finally:
        batch.finish()
        for transport in transports.values():
            transport.close()
    return batch.counts


class Batch:
    """One batch job's bookkeeping, all on the job's own thread: the rows it holds, each with
    the lease of the claim that gave it to the job; the rows tried; and the successes,
    failures and attempt-log lines waiting for the next flush, each success marked in Redis
    meanwhile (or, once Redis failed a mark, flushed at once)."""

    def __init__(self, event_id: int, stopping: threading.Event) -> None:
        self.event_id = event_id
        self.stopping = stopping
        self.counts: dict[str, int] = dict.fromkeys(AttemptOutcome.values, 0)
        self.leases: dict[int, datetime] = {}
        # Each lease's last moment to start a send (`claim_lost`).
        self.cutoffs: dict[datetime, datetime] = {}
        self.done: set[int] = set()
        self.given_up: list[int] = []
        self.sent: list[Delivery] = []
        self.failed: list[Failure] = []
        self.log: list[Attempt] = []
        self.marks = AcceptedMarks(event_id)
        # Set when Redis failed a mark: from then on each success is flushed at once. (The
        # embedded default has no Redis and keeps the flush per SENT_FLUSH: its batch runs
        # inside the request that posted the update; docs/notifications.md.)
        self.at_once = False

    def load(self, ids: list[int], lease: datetime, *order: str) -> list[Delivery]:
        """The rows claimed under `lease` that it still holds, with their subscribers. A row
        the claim lost in the meantime (its lease ran out, the relay took it back, another
        worker may hold it now) is not this job's to send or to record."""
        if not ids:
            return []
        # The ids' range, not an IN list of 500 placeholders (which the driver parses anew
        # for every batch); the rows of another claim in the range are dropped below.
        held = Delivery.objects.filter(
            event_id=self.event_id,
            id__range=(min(ids), max(ids)),
            state=DeliveryState.SENDING,
            lease_expires_at=lease,
        )
        columns = (*_ROW_COLUMNS, *(f"subscriber__{name}" for name in _SUBSCRIBER_COLUMNS))
        wanted = set(ids)
        split = len(_ROW_COLUMNS)
        cache = Delivery.subscriber.field  # the row's `subscriber`, as select_related sets it
        db = held.db
        rows = []
        for values in held.order_by(*order).values_list(*columns):
            if values[0] not in wanted:
                continue
            row = _instance(Delivery, db, _ROW_COLUMNS, values[:split])
            subscriber = _instance(Subscriber, db, _SUBSCRIBER_COLUMNS, values[split:])
            cache.set_cached_value(row, subscriber)
            rows.append(row)
        self.leases.update((row.pk, lease) for row in rows)
        # A send starts only this long before its row's lease ends (`claim_lost`).
        self.cutoffs.setdefault(lease, lease - send_margin())
        return rows

    def claim_lost(self, row: Delivery) -> bool:
        """Whether the row's lease ends too soon to start a send. Past its end the relay may
        give the row to another worker, which sends it: this job must not send it too. A
        row given up is handed back at the end of the batch, if it is still this job's."""
        if timezone.now() < self.cutoffs[self.leases[row.pk]]:
            return False
        log.warning("delivery %s: lease ends too soon to send, handed back", row.pk)
        self.given_up.append(row.pk)
        return True

    def record(self, row: Delivery, outcome: str, result: SendResult) -> None:
        self.counts[outcome] += 1
        self.done.add(row.pk)
        entry = attempt_entry(row, outcome, result)
        self.log.append(entry)
        if outcome == AttemptOutcome.SENT:
            self.sent.append(row)
            # Marked now, confirmed before the next send starts (`before_send`): a worker
            # killed from then on re-sends none of the messages accepted so far.
            if self.marks.available and not self.marks.note(row, entry):
                self.at_once = True
            if self.at_once:
                self.flush()
                return
        if len(self.log) >= SENT_FLUSH:
            self.flush()

    def before_send(self) -> None:
        """No send starts while an accepted message is neither confirmed marked nor in the
        database: if Redis failed its mark, it goes to the database now."""
        if self.marks.unread and not self.marks.confirm():
            self.at_once = True
            self.flush()

    def fail(self, row: Delivery, error: TransportError) -> str:
        """A failed try: its outcome now, its writes at the next flush (`record_failed`). A
        worker killed before then leaves the row `sending` until the relay takes it back
        after its lease and it is retried, as it would have been anyway."""
        failure = failure_for(row, error)
        self.failed.append(failure)
        if row.channel == Channel.SMS and error.code == OPTED_OUT_CODE:
            # Twilio knows of a STOP we never saw (sent before this subscription, or its
            # inbound hook was missed): record it now, so later events skip the number until
            # START.
            sms_opt_out(number=row.subscriber.address)
        return FAILURE_OUTCOMES[failure.state]

    def flush(self) -> None:
        # One transaction: a worker killed in between leaves no row `sent` or failed without
        # its log line, and the marks go only once all are written.
        with transaction.atomic():
            record_sent(self.sent)
            record_failed(self.failed)
            attempts_insert(self.log)
        self.marks.forget(row.pk for row in self.sent)
        self.sent, self.failed, self.log = [], [], []

    def finish(self) -> None:
        """Write what waits for a flush, and hand back the rows never tried: those given up,
        and after SIGTERM every row not done."""
        try:
            self.flush()
            unsent = list(self.given_up)
            if self.stopping.is_set():
                unsent += [pk for pk in self.leases if pk not in self.done]
            release({pk: self.leases[pk] for pk in unsent})
        finally:
            self.marks.close()


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[threading.Event]:
    """RQ's work horse leaves SIGTERM at its default action (die at once), while its parent,
    on SIGTERM, waits for the horse to finish the job (warm shutdown). A SIGTERM that reaches
    the horse itself (a platform that signals every process of a container) would leave the
    claimed rows `sending` until their lease ran out, and the next worker would wait for it.
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


def _in_language(
    view: render.EventView, views: dict[str, render.EventView], row: Delivery
) -> render.EventView:
    """The event's view in the row's subscriber's language (else the page's), made once."""
    code = row.subscriber.language or view.page_language
    if code not in views:
        views[code] = view.in_language(code)
    return views[code]


def _send_in_turn(
    batch: Batch,
    rows: list[Delivery],
    view_of: Callable[[Delivery], render.EventView],
    transports: dict[str, Transport],
) -> None:
    """The rows of channels sent in turn (email, SMS), one message at a time, each built
    before the one ahead of it is sent: its transport may start its conversation with the
    one ahead (an SMTP envelope pipelined after the previous message's content), and the
    server answers that while the batch records the message just sent and builds the next.
    Each message's content still goes only once the message before it was answered and its
    mark confirmed (`Batch.before_send`)."""
    ready = _ready(batch, iter(rows), view_of)
    current = next(ready, None)
    while current is not None and not batch.stopping.is_set():
        row, message = current
        if row.channel not in transports:
            transports[row.channel] = transport_for(row.channel)
        transport = transports[row.channel]
        following = next(ready, None)
        same = following is not None and following[0].channel == row.channel
        # Checked again right before its send: building the next message took time.
        if not batch.claim_lost(row):
            transport.expect(following[1] if following is not None and same else None)
            batch.before_send()
            result = timed_send(functools.partial(transport.send, message), row.pk)
            batch.record(row, outcome(batch, row, result), result)
        current = following


def _ready(
    batch: Batch, rows: Iterator[Delivery], view_of: Callable[[Delivery], render.EventView]
) -> Iterator[tuple[Delivery, Outgoing]]:
    """The rows to send, each with its message; a row that is not to be sent (its lease
    about to end, its subscriber gone, its message not rendered) is recorded on the way."""
    for row in rows:
        if batch.claim_lost(row):
            continue
        prepared = prepare(row, view_of(row))
        if isinstance(prepared, TransportError):
            result = not_sent(prepared)
            batch.record(row, outcome(batch, row, result), result)
            continue
        yield row, prepared
