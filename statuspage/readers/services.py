"""Writes of the readers' side: a page's sign-in settings, password checks (rate limited),
magic links (signed, single-use, expiring) and their email."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from incidents.models import Page
from incidents.services import Actor, audit_record
from notifications import ratelimit, senders
from statuspage.readers import selectors
from statuspage.readers.models import MagicLinkUse, ReaderSettings

MAGIC_LINK_SALT = "statuspage.readers.magic-link"
MAGIC_LINK_SECONDS = 15 * 60
# Password attempts: per page and client address, and per page from anywhere (a spread-out
# guesser still hits the second).
PASSWORD_RATE_PER_ADDRESS = ratelimit.Rate("readers-password", 5, 300)
PASSWORD_RATE_PER_PAGE = ratelimit.Rate("readers-password-page", 100, 300)
MAGIC_LINK_RATE_PER_ADDRESS = ratelimit.Rate("readers-magic-link", 5, 300)


def settings_save(
    *,
    page: Page,
    actor: Actor,
    magic_link_allowed: str,
    ip_allowlist: str,
    password: str | None = None,
    clear_password: bool = False,
) -> ReaderSettings:
    """Save the page's sign-in methods. A new (or cleared) password bumps the epoch: every
    reader signed in before is signed out. The password itself is never audited."""
    selectors.parse_networks(ip_allowlist)  # raises ValueError on a bad line
    with transaction.atomic():
        row, _created = ReaderSettings.objects.select_for_update().get_or_create(page=page)
        before = _audited(row)
        row.magic_link_allowed = "\n".join(
            line.strip().lower() for line in magic_link_allowed.splitlines() if line.strip()
        )
        row.ip_allowlist = "\n".join(
            line.strip() for line in ip_allowlist.splitlines() if line.strip()
        )
        if password:
            row.password_hash = make_password(password)
            row.epoch += 1
        elif clear_password and row.password_hash:
            row.password_hash = ""
            row.epoch += 1
        row.save()
        after = _audited(row)
        if password:
            after["password"] = "changed (readers signed out)"  # noqa: S105 - a fact, not one
        audit_record(
            actor=actor, action="page.reader_settings_updated", obj=row, before=before, after=after
        )
    return row


def sign_out_everyone(*, page: Page, actor: Actor) -> None:
    with transaction.atomic():
        row, _created = ReaderSettings.objects.select_for_update().get_or_create(page=page)
        row.epoch += 1
        row.save(update_fields=["epoch"])
        audit_record(actor=actor, action="page.readers_signed_out", obj=row, before={}, after={})


def _audited(row: ReaderSettings) -> dict[str, object]:
    return {
        "password": "set" if row.password_hash else "none",
        "magic_link_allowed": row.magic_link_allowed,
        "ip_allowlist": row.ip_allowlist,
    }


@dataclass(frozen=True)
class Attempt:
    ok: bool
    limited: bool = False


def password_attempt(page_id: int, password: str, address: str) -> Attempt:
    """Check a reader's password. Refused unchecked once the address (or the page) has used
    up its attempts; a right password clears the address's count."""
    per_address = f"{page_id}:{address}"
    per_page = str(page_id)
    if ratelimit.exhausted(PASSWORD_RATE_PER_ADDRESS, per_address) or ratelimit.exhausted(
        PASSWORD_RATE_PER_PAGE, per_page
    ):
        return Attempt(ok=False, limited=True)
    row = selectors.settings_of(page_id)
    if row.password_hash and password and check_password(password, row.password_hash):
        ratelimit.clear(PASSWORD_RATE_PER_ADDRESS, per_address)
        return Attempt(ok=True)
    ratelimit.hit(PASSWORD_RATE_PER_ADDRESS, per_address)
    ratelimit.hit(PASSWORD_RATE_PER_PAGE, per_page)
    return Attempt(ok=False)


def magic_link_token(page_id: int, email: str) -> str:
    payload = {"p": page_id, "e": email.strip().lower(), "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=MAGIC_LINK_SALT, compress=True)


def magic_link_request(*, page: Page, email: str, address: str, link_for) -> bool:
    """Email a sign-in link if the address is allowed. The answer the reader sees is the same
    either way (no probing of the list); returns whether a message went out. `link_for`
    makes the absolute URL of a token."""
    if ratelimit.hit(MAGIC_LINK_RATE_PER_ADDRESS, f"{page.pk}:{address}").allowed is False:
        return False
    if not selectors.email_allowed(selectors.magic_link_rules(page.pk), email):
        return False
    link = link_for(magic_link_token(page.pk, email))
    sender = senders.sender_for(page)
    minutes = MAGIC_LINK_SECONDS // 60
    message = EmailMessage(
        subject=f"Sign in to {page.name} status",
        body=(
            f"Open this link to sign in to the {page.name} status page:\n\n{link}\n\n"
            f"It works once, within {minutes} minutes. If you did not ask for it, ignore "
            "this message.\n"
        ),
        from_email=sender.from_email,
        to=[email.strip()],
    )
    message.send()
    return True


def magic_link_consume(page_id: int, token: str) -> str | None:
    """The email a valid, unexpired, unused link of this page names (the link is then used
    up), else None."""
    try:
        payload = signing.loads(token, salt=MAGIC_LINK_SALT, max_age=MAGIC_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("p") != page_id:
        return None
    email = str(payload.get("e", ""))
    if not selectors.email_allowed(selectors.magic_link_rules(page_id), email):
        return None  # removed from the list since the link was sent
    nonce = hashlib.sha256(str(payload.get("n", "")).encode()).hexdigest()
    try:
        with transaction.atomic():
            MagicLinkUse.objects.create(nonce=nonce)
    except IntegrityError:
        return None
    return email
