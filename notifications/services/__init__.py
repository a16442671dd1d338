"""Writes of the notifications app: the outbox, delivery attempts, subscriptions."""

from notifications.services.management import (
    IMPORT_COLUMNS,
    AlreadySubscribed,
    ImportReport,
    ImportRowError,
    subscriber_audience_change,
    subscriber_create,
    subscriber_remove,
    subscriber_resend_confirmation,
    subscriber_scope_change,
    subscribers_import_csv,
)
from notifications.services.outbox import deliveries_replay, event_publish, outbox_relay
from notifications.services.page_senders import (
    page_notification_settings_get,
    page_notification_settings_save,
)
from notifications.services.subscriptions import (
    SubscribeError,
    subscriber_confirm,
    subscriber_unsubscribe,
    subscribers_expire_and_purge,
)

__all__ = [
    "IMPORT_COLUMNS",
    "AlreadySubscribed",
    "ImportReport",
    "ImportRowError",
    "SubscribeError",
    "deliveries_replay",
    "event_publish",
    "outbox_relay",
    "page_notification_settings_get",
    "page_notification_settings_save",
    "subscriber_confirm",
    "subscriber_create",
    "subscriber_remove",
    "subscriber_resend_confirmation",
    "subscriber_audience_change",
    "subscriber_scope_change",
    "subscriber_unsubscribe",
    "subscribers_import_csv",
    "subscribers_expire_and_purge",
]
