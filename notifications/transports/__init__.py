"""One transport class per channel. Transports are single-shot: retry policy lives in
notifications.services.delivery, never here."""

from notifications.transports.base import (
    Outgoing,
    Receipt,
    Reply,
    Transport,
    TransportError,
    excerpt,
)


def transport_for(channel: str) -> Transport:
    from notifications.transports.chat import DiscordTransport, SlackTransport, TeamsTransport
    from notifications.transports.email import EmailTransport
    from notifications.transports.sms import SmsTransport
    from notifications.transports.webhook import WebhookTransport

    classes = {
        "email": EmailTransport,
        "sms": SmsTransport,
        "webhook": WebhookTransport,
        "slack": SlackTransport,
        "discord": DiscordTransport,
        "teams": TeamsTransport,
    }
    return classes[channel]()


__all__ = [
    "Outgoing",
    "Receipt",
    "Reply",
    "Transport",
    "TransportError",
    "excerpt",
    "transport_for",
]
