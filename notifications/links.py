"""Signed links in notifications: confirm (expires), manage and unsubscribe (do not).

Each token signs [page id, subscriber public id]: the views resolve the page from the token
and act only on a subscriber of that page, so a link works on whichever host serves it and
no token reaches a subscriber of another page. Links start at the subscriber's page's own
URL (notifications.senders.page_url)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time

from django.conf import settings
from django.core import signing
from django.urls import reverse

from incidents.models import default_page_id
from notifications import senders
from notifications.models import Subscriber

# What a token names: (page id, subscriber public id).
Signed = tuple[int, str]

_CONFIRM_SALT = "notifications.confirm"
_MANAGE_SALT = "notifications.manage"


def absolute(path: str, base: str | None = None, *, page: int | None = None) -> str:
    """`base` (the page URL) lets a batch skip one page query per link; else `page`'s URL
    (None: the default page's)."""
    return (base or senders.sender_for(page).page_url).rstrip("/") + path


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps([subscriber.page_id, subscriber.public_id], salt=_CONFIRM_SALT)


def manage_token(subscriber: Subscriber) -> str:
    return signed([subscriber.page_id, subscriber.public_id], _MANAGE_SALT)


def signed(value: object, salt: str) -> str:
    """`signing.dumps(value, salt=salt)`, the very same string (`signing.loads` reads it), at
    a fraction of its cost: Django derives the HMAC key from the secret and the salt again for
    every token, and a fan-out signs one per message."""
    data = signing.b64_encode(json.dumps(value, separators=(",", ":")).encode("latin-1"))
    unsigned = f"{data.decode()}:{_timestamp(int(time.time()))}"
    mac = _keyed(settings.SECRET_KEY, salt).copy()
    mac.update(unsigned.encode())
    return f"{unsigned}:{signing.b64_encode(mac.digest()).decode()}"


@functools.lru_cache(maxsize=2)
def _timestamp(seconds: int) -> str:
    """The signature's timestamp, the same for every token signed within a second."""
    return signing.b62_encode(seconds)


@functools.lru_cache(maxsize=8)
def _keyed(secret: str, salt: str) -> hmac.HMAC:
    """An HMAC keyed as `django.utils.crypto.salted_hmac` keys a Signer's (SHA-256, the key
    salt is the signer's salt + "signer"), copied for each token."""
    key = hashlib.sha256(f"{salt}signer".encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def read_confirm_token(token: str) -> Signed | None:
    max_age = settings.NOTIFY_UNCONFIRMED_EXPIRE_HOURS * 3600
    try:
        value = signing.loads(token, salt=_CONFIRM_SALT, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return _named(value)


def read_manage_token(token: str) -> Signed | None:
    try:
        value = signing.loads(token, salt=_MANAGE_SALT)
    except signing.BadSignature:
        return None
    return _named(value)


def _named(value: object) -> Signed | None:
    """A token's (page id, public id). A token from before pages signed the public id alone:
    every subscriber then was the one page's, which is the default page (the oldest), so the
    links in emails already sent keep working, for that page only."""
    if isinstance(value, str):
        page = default_page_id()
        return None if page is None else (page, value)
    match value:
        case [int() as page, str() as public_id]:
            return page, public_id
    return None


def subscriber_from_token(token: str, *, confirm: bool = False) -> Subscriber | None:
    """The subscriber a token names, only on the page it names (one query)."""
    named = (read_confirm_token if confirm else read_manage_token)(token)
    if named is None:
        return None
    page, public_id = named
    return (
        Subscriber.objects.select_related("page").filter(page_id=page, public_id=public_id).first()
    )


def confirm_url(subscriber: Subscriber, base: str | None = None) -> str:
    path = reverse("notifications-confirm", args=[confirm_token(subscriber)])
    return absolute(path, base, page=subscriber.page_id)


def manage_url(subscriber: Subscriber, base: str | None = None) -> str:
    path = reverse("notifications-manage", args=[manage_token(subscriber)])
    return absolute(path, base, page=subscriber.page_id)


def unsubscribe_url(subscriber: Subscriber, base: str | None = None) -> str:
    path = reverse("notifications-unsubscribe", args=[manage_token(subscriber)])
    return absolute(path, base, page=subscriber.page_id)
