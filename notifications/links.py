"""Signed links in notifications: confirm (expires), manage and unsubscribe (do not)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time

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
    return signed(subscriber.public_id, _MANAGE_SALT)


def signed(value: str, salt: str) -> str:
    """`signing.dumps(value, salt=salt)`, the very same string (`signing.loads` reads it), at
    a fraction of its cost: Django derives the HMAC key from the secret and the salt again for
    every token, and a fan-out signs one per message."""
    data = signing.b64_encode(json.dumps(value, separators=(",", ":")).encode("latin-1"))
    unsigned = f"{data.decode()}:{signing.b62_encode(int(time.time()))}"
    mac = _keyed(settings.SECRET_KEY, salt).copy()
    mac.update(unsigned.encode())
    return f"{unsigned}:{signing.b64_encode(mac.digest()).decode()}"


@functools.lru_cache(maxsize=8)
def _keyed(secret: str, salt: str) -> hmac.HMAC:
    """An HMAC keyed as `django.utils.crypto.salted_hmac` keys a Signer's (SHA-256, the key
    salt is the signer's salt + "signer"), copied for each token."""
    key = hashlib.sha256(f"{salt}signer".encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


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
