"""Writes of the notifications app: the outbox, delivery attempts, subscriptions."""

from notifications.services.outbox import deliveries_replay, event_publish, outbox_relay
from notifications.services.subscriptions import (
    SubscribeError,
    subscriber_confirm,
    subscriber_unsubscribe,
    subscribers_expire_and_purge,
)

__all__ = [
    "SubscribeError",
    "deliveries_replay",
    "event_publish",
    "outbox_relay",
    "subscriber_confirm",
    "subscriber_unsubscribe",
    "subscribers_expire_and_purge",
]
