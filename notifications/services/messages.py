"""The message one outbox row sends: per channel, with the subscriber's own links, email
thread headers and the webhook envelope. Pure rendering: no database writes, no sending."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from incidents.events import EventKind
from notifications import links, mime, render, senders
from notifications.models import Channel, Delivery, Subscriber
from notifications.transports import ChatSummary, Outgoing

# The event that opens an incident's (or a maintenance's) thread: its email's Message-ID is the
# thread root that every later email about the same object refers to.
THREAD_STARTERS = {EventKind.INCIDENT_CREATED, EventKind.MAINTENANCE_SCHEDULED}


def _thread_headers(view: render.EventView, subscriber: Subscriber, key: str) -> dict[str, str]:
    """Message-ID, and In-Reply-To/References, so one incident's emails form one thread.

    Each subscriber has their own thread root, `<incident id>.<subscriber id>@domain`, which
    the opening email (incident created, maintenance scheduled) carries as its Message-ID:
    the References of every later email name a message the subscriber really received.
    Someone who subscribed after the opening email still gets one thread (clients group by
    References even when the root is missing); the subject, the same for every email about
    the object, keeps Gmail's threading too. Every Message-ID is stable per (event,
    subscriber), so a retried send is recognisable as a duplicate."""
    domain = (settings.DEFAULT_FROM_EMAIL or "").rpartition("@")[2] or "localhost"
    own = f"<{key}@{domain}>"
    if not view.object_public_id:
        return {"Message-ID": own}  # component status changes: no thread
    root = f"<{view.object_public_id}.{subscriber.public_id}@{domain}>"
    if view.event.kind in THREAD_STARTERS:
        return {"Message-ID": root}
    return {"Message-ID": own, "In-Reply-To": root, "References": root}


def build_message(row: Delivery, subscriber: Subscriber, view: render.EventView) -> Outgoing:
    key = f"delivery-{row.event_id}-{subscriber.public_id}"
    sender = view.sender or senders.install_sender()
    # A page's own secret, when it has one, signs all its webhooks (the same header).
    message = Outgoing(
        delivery_id=row.pk,
        key=key,
        address=subscriber.address,
        secret=sender.webhook_secret or subscriber.secret,
        from_email=sender.from_email,
    )
    base = view.page_url
    # One signature per message; the URL patterns are reversed once per batch.
    token = links.manage_token(subscriber)
    unsubscribe = view.link("notifications-unsubscribe", token)
    if row.channel == Channel.EMAIL:
        manage = view.link("notifications-manage", token)
        _email(message, view, subscriber, manage=manage, unsubscribe=unsubscribe)
    elif row.channel == Channel.SMS:
        message.text = view.sms()
        message.headers = {
            "callback": links.absolute(reverse("notifications-twilio-status"), base),
            **sms_sender(sender),
        }
    elif row.channel == Channel.WEBHOOK:
        message.payload = view.webhook_body(unsubscribe=unsubscribe)
    else:
        message.payload = ChatSummary(
            title=render.clean_text(f"{view.headline}: {view.title}"),
            text=render.clean_text(view.body_text),
            url=view.permalink,
        )
    return message


def _email(
    message: Outgoing,
    view: render.EventView,
    subscriber: Subscriber,
    *,
    manage: str,
    unsubscribe: str,
) -> None:
    message.subject, message.text, message.html = view.email_parts(
        manage_url=manage, unsubscribe_url=unsubscribe
    )
    sender = view.sender or senders.install_sender()
    message.headers = _email_headers(view, subscriber, message.key, unsubscribe)
    if sender.reply_to:
        message.headers["Reply-To"] = sender.reply_to
    headers = message.headers
    template = view.mime_template(lambda: _mime_template(view, headers, sender.from_email))
    if template is None:
        return
    values = {
        mime.TO: message.address,
        mime.DATE: mime.date_header(),
        mime.MANAGE: manage,
        mime.UNSUBSCRIBE: unsubscribe,
        **{name.lower(): message.headers[name] for name in _SLOTTED if name in message.headers},
    }
    message.raw = template.fill(values)
    message.sender = template.sender


# The headers whose values differ per message; List-Unsubscribe carries the unsubscribe link.
_SLOTTED = ("Message-ID", "In-Reply-To", "References")


def _email_headers(
    view: render.EventView, subscriber: Subscriber, key: str, unsubscribe: str
) -> dict[str, str]:
    return {
        **_thread_headers(view, subscriber, key),
        # The unsubscribe URL's POST is the RFC 8058 one-click action.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def sms_sender(sender: senders.Sender) -> dict[str, str]:
    """The SMS transport's sender keys: the page's messaging service, else its number."""
    if sender.sms_messaging_service_sid:
        return {"messaging_service_sid": sender.sms_messaging_service_sid}
    if sender.sms_from_number:
        return {"from_": sender.sms_from_number}
    return {}


def _mime_template(
    view: render.EventView, headers: dict[str, str], from_email: str
) -> mime.MimeTemplate | None:
    """The batch's email with placeholders for every per-message value; `headers` are one
    message's (which of them there are is the same for the whole event)."""
    manage, unsubscribe = mime.placeholder(mime.MANAGE), mime.placeholder(mime.UNSUBSCRIBE)
    subject, text, html = view.email_parts(manage_url=manage, unsubscribe_url=unsubscribe)
    slotted = {
        name: mime.placeholder(name.lower()) if name in _SLOTTED else value
        for name, value in headers.items()
    }
    slotted["List-Unsubscribe"] = f"<{unsubscribe}>"
    slots = [name.lower() for name in _SLOTTED if name in headers]
    return mime.build_template(
        subject=subject,
        text=text,
        html=html,
        headers=slotted,
        slots=slots,
        from_email=from_email,
    )
