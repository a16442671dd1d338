"""Email over Django's mail API: one SMTP connection per batch, text + HTML parts."""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection

from notifications.transports.base import Outgoing, Transport, TransportError


class EmailTransport(Transport):
    def __init__(self):
        self.connection = None

    def open(self) -> None:
        self.connection = get_connection(fail_silently=False)
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            self.connection = None
            raise TransportError(f"Could not connect to the mail server: {_short(exc)}") from exc

    def send(self, message: Outgoing) -> str:
        if self.connection is None:
            self.open()
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers=message.headers or {},
            connection=self.connection,
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise TransportError(
                f"Recipient refused ({code})", permanent=500 <= code < 600
            ) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            # The connection is gone: drop it so the next message in the batch reconnects.
            self.close()
            raise TransportError(f"Mail server connection lost: {_short(exc)}") from exc
        except smtplib.SMTPException as exc:
            raise TransportError(f"Mail server error: {_short(exc)}") from exc
        except BadHeaderError as exc:
            # The same message would fail the same way on every retry.
            raise TransportError(f"Invalid header: {_short(exc)}", permanent=True) from exc
        return (message.headers or {}).get("Message-ID", "")

    def close(self) -> None:
        if self.connection is not None:
            # Closing a dead connection must not fail a batch.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:120]
