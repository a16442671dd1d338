"""One row's message: built from the event's view, or the reason it is not sent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from notifications import render
from notifications.models import AttemptOutcome, Channel, Delivery, SubscriberState
from notifications.services.attempts import SendResult

# Looked up in this module at call time: replacing `sending.build_message` reaches batches.
from notifications.services.messages import build_message
from notifications.services.subscriptions import OPTED_OUT_ERROR
from notifications.transports import Outgoing, TransportError

if TYPE_CHECKING:
    from notifications.services.delivery.batch import Batch

log = logging.getLogger(__name__)


def prepare(row: Delivery, view: render.EventView) -> Outgoing | TransportError:
    """The message for a row, or why there is none to send."""
    error = _not_sendable(row)
    if error is not None:
        return error
    try:
        return build_message(row, row.subscriber, view)
    except Exception as exc:  # noqa: BLE001 - one broken message must not stall its batch
        log.exception("delivery %s could not be rendered", row.pk)
        return TransportError(f"Could not render: {type(exc).__name__}")


def outcome(batch: Batch, row: Delivery, result: SendResult) -> str:
    """Apply a try to its row and return the outcome; its writes wait for the next flush."""
    if result.error is not None:
        return batch.fail(row, result.error)
    assert result.receipt is not None  # a try that did not fail was answered (timed_send)
    row.provider_id = result.receipt.provider_id[:200]
    return AttemptOutcome.SENT


def _not_sendable(row: Delivery) -> TransportError | None:
    subscriber = row.subscriber
    # Unsubscribed (or STOPped) after the row was written: never send after unsubscribe.
    if subscriber.state != SubscriberState.ACTIVE:
        return TransportError("Subscriber no longer active", permanent=True)
    if row.channel == Channel.SMS and subscriber.sms_opted_out:
        return TransportError(OPTED_OUT_ERROR, permanent=True)
    return None
