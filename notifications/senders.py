"""Who a page's notifications come from, and where its links point.

A page's `PageNotificationSettings` row (every field optional) overrides the install's
settings field by field. `sender_for` resolves one page in one query; a delivery batch
reaches the subscribers of one page (its event's), so it costs one query per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from incidents.models import Page, PageHost
from incidents.origin import fallback_url
from notifications.models import PageNotificationSettings


@dataclass(frozen=True)
class Sender:
    page_id: int | None
    # Where the page's links start (no trailing slash).
    page_url: str
    # The From header ("Name <address>" or the address) and the envelope sender.
    from_email: str
    envelope: str
    reply_to: str
    # A messaging service wins over a number, as with the install's Twilio settings.
    sms_from_number: str
    sms_messaging_service_sid: str
    # "": each webhook subscriber's own secret signs its messages.
    webhook_secret: str


def page_rows() -> QuerySet[Page]:
    """Pages with their notification settings, first host and whether each is the default
    page (the oldest), all in the one statement."""
    first_host = PageHost.objects.filter(page=OuterRef("pk")).order_by("id").values("host")[:1]
    older = Page.objects.filter(id__lt=OuterRef("pk"))
    return Page.objects.select_related("notification_settings").annotate(
        first_host=Subquery(first_host), has_older=Exists(older)
    )


def sender_for(page: Page | int | None) -> Sender:
    """The effective sender of a page (None: the default page), one query."""
    rows = page_rows()
    row = (
        rows.order_by("id").first()
        if page is None
        else rows.filter(pk=page.pk if isinstance(page, Page) else page).first()
    )
    return install_sender() if row is None else sender_of(row)


def senders_for(page_ids: Iterable[int]) -> dict[int, Sender]:
    """The effective sender of each page, one query for all."""
    return {row.pk: sender_of(row) for row in page_rows().filter(pk__in=set(page_ids))}


def install_sender() -> Sender:
    return Sender(
        page_id=None,
        page_url=fallback_url().rstrip("/"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        envelope=parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL,
        reply_to=settings.NOTIFY_REPLY_TO,
        sms_from_number=settings.TWILIO_FROM_NUMBER,
        sms_messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        webhook_secret="",
    )


def sender_of(row: Page) -> Sender:
    """A row of `page_rows` as its effective sender."""
    install = install_sender()
    own = _settings_of(row)
    address = own.from_email if own else ""
    name = own.from_name if own else ""
    envelope = address or install.envelope
    if address or name:
        install_name = parseaddr(install.from_email)[0]
        from_email = formataddr((name or install_name, envelope))
    else:
        from_email = install.from_email
    service = own.sms_messaging_service_sid if own else ""
    number = own.sms_from_number if own else ""
    return Sender(
        page_id=row.pk,
        page_url=page_url(row),
        from_email=from_email,
        envelope=envelope,
        reply_to=(own.reply_to if own else "") or install.reply_to,
        # A page naming either sender uses it alone: never a mix with the install's.
        sms_from_number=number if (number or service) else install.sms_from_number,
        sms_messaging_service_sid=service
        if (number or service)
        else install.sms_messaging_service_sid,
        webhook_secret=own.webhook_secret if own else "",
    )


def page_url(row: Page) -> str:
    """The page's own public URL: the one configured, else its first host name, else
    /p/<slug> on the install's public URL (the default page: the install's URL itself).
    `row` comes from `page_rows` (its first host and age are annotated)."""
    if row.url:
        return row.url.rstrip("/")
    install = fallback_url().rstrip("/")
    host: str | None = getattr(row, "first_host", None)
    if host:
        return f"{urlsplit(install).scheme or 'https'}://{host}"
    if getattr(row, "has_older", False):
        return f"{install}/p/{row.slug}"
    return install


def _settings_of(row: Page) -> PageNotificationSettings | None:
    try:
        own: PageNotificationSettings = row.notification_settings
    except PageNotificationSettings.DoesNotExist:
        return None
    return own
