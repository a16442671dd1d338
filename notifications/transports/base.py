from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

EXCERPT_CHARS = 300
# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators and bidi
# overrides: an answer is shown as one line, and must not reorder the text around it.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def excerpt(data: bytes | str | None, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of what a provider answered, as one line of printable
    text (bytes decoded as UTF-8, undecodable ones replaced). HTML stays text: the dashboard
    escapes it like any other value."""
    if not data:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    # Already one line of printable text, single spaces, not too long (an SMTP server's
    # "2.0.0 Ok: queued as 4F3A", once per message): as it is. `str.isprintable` is False
    # for every control character, separator and bidi override below, and for every
    # whitespace but the space.
    if len(text) <= limit and text.isprintable() and "  " not in text and text.strip() == text:
        return text
    text = " ".join(_UNPRINTABLE.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Reply:
    """What the other side answered, for the attempt log: `code` as an operator reads it
    ("HTTP 503", "SMTP 550", "Twilio 21211", "Twilio queued") and `text`, an excerpt of the
    answer. Both empty when nothing came back (timeout, refused connection)."""

    code: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", self.code[:40])
        object.__setattr__(self, "text", excerpt(self.text))


@dataclass(frozen=True)
class Receipt:
    """A message the provider accepted: its id for the row (Message-ID, Twilio SID, HTTP
    status) and the answer for the attempt log."""

    provider_id: str
    reply: Reply = field(default_factory=Reply)


class TransportError(Exception):
    """A send failed. `message` is short and human; `permanent` means retrying cannot help
    (bad address, opted-out number, 410 Gone), so the row fails at once. `code` is the
    provider's own error code where it has one (Twilio's 21610: the number sent STOP);
    `reply` is what the provider answered, if it answered."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        code: int | None = None,
        reply: Reply | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message[:200]
        self.permanent = permanent
        self.code = code
        self.reply = reply or Reply()


class ChatSummary(TypedDict):
    """What a chat message (Slack, Discord, Teams) says: each product's transport lays it out
    in its own format."""

    title: str
    text: str
    url: str


@dataclass
class Outgoing:
    """One message for one subscriber. `key` is stable across retries (Message-ID, webhook-id).
    `payload` is a webhook's JSON body, or a chat message's ChatSummary."""

    delivery_id: int
    key: str
    address: str
    secret: str
    subject: str = ""
    text: str = ""
    html: str = ""
    payload: Mapping[str, object] | None = None
    headers: dict[str, str] | None = None
    # An email's finished bytes and envelope sender, when built from its batch's template
    # (notifications.mime); the fields above then say the same for any other mail backend.
    raw: bytes | None = None
    sender: str = ""
    # The From header of an email built in full ("": the install's DEFAULT_FROM_EMAIL).
    from_email: str = ""


class Transport:
    """Open once per batch, send many, close. `send` returns the provider's receipt."""

    def open(self) -> None:
        pass

    def expect(self, message: Outgoing | None) -> None:
        """The message the batch sends after the one its next `send` is given, if it knows it:
        a transport may start that message's conversation early (SMTP pipelining). The
        `send` after next must then be given this very message, or the transport drops what
        it started (and the session with it)."""

    def send(self, message: Outgoing) -> Receipt:
        raise NotImplementedError

    def close(self) -> None:
        pass
