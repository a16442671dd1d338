"""Email over Django's mail API: one SMTP connection per batch, text + HTML parts."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from notifications.transports import smtp
from notifications.transports.base import Outgoing, Receipt, Reply, Transport, TransportError


class EmailTransport(Transport):
    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None
        # The server's answer to the last DATA command, e.g. (250, b"2.0.0 Ok: queued as 4F3A").
        self.last_reply: tuple[int, bytes] | None = None
        # The message the batch sends next (`expect`), and the one whose envelope went to the
        # server ahead of it, with the previous message's content (notifications/transports/
        # smtp.py): the server answered or will answer it, and waits for that content.
        self.following: Outgoing | None = None
        self.ahead: tuple[Outgoing, smtp.Envelope] | None = None

    def open(self) -> None:
        self.connection = get_connection(fail_silently=False)
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            self.connection = None
            raise TransportError(f"Could not connect to the mail server: {_short(exc)}") from exc
        self._keep_data_replies()

    def _keep_data_replies(self) -> None:
        """Django's SMTP backend drops the server's answer to DATA ("250 2.0.0 Ok: queued as
        4F3A"), the one line that lets a mail admin find the message in their logs. Wrap the
        session's `data` to keep it. Other backends (console, locmem) have no session."""
        session = getattr(self.connection, "connection", None)
        original = getattr(session, "data", None)
        if session is None or original is None:
            return

        def data(msg: bytes | str) -> tuple[int, bytes]:
            self.last_reply = original(msg)
            return self.last_reply

        session.data = data

    def expect(self, message: Outgoing | None) -> None:
        """Its envelope goes with the next message's content (the server pipelines)."""
        self.following = message

    def send(self, message: Outgoing) -> Receipt:
        following, self.following = self.following, None
        if self.ahead is not None and self.ahead[0] is not message:
            # The server waits for the content of another message's envelope, which the
            # batch did not send after all (it stopped, or the row's try ended before its
            # send): only a new session undoes that.
            self.close()
        if self.connection is None:
            self.open()
        self.last_reply = None
        session = getattr(self.connection, "connection", None)
        if message.raw is not None and isinstance(session, smtplib.SMTP):
            # Bytes from the batch's template (notifications.mime) on the backend's session,
            # without building the message again; pipelined where the server allows it.
            self._send_raw(session, message, following)
        else:
            self._send_built(message)
        message_id = (message.headers or {}).get("Message-ID", "")
        return Receipt(provider_id=message_id, reply=self._reply())

    def _send_raw(
        self, session: smtplib.SMTP, message: Outgoing, following: Outgoing | None
    ) -> None:
        assert message.raw is not None
        envelope = self.ahead[1] if self.ahead is not None else None
        self.ahead = None
        then = None
        if following is not None and following.raw is not None:
            then = smtp.Envelope(following.sender, following.address, len(following.raw))
        try:
            with _errors(self):
                try:
                    self.last_reply = smtp.send_raw(
                        session,
                        message.sender,
                        message.address,
                        message.raw,
                        envelope=envelope,
                        then=then,
                    )
                except OSError as exc:
                    # A session lost or timed out (a refusal is an answer: it stays open)
                    # with the next envelope ahead: no QUIT into that message's content.
                    lost = not isinstance(exc, smtplib.SMTPResponseException)
                    if lost and then is not None and then.ahead:
                        smtp.abandon(session)
                    raise
        finally:
            # Went ahead with this message's content, on a session still open (a lost one
            # is closed by now, and the next message starts over on a new one).
            if then is not None and following is not None and then.ahead and self.connection:
                self.ahead = (following, then)

    def _send_built(self, message: Outgoing) -> None:
        """Through Django's mail API, which builds the message: any mail backend."""
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers=message.headers or {},
            connection=self.connection,
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        with _errors(self):
            try:
                mail.send()
            except BadHeaderError as exc:
                # The same message would fail the same way on every retry.
                raise TransportError(f"Invalid header: {_short(exc)}", permanent=True) from exc

    def _reply(self) -> Reply:
        if self.last_reply is None:
            return Reply()
        code, text = self.last_reply
        return Reply(code=f"SMTP {code}", text=_text(text))

    def close(self) -> None:
        self.following = None
        if self.ahead is not None:
            self.ahead = None
            session = getattr(self.connection, "connection", None)
            if isinstance(session, smtplib.SMTP):
                smtp.abandon(session)
        if self.connection is not None:
            # Closing a dead connection must not fail a batch.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


@contextlib.contextmanager
def _errors(transport: EmailTransport) -> Iterator[None]:
    """A failed SMTP conversation as a TransportError, the connection dropped if it is gone."""
    try:
        yield
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        if code == 421:
            transport.close()  # the server closed the session
        raise TransportError(
            f"Recipient refused ({code})",
            permanent=500 <= code < 600,
            reply=Reply(code=f"SMTP {code}", text=_text(text)),
        ) from exc
    except smtplib.SMTPResponseException as exc:
        # A refusal of this message (sender, data): smtplib has reset the session, which
        # stays usable, unless the server said it is closing (421).
        if exc.smtp_code == 421:
            transport.close()
        raise TransportError(
            f"Mail server error: {_short(exc)}",
            reply=Reply(code=f"SMTP {exc.smtp_code}", text=_text(exc.smtp_error)),
        ) from exc
    except (TimeoutError, OSError) as exc:
        # SMTPServerDisconnected and every other SMTPException are OSErrors too. The
        # connection is gone: drop it so the next message in the batch reconnects.
        transport.close()
        raise TransportError(f"Mail server connection lost: {_short(exc)}") from exc


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:120]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
