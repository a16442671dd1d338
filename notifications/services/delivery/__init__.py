"""Workers' side of the outbox: claim a batch, render, send, record each attempt.

The retry policy lives here and only here: next_attempt_at with exponential backoff and
jitter; permanent errors fail at once; the last failed try makes the row dead.

A claim is a lease: the rows are the job's until `lease_expires_at`; after that the relay may
give them to another worker. So a job starts no send on a row whose lease is about to end
(`Batch.claim_lost`), and every write it makes about a row is fenced by the lease it claimed
the row with: a job that lost a row to another worker never records over it.

The package's parts: `claim` (claims and their leases), `batch` (a batch job), `sending` (one
row's message), `http_window` (URL channels' concurrent sends), `records` (what a flush writes,
the retry policy and the endpoints' quarantine).
"""

from notifications.services.delivery.batch import SENT_FLUSH, batch_deliver
from notifications.services.delivery.claim import deliveries_claim
from notifications.services.delivery.records import (
    QUARANTINE_FAILURES,
    QUARANTINE_WINDOW,
    backoff,
    endpoint_failure_record,
    endpoint_failures_record,
)
from notifications.services.messages import build_message

__all__ = [
    "QUARANTINE_FAILURES",
    "QUARANTINE_WINDOW",
    "SENT_FLUSH",
    "backoff",
    "batch_deliver",
    "build_message",
    "deliveries_claim",
    "endpoint_failure_record",
    "endpoint_failures_record",
]
