"""Twilio webhooks: signature check, inbound STOP/START/HELP, message status callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import selectors
from notifications import senders
from notifications.models import Delivery, DeliveryState, PageNotificationSettings
from notifications.services import subscriptions

# Twilio's standard opt-out / opt-in / help keywords (Advanced Opt-Out defaults).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
HELP_WORDS = {"HELP", "INFO"}


def signature_valid(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    params = {key: request.POST.get(key) for key in request.POST}
    return bool(validator.validate(request.build_absolute_uri(), params, signature))


def _twiml(text: str | None) -> str:
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


def keyword(body: str | None) -> str:
    """The keyword a message is, or "". Twilio matches the whole message (trimmed, any case),
    not its first word: "Stop by at 5" opts nobody out, at Twilio or here, so our flag stays
    in step with Twilio's own block list."""
    return (body or "").strip().upper()


def handle_inbound(data: Mapping[str, str]) -> str:
    """Apply an opt-out/opt-in word; returns TwiML. Twilio itself answers STOP/START on its
    side, so only HELP gets a reply from us."""
    number = data.get("From", "")
    word = keyword(data.get("Body"))
    if word in STOP_WORDS:
        subscriptions.sms_opt_out(number=number)
        return _twiml(None)
    if word in START_WORDS:
        subscriptions.sms_opt_in(number=number)
        return _twiml(None)
    if word in HELP_WORDS:
        # The page whose number was texted; a shared number (the install's): the default page.
        own = PageNotificationSettings.objects.filter(
            sms_from_number=data.get("To", "") or "-"
        ).values_list("page_id", flat=True)
        page = selectors.page_get(own.first())
        sender = senders.sender_for(page.pk)
        text = render_to_string(
            "notifications/sms/help.txt", {"page_name": page.name, "page_url": sender.page_url}
        ).strip()
        return _twiml(text)
    return _twiml(None)


def handle_status(data: Mapping[str, str]) -> int:
    """A carrier-level failure after Twilio accepted the message fails the delivery row."""
    sid, status = data.get("MessageSid", ""), data.get("MessageStatus", "")
    if not sid or status not in {"failed", "undelivered"}:
        return 0
    code = data.get("ErrorCode", "")
    # Twilio's error codes are short numbers; anything else is not worth keeping.
    code = code if code.isdigit() and len(code) <= 10 else ""
    return Delivery.objects.filter(Q(provider_id=sid), state=DeliveryState.SENT).update(
        state=DeliveryState.FAILED,
        last_error=f"Carrier reported {status}" + (f" ({code})" if code else ""),
        updated_at=timezone.now(),
    )
