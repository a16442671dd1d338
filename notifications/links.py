"""Signed links in notifications: confirm (expires), manage and unsubscribe (do not)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from incidents import selectors
from notifications.models import Subscriber

_CONFIRM_SALT = "notifications.confirm"
_MANAGE_SALT = "notifications.manage"


def absolute(path: str, base: str | None = None) -> str:
    """`base` (the page URL) lets a batch skip one page query per link."""
    return (base or selectors.page_get().public_url).rstrip("/") + path


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.public_id, salt=_CONFIRM_SALT)


def manage_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.public_id, salt=_MANAGE_SALT)


def read_confirm_token(token: str) -> str | None:
    max_age = settings.NOTIFY_UNCONFIRMED_EXPIRE_HOURS * 3600
    try:
        public_id: str = signing.loads(token, salt=_CONFIRM_SALT, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return public_id


def read_manage_token(token: str) -> str | None:
    try:
        public_id: str = signing.loads(token, salt=_MANAGE_SALT)
    except signing.BadSignature:
        return None
    return public_id


def confirm_url(subscriber: Subscriber, base: str | None = None) -> str:
    return absolute(reverse("notifications-confirm", args=[confirm_token(subscriber)]), base)


def manage_url(subscriber: Subscriber, base: str | None = None) -> str:
    return absolute(reverse("notifications-manage", args=[manage_token(subscriber)]), base)


def unsubscribe_url(subscriber: Subscriber, base: str | None = None) -> str:
    return absolute(reverse("notifications-unsubscribe", args=[manage_token(subscriber)]), base)
