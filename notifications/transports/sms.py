"""SMS through the twilio SDK, never faster than SMS_MAX_PER_SECOND across all workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from notifications.ratelimit import send_slot
from notifications.transports.base import Outgoing, Receipt, Reply, Transport, TransportError

if TYPE_CHECKING:
    from twilio.rest import Client

# The number replied STOP to our sender: Twilio refuses every message until it sends START.
OPTED_OUT_CODE = 21610

# Twilio error codes that mean "this number will never take this message".
PERMANENT_CODES = {
    21211,  # invalid 'To' number
    21214,  # 'To' number cannot be reached
    21408,  # region not enabled
    21610,  # recipient replied STOP
    21612,  # cannot route to this number
    21614,  # not a mobile number
}


# Bounds a request well inside the rate limiter's token lease (SLOT_LEASE_SECONDS).
SMS_HTTP_TIMEOUT_SECONDS = 15


def twilio_client() -> Client:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=SMS_HTTP_TIMEOUT_SECONDS),
    )
    if settings.TWILIO_API_BASE:
        client.api.base_url = settings.TWILIO_API_BASE.rstrip("/")
    return client


def send_sms(
    to: str,
    body: str,
    status_callback: str | None = None,
    *,
    from_number: str = "",
    messaging_service_sid: str = "",
) -> Receipt:
    """Send one SMS; returns the SID and Twilio's status for it, or raises TransportError.
    `from_number` / `messaging_service_sid`: the page's sender (notifications.senders); with
    neither, the install's settings."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
        raise TransportError("SMS is not configured (TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN)")
    sender: dict[str, str] = {}
    if messaging_service_sid:
        sender["messaging_service_sid"] = messaging_service_sid
    elif from_number:
        sender["from_"] = from_number
    elif settings.TWILIO_MESSAGING_SERVICE_SID:
        sender["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    elif settings.TWILIO_FROM_NUMBER:
        sender["from_"] = settings.TWILIO_FROM_NUMBER
    else:
        raise TransportError("SMS has no sender (TWILIO_FROM_NUMBER or messaging service)")
    if status_callback:
        sender["status_callback"] = status_callback
    try:
        with send_slot("sms", settings.SMS_MAX_PER_SECOND):
            message = twilio_client().messages.create(to=to, body=body, **sender)
    except TwilioRestException as exc:
        permanent = exc.code in PERMANENT_CODES
        reply = Reply(
            code=f"Twilio {exc.code}" if exc.code else f"HTTP {exc.status}",
            text=f"HTTP {exc.status}: {exc.msg}",
        )
        raise TransportError(
            f"Twilio error {exc.code}: {exc.msg}"[:200],
            permanent=permanent,
            code=exc.code,
            reply=reply,
        ) from exc
    except (TwilioException, OSError) as exc:
        raise TransportError(f"Twilio unreachable: {str(exc)[:100]}") from exc
    reply = Reply(code=f"Twilio {message.status or 'accepted'}", text=f"SID {message.sid}")
    return Receipt(provider_id=message.sid, reply=reply)


class SmsTransport(Transport):
    def send(self, message: Outgoing) -> Receipt:
        headers = message.headers or {}
        return send_sms(
            message.address,
            message.text,
            headers.get("callback"),
            from_number=headers.get("from_", ""),
            messaging_service_sid=headers.get("messaging_service_sid", ""),
        )
