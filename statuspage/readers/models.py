"""How readers of a private page sign in, per page."""

from __future__ import annotations

from django.db import models

from incidents.models import Page
from incidents.models.base import CheckedModel


class ReaderSettings(CheckedModel):
    """A page's sign-in methods. No row (or an empty one): nobody can sign in."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="reader_settings")
    # Django's hasher output ("" = no shared password).
    password_hash = models.CharField(max_length=256, blank=True, default="")
    # Bumped when the password changes: every reader signed in before is signed out.
    epoch = models.PositiveIntegerField(default=0)
    # One address (alice@example.com) or domain (@example.com / example.com) per line.
    magic_link_allowed = models.TextField(blank=True, default="", max_length=20000)
    # One CIDR (203.0.113.0/24, 2001:db8::/32) or address per line.
    ip_allowlist = models.TextField(blank=True, default="", max_length=20000)

    def __str__(self) -> str:
        return f"reader sign-in of page {self.page_id}"


class MagicLinkUse(CheckedModel):
    """A magic link's nonce once used: a link signs in once."""

    nonce = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"magic link used at {self.used_at:%Y-%m-%d %H:%M}"


class FeedSecret(CheckedModel):
    """A reader's secret feed address of a private page: feed readers and scripts cannot sign
    in, so the address itself is the credential. Stored hashed; revocable by the reader and
    by the page's admins."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="feed_secrets")
    identity = models.CharField(max_length=320)  # the reader's, as in the session entry
    method = models.CharField(max_length=16)  # how that reader had signed in
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown, to tell a reader's addresses apart
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["page", "identity"])]

    def __str__(self) -> str:
        return f"feed address {self.prefix}… of {self.identity}"
