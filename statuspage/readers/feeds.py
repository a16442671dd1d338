"""Per-reader secret feed addresses of private pages: `/readers/feed/<secret>/<document>`
serves the page's feeds (Atom, RSS, iCal) and its /api/v2 JSON to whoever holds the secret,
until it is revoked."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import Page
from incidents.services import Actor, audit_record
from statuspage.readers.models import FeedSecret

PATH = re.compile(r"^/readers/feed/([A-Za-z0-9_-]{20,64})(/.*)$")
# What a secret address serves: the documents machines poll, nothing else of the page.
DOCUMENTS = re.compile(r"^/(?:history\.atom|history\.rss|maintenance\.ics|api/v2/[^?]*)$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(page_id: int, reader: dict) -> str:
    """A new secret for the reader; returns it (shown once: only its hash is kept)."""
    token = secrets.token_urlsafe(24)
    FeedSecret.objects.create(
        page_id=page_id,
        identity=str(reader.get("identity", ""))[:320],
        method=str(reader.get("method", ""))[:16],
        token_hash=_hash(token),
        prefix=token[:6],
    )
    return token


def of_reader(page_id: int, identity: str) -> QuerySet[FeedSecret]:
    return FeedSecret.objects.filter(
        page_id=page_id, identity=identity, revoked_at__isnull=True
    ).order_by("-created_at")


def of_page(page_id: int) -> QuerySet[FeedSecret]:
    return FeedSecret.objects.filter(page_id=page_id, revoked_at__isnull=True).order_by(
        "identity", "-created_at"
    )


def revoke_own(page_id: int, identity: str, secret_id: int) -> bool:
    return bool(of_reader(page_id, identity).filter(pk=secret_id).update(revoked_at=timezone.now()))


def revoke_by_admin(page: Page, secret_id: int, *, actor: Actor) -> bool:
    """Revoke one of the page's feed addresses; False when the page has no such address.
    Revoking one already revoked changes nothing (a second click, two admins at once)."""
    row = FeedSecret.objects.filter(page_id=page.pk, pk=secret_id).first()
    if row is None:
        return False
    if row.revoked_at is not None:
        return True
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="page.feed_secret_revoked",
        obj=row,
        before={"identity": row.identity, "prefix": row.prefix},
        after={"revoked": True},
    )
    return True


def reader_of(page_id: int, token: str) -> dict | None:
    """The reader a live secret of this page stands for, else None (unknown, revoked, another
    page's)."""
    row = FeedSecret.objects.filter(
        token_hash=_hash(token), page_id=page_id, revoked_at__isnull=True
    ).first()
    if row is None:
        return None
    FeedSecret.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return {
        "identity": row.identity,
        "method": row.method,
        "claims": {},
        "at": row.created_at.isoformat(),
        "feed": True,
    }
