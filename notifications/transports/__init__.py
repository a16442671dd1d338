"""One transport class per channel. Transports are single-shot: retry policy lives in
notifications.services.delivery, never here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications.transports.base import (
    ChatSummary,
    Outgoing,
    Receipt,
    Reply,
    Transport,
    TransportError,
    excerpt,
)

if TYPE_CHECKING:
    from notifications.transports.webhook import HttpTransport


def transport_for(channel: str) -> Transport:
    from notifications.transports.email import EmailTransport
    from notifications.transports.sms import SmsTransport

    if channel == "email":
        return EmailTransport()
    if channel == "sms":
        return SmsTransport()
    return http_transport_for(channel)


def http_transport_for(channel: str) -> HttpTransport:
    """The transport of a channel whose address is a URL (webhook, Slack, Discord, Teams)."""
    from notifications.transports.chat import DiscordTransport, SlackTransport, TeamsTransport
    from notifications.transports.webhook import WebhookTransport

    classes: dict[str, type[HttpTransport]] = {
        "webhook": WebhookTransport,
        "slack": SlackTransport,
        "discord": DiscordTransport,
        "teams": TeamsTransport,
    }
    return classes[channel]()


__all__ = [
    "ChatSummary",
    "Outgoing",
    "Receipt",
    "Reply",
    "Transport",
    "TransportError",
    "excerpt",
    "http_transport_for",
    "transport_for",
]
