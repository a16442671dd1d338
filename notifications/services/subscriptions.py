"""Subscribing, double opt-in, scope changes, unsubscribing, quarantine and clean-up."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from incidents import languages
from incidents.errors import ServiceError
from incidents.models import Audience, Component, Incident, Page, default_page_id
from incidents.queue import enqueue_on_commit
from notifications.models import (
    Channel,
    CreatedVia,
    Delivery,
    DeliveryState,
    Subscriber,
    SubscriberState,
)
from notifications.netguard import is_public

QUEUE = "notifications"


class SubscribeError(ServiceError):
    """A subscription was refused; like every ServiceError it names the field."""


def normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel not in Channel.values:
        raise SubscribeError(
            gettext_noop("Choose email, SMS, webhook, Slack, Discord or Teams."), field="channel"
        )
    if not address:
        raise SubscribeError(gettext_noop("Enter an address."), field="address")
    if channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise SubscribeError(
                gettext_noop("Enter a valid email address."), field="address"
            ) from None
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel == Channel.SMS:
        try:
            number = phonenumbers.parse(address, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise SubscribeError(
                gettext_noop(
                    "Enter a valid phone number in international form, e.g. +14155550123."
                ),
                field="address",
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _check_url(address)


def _check_url(url: str) -> str:
    """Shape check only; the real SSRF guard runs on the resolved address at connect time."""
    parts = urlsplit(url)
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES else {"https"}
    if parts.scheme not in allowed or not parts.hostname or len(url) > 500:
        raise SubscribeError(gettext_noop("Enter an https:// URL."), field="address")
    if parts.username or parts.password:
        raise SubscribeError(
            gettext_noop("The URL must not contain a user name or password."), field="address"
        )
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and _is_private_literal(parts.hostname):
        raise SubscribeError(
            gettext_noop("The URL must point to a public address."), field="address"
        )
    return url


def _is_private_literal(host: str) -> bool:
    """An IP literal can be judged now; names are judged when the connection opens."""
    try:
        return not is_public(host)
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def _webhook_contact(channel: str, contact_email: str) -> str:
    """Only webhooks have a contact (validated); anything typed for other channels is dropped."""
    if channel != Channel.WEBHOOK:
        return ""
    contact_email = (contact_email or "").strip()
    try:
        validate_email(contact_email)
    except ValidationError:
        raise SubscribeError(
            gettext_noop("Webhooks need a contact email."), field="contact_email"
        ) from None
    return contact_email


def _chosen_components(
    page_id: int, component_ids: list[int] | None, audience_id: int | None
) -> list[Component]:
    """The page's components chosen (none: all of them); on an audience's page, its own only."""
    components = list(Component.objects.filter(id__in=component_ids or [], page_id=page_id))
    if component_ids and len(components) != len(set(component_ids)):
        raise SubscribeError(gettext_noop("Choose components from the list."), field="components")
    if audience_id is not None:
        seen = set(
            Audience.objects.filter(pk=audience_id, page_id=page_id).values_list(
                "components", flat=True
            )
        )
        if not seen or any(c.id not in seen for c in components):
            raise SubscribeError(
                gettext_noop("Choose components from the list."), field="components"
            )
    return components


def subscriber_subscribe(
    *,
    channel: str,
    address: str,
    contact_email: str = "",
    component_ids: list[int] | None = None,
    incident: Incident | None = None,
    via: str = CreatedVia.PUBLIC,
    confirmed: bool = False,
    language: str = "",
    page: Page | None = None,
    audience_id: int | None = None,
) -> Subscriber:
    """Create or refresh a subscription and start its opt-in. An active subscriber is left
    as it is, so nobody can change another person's scope by knowing their address.

    `confirmed` (operators only: they vouch for the address) makes it active at once and
    sends no confirmation. `language`: the page's the person subscribed on ("" or one that is
    not ours: the page's default at send time). `audience_id`: on an audience-specific page,
    the audience of the signed-in reader subscribing; the components chosen must be its."""
    address = normalise_address(channel, address)
    language = language if language in languages.CODES else ""
    contact_email = _webhook_contact(channel, contact_email)
    # The page subscribed to (None: the default page); only its components and incidents.
    page_id = page.pk if page is not None else default_page_id()
    if page_id is None:
        raise SubscribeError(gettext_noop("Choose components from the list."), field="components")
    components = _chosen_components(page_id, component_ids, audience_id)
    if incident is not None and incident.page_id != page_id:
        incident = None
    with transaction.atomic():
        sub, _created = Subscriber.objects.select_for_update().get_or_create(
            page_id=page_id,
            channel=channel,
            address=address,
            defaults={"created_via": via, "contact_email": contact_email},
        )
        if sub.state == SubscriberState.ACTIVE:
            return sub
        now = timezone.now()
        sub.state = SubscriberState.ACTIVE if confirmed else SubscriberState.UNCONFIRMED
        if confirmed:
            sub.confirmed_at = now
        sub.contact_email = contact_email
        sub.language = language
        sub.all_components = not components
        sub.incident = incident
        sub.audience_id = audience_id
        sub.quarantined_at = sub.unsubscribed_at = None
        sub.failure_times, sub.failure_count = [], 0
        sub.created_at = sub.updated_at = now
        sub.save()
        sub.components.set(components)
        if not confirmed and not (channel == Channel.SMS and sub.sms_opted_out):
            enqueue_on_commit(
                "notifications.jobs.send_confirmation",
                sub.id,
                queue=QUEUE,
                job_id=f"notify-confirm-{sub.public_id}-{int(sub.created_at.timestamp())}",
            )
    return sub


def code_hash(subscriber: Subscriber, code: str) -> str:
    secret_key = settings.SECRET_KEY
    assert secret_key is not None  # the settings refuse to start without one
    key = secret_key.encode()
    return hmac.new(key, f"{subscriber.public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def sms_code_issue(*, subscriber: Subscriber) -> str:
    """A fresh 6-digit code; only its keyed hash is stored."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    Subscriber.objects.filter(pk=subscriber.pk).update(
        confirm_code_hash=code_hash(subscriber, code)
    )
    return code


def sms_code_check(*, subscriber: Subscriber, code: str) -> bool:
    expected = subscriber.confirm_code_hash
    return bool(expected) and hmac.compare_digest(expected, code_hash(subscriber, code.strip()))


def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    with transaction.atomic():
        sub = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if sub.state == SubscriberState.UNCONFIRMED:
            now = timezone.now()
            sub.state, sub.confirmed_at, sub.updated_at = SubscriberState.ACTIVE, now, now
            sub.confirm_code_hash = ""
            sub.save()
    return sub


def scope_component_ids(*, component_ids: list[int], group_ids: list[int]) -> list[int]:
    """The components a form's choice means: those ticked, plus every component of each group
    ticked as a whole ("select group" works without JavaScript). Unknown groups are refused."""
    wanted = set(group_ids)
    if not wanted:
        return sorted(set(component_ids))
    members = list(Component.objects.filter(group_id__in=wanted).values_list("id", "group_id"))
    if {group_id for _, group_id in members} != wanted:
        raise SubscribeError(gettext_noop("Choose components from the list."), field="components")
    return sorted(set(component_ids) | {component_id for component_id, _ in members})


def subscriber_set_scope(*, subscriber: Subscriber, component_ids: list[int]) -> Subscriber:
    """Components of the subscriber's own page only: another page's are refused."""
    visible = Component.objects.filter(page__subscribers=subscriber.pk)
    if subscriber.audience_id is not None:
        # Of its audience's components only (what its page shows it).
        visible = visible.filter(audiences=subscriber.audience_id)
    components = list(visible.filter(id__in=component_ids))
    if len(components) != len(set(component_ids)):
        raise SubscribeError(gettext_noop("Choose components from the list."), field="components")
    with transaction.atomic():
        subscriber.all_components = not components
        subscriber.updated_at = timezone.now()
        subscriber.save(update_fields=["all_components", "updated_at"])
        subscriber.components.set(components)
    return subscriber


def subscriber_set_language(*, subscriber: Subscriber, language: str) -> Subscriber:
    """The language the subscriber's messages are written in (the manage page's choice)."""
    if language not in languages.CODES:
        raise SubscribeError(gettext_noop("Choose a language from the list."), field="language")
    Subscriber.objects.filter(pk=subscriber.pk).update(language=language, updated_at=timezone.now())
    subscriber.language = language
    return subscriber


def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Stop every message: the state change and the cancel of queued rows commit together."""
    with transaction.atomic():
        now = timezone.now()
        Subscriber.objects.filter(pk=subscriber.pk).update(
            state=SubscriberState.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now
        )
        Delivery.objects.filter(subscriber=subscriber, state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED, last_error="Unsubscribed", updated_at=now
        )
    subscriber.refresh_from_db()
    return subscriber


def subscriber_quarantine(*, subscriber: Subscriber, last_error: str) -> None:
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk).update(
        state=SubscriberState.QUARANTINED, quarantined_at=now, updated_at=now
    )
    if subscriber.contact_email:
        enqueue_on_commit(
            "notifications.jobs.send_quarantine_notice",
            subscriber.id,
            last_error[:200],
            queue=QUEUE,
            job_id=f"notify-quarantine-{subscriber.public_id}-{int(now.timestamp())}",
        )


OPTED_OUT_ERROR = "Number opted out (STOP)"


def sms_opt_out(*, number: str) -> int:
    """The number sent STOP (or Twilio says it did): no message until START. Rows already
    queued for it are cancelled with the flag, as unsubscribing cancels them."""
    now = timezone.now()
    with transaction.atomic():
        changed = Subscriber.objects.filter(channel=Channel.SMS, address=number).update(
            sms_opted_out=True, updated_at=now
        )
        Delivery.objects.filter(
            channel=Channel.SMS, subscriber__address=number, state=DeliveryState.PENDING
        ).update(state=DeliveryState.FAILED, last_error=OPTED_OUT_ERROR, updated_at=now)
    return changed


def sms_opt_in(*, number: str) -> int:
    return Subscriber.objects.filter(channel=Channel.SMS, address=number).update(
        sms_opted_out=False, updated_at=timezone.now()
    )


def subscribers_expire_and_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Drop opt-ins never confirmed in time, and quarantined subscribers after 90 days."""
    now = now or timezone.now()
    _, expired = Subscriber.objects.filter(
        state=SubscriberState.UNCONFIRMED,
        created_at__lt=now - timedelta(hours=settings.NOTIFY_UNCONFIRMED_EXPIRE_HOURS),
    ).delete()
    _, purged = Subscriber.objects.filter(
        state=SubscriberState.QUARANTINED,
        quarantined_at__lt=now - timedelta(days=settings.NOTIFY_QUARANTINE_PURGE_DAYS),
    ).delete()
    label = Subscriber._meta.label
    return {"expired": expired.get(label, 0), "purged": purged.get(label, 0)}
