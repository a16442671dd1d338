"""Writes of the notifications app."""

from __future__ import annotations

import logging

from incidents.events import DomainEvent

log = logging.getLogger(__name__)


def event_publish(event: DomainEvent) -> None:
    """Receive a domain event inside the transaction that caused it.

    This is where the outbox rows for matching subscribers are written; until subscribers
    exist, the event is only logged.
    """
    log.debug("event %s (notify=%s)", event.kind, event.notify)
