from __future__ import annotations

from dataclasses import dataclass


class TransportError(Exception):
    """A send failed. `message` is short and human; `permanent` means retrying cannot help
    (bad address, opted-out number, 410 Gone), so the row fails at once. `code` is the
    provider's own error code where it has one (Twilio's 21610: the number sent STOP)."""

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None):
        super().__init__(message)
        self.message = message[:200]
        self.permanent = permanent
        self.code = code


@dataclass
class Outgoing:
    """One message for one subscriber. `key` is stable across retries (Message-ID, webhook-id)."""

    delivery_id: int
    key: str
    address: str
    secret: str
    subject: str = ""
    text: str = ""
    html: str = ""
    payload: dict | None = None
    headers: dict | None = None


class Transport:
    """Open once per batch, send many, close. `send` returns the provider's id for the message."""

    def open(self) -> None:
        pass

    def send(self, message: Outgoing) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass
