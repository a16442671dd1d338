"""HTTP endpoints (webhooks, chat) sent by a sliding window of POSTs on one event loop."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from django.conf import settings

from notifications import render
from notifications.models import URL_CHANNELS, Delivery
from notifications.services.attempts import SendResult, not_sent, timed_send_async
from notifications.services.delivery.claim import deliveries_claim
from notifications.services.delivery.sending import outcome, prepare
from notifications.services.outbox import lease_deadline
from notifications.transports import TransportError, http_transport_for
from notifications.transports.webhook import AsyncSender, HttpTransport

if TYPE_CHECKING:
    from notifications.services.delivery.batch import Batch

# A batch job keeps topping up its HTTP window from the outbox for this long (well inside
# RQ's 300 s job timeout and the sending lease); the event's other batch jobs take over after.
HTTP_TOPUP_SECONDS = 120
TOPUP_MIN = 50
WATCHDOG_SECONDS = 0.25


class HttpWindow:
    """HTTP endpoints are sent by a sliding window of up to NOTIFY_HTTP_CONCURRENCY POSTs in
    flight on one event loop, which this thread runs while it waits for them; the window is
    topped up from the outbox as sends finish: a hanging endpoint holds one slot (a socket)
    until its first-byte timeout, never the batch, and this job keeps claiming the event's
    due URL rows while slots are free (up to HTTP_TOPUP_SECONDS), so the next rows do not
    wait for the slowest sends of this batch. Only the POSTs run on the loop; rendering,
    signing, claiming and every database write happen between its runs. After SIGTERM
    nothing new is started: the sends in flight finish and the batch releases the rest."""

    def __init__(self, batch: Batch, rows: list[Delivery], view: render.EventView) -> None:
        self.batch, self.view = batch, view
        self.queue: deque[Delivery] = deque(rows)
        self.inflight: dict[asyncio.Task[SendResult], Delivery] = {}
        self.transports: dict[str, HttpTransport] = {}
        self.concurrency = settings.NOTIFY_HTTP_CONCURRENCY
        self.topup_until = time.monotonic() + HTTP_TOPUP_SECONDS

    def run(self) -> None:
        if not self.queue:
            return
        sender = AsyncSender()
        try:
            while True:
                self._fill(sender)
                if self._top_up():
                    continue
                if not self.inflight and (not self.queue or self.batch.stopping.is_set()):
                    return
                self._collect(sender)
        finally:
            sender.close()

    def _fill(self, sender: AsyncSender) -> None:
        """Start sends while rows wait and slots are free."""
        while (
            self.queue
            and len(self.inflight) < self.concurrency
            and not self.batch.stopping.is_set()
        ):
            row = self.queue.popleft()
            if self.batch.claim_lost(row):
                continue
            prepared = prepare(row, self.view)
            if isinstance(prepared, TransportError):
                self.batch.record(row, self.batch.fail(row, prepared), not_sent(prepared))
                continue
            transport = self.transports.get(row.channel)
            if transport is None:
                transport = self.transports[row.channel] = http_transport_for(row.channel)
            body, headers = transport.request(prepared)
            self.batch.before_send()
            send = transport.send_async(prepared.address, body, headers)
            self.inflight[sender.submit(timed_send_async(send, row.pk))] = row

    def _top_up(self) -> bool:
        """With the queue empty and slots free, claim more of the event's due URL rows;
        returns whether any came."""
        free = self.concurrency - len(self.inflight)
        if (
            self.queue
            or free <= 0
            or time.monotonic() >= self.topup_until
            or self.batch.stopping.is_set()
        ):
            return False
        lease = lease_deadline()
        more = deliveries_claim(
            event_id=self.batch.event_id,
            limit=min(settings.NOTIFY_BATCH_SIZE, max(free, TOPUP_MIN)),
            channels=URL_CHANNELS,
            lease=lease,
        )
        if not more:
            # Nothing due now: later retries are the relay's and the next batch's.
            self.topup_until = 0.0
            return False
        self.queue.extend(self.batch.load(more, lease, "id"))
        return True

    def _collect(self, sender: AsyncSender) -> None:
        """Run the sends until one ends (at most one watchdog tick, so that SIGTERM is seen)
        and record those that ended."""
        for task in sender.finished(WATCHDOG_SECONDS):
            row = self.inflight.pop(task)
            result = task.result()
            self.batch.record(row, outcome(self.batch, row, result), result)
