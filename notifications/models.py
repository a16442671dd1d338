"""Subscribers, the events that notify them, and the delivery outbox.

Writes go through notifications.services; workers only ever touch Delivery and Subscriber
rows by id. Invariants that matter for "exactly once, never after unsubscribe" are database
constraints, not form checks.
"""

from __future__ import annotations

import base64
import secrets

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import (
    CheckedModel,
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
    PublicIdModel,
    page_field,
)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"
    DISCORD = "discord", "Discord"
    TEAMS = "teams", "Microsoft Teams"


# Channels whose address is an HTTP(S) URL we POST to.
URL_CHANNELS = (Channel.WEBHOOK, Channel.SLACK, Channel.DISCORD, Channel.TEAMS)


class SubscriberState(models.TextChoices):
    UNCONFIRMED = "unconfirmed"
    ACTIVE = "active"
    QUARANTINED = "quarantined"
    UNSUBSCRIBED = "unsubscribed"


class CreatedVia(models.TextChoices):
    PUBLIC = "public", "Public form"
    DASHBOARD = "dashboard"
    API = "api", "API"
    IMPORT = "import"


class Subscriber(PublicIdModel):
    page = page_field("subscribers")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Email address, E.164 phone number, or endpoint URL, normalised by the service.
    address = models.CharField(max_length=500)
    # Webhook owners are emailed when their endpoint gets quarantined.
    contact_email = models.EmailField(blank=True, default="")
    state = models.CharField(
        max_length=12, choices=SubscriberState.choices, default=SubscriberState.UNCONFIRMED
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    # On an audience-specific page: the audience it belongs to, which bounds what it hears
    # (only incidents and maintenance touching the audience's components; docs/pages.md).
    audience = models.ForeignKey(
        "incidents.Audience",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscribers",
    )
    # "Just this incident": hears only about that incident, whatever its components.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    created_via = models.CharField(
        max_length=12, choices=CreatedVia.choices, default=CreatedVia.PUBLIC
    )
    # SMS double opt-in: a hash of the code sent, never the code itself.
    confirm_code_hash = models.CharField(max_length=128, blank=True, default="")
    # The language its messages are written in (incidents.languages): the page's the person
    # subscribed on (/de/...), changed on the manage page. "": the page's default language at
    # send time (subscribers from before languages, the dashboard, the API, imports).
    language = models.CharField(max_length=10, blank=True, default="")
    # Carrier-level opt-out (STOP): no message at all until the number sends START.
    sms_opted_out = models.BooleanField(default=False)
    # Webhook quarantine rule (10 failures within any one hour): the times (epoch seconds) of
    # the endpoint's latest failures within the hour, at most 10, and how many there are.
    failure_times = models.JSONField(default=list, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    quarantined_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "channel"])]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "channel", "address"], name="subscriber_address_once_per_page"
            ),
            models.CheckConstraint(
                condition=~Q(state=SubscriberState.ACTIVE) | Q(confirmed_at__isnull=False),
                name="subscriber_active_is_confirmed",
            ),
            models.CheckConstraint(
                condition=~Q(state=SubscriberState.QUARANTINED) | Q(quarantined_at__isnull=False),
                name="subscriber_quarantine_dated",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.WEBHOOK) | ~Q(contact_email=""),
                name="subscriber_webhook_has_contact",
            ),
            models.CheckConstraint(condition=~Q(address=""), name="subscriber_has_address"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class PageNotificationSettings(CheckedModel):
    """Who a page's notifications come from. One row per page, every field optional: an empty
    one falls back to the install's setting (notifications.senders resolves them)."""

    page = models.OneToOneField(
        Page, on_delete=models.CASCADE, related_name="notification_settings"
    )
    from_name = models.CharField(
        max_length=100, blank=True, default="", help_text="Shown as the sender's name."
    )
    from_email = models.EmailField(
        blank=True, default="", help_text="The From address. Empty: the install's."
    )
    reply_to = models.EmailField(
        blank=True, default="", help_text="Where replies go. Empty: the install's, if any."
    )
    sms_from_number = models.CharField(
        max_length=20,
        blank=True,
        default="",
        validators=[RegexValidator(r"^\+[1-9][0-9]{6,14}$", "An E.164 number: +15551234567")],
        help_text="Twilio number SMS are sent from (E.164).",
    )
    sms_messaging_service_sid = models.CharField(
        max_length=34,
        blank=True,
        default="",
        validators=[RegexValidator(r"^MG[0-9a-fA-F]{32}$", "A messaging service SID: MG + 32 hex")],
        help_text="Twilio messaging service; used instead of the number when set.",
    )
    # Signs every webhook of the page (same header) instead of each subscriber's own secret.
    webhook_secret = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "page notification settings"

    def __str__(self) -> str:
        return f"notification settings of page {self.page_id}"


class Event(models.Model):
    """One published domain event that notifies; Delivery rows point here."""

    kind = models.CharField(max_length=40)
    # The page whose subscribers it reaches (the incident's, maintenance's or components').
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance_update = models.ForeignKey(
        MaintenanceUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    component_ids = models.JSONField(default=list, blank=True)
    status_change_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class Delivery(models.Model):
    """The outbox: one row per (event, subscriber), written with the event it stands for."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    # Copied from the subscriber so one batch can open one connection per channel.
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    # Message-ID, Twilio SID or HTTP status: what the provider called this message.
    provider_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["event", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="delivery_once"),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.SENDING) | Q(lease_expires_at__isnull=False),
                name="delivery_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.state})"


class AttemptOutcome(models.TextChoices):
    """What one try did to its row (the batch job's counts use the same words)."""

    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed for good"
    DEAD = "dead", "Failed, no tries left"


class DeliveryAttempt(models.Model):
    """One try at sending one outbox row, and what came back: the history an operator reads
    when a subscriber says "I got nothing" (`Delivery.last_error` keeps only the latest).
    Written in bulk by the batch job (one INSERT per flush of rows, never one per row) and
    purged after NOTIFY_ATTEMPT_RETENTION_DAYS by the hourly clean-up."""

    # Indexed by `attempt_delivery_at`, which starts with it: a second index on the column
    # alone would only slow the inserts of a large fan-out.
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )
    # The row's attempt count when this try was claimed: 1 for the first try.
    number = models.PositiveIntegerField()
    # When the try started.
    at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=AttemptOutcome.choices)
    # What the other side answered, as shown: "HTTP 503", "SMTP 550", "Twilio 21211",
    # "Twilio queued". Empty when no answer came (timeout, refused connection, not sent).
    code = models.CharField(max_length=40, blank=True, default="")
    # Null when nothing was sent (subscriber gone, message not renderable).
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # The short human error of a failed try, as `Delivery.last_error` had it.
    message = models.CharField(max_length=200, blank=True, default="")
    # The first characters of the answer (response body, SMTP reply text, Twilio message),
    # one line of printable text.
    excerpt = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            # The delivery page lists a row's tries newest first.
            models.Index(fields=["delivery", "-at"], name="attempt_delivery_at"),
            # The retention purge deletes by age.
            models.Index(fields=["at"], name="attempt_at"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id} ({self.outcome})"


class ImportStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SubscriberImport(CheckedModel):
    """An uploaded subscriber CSV, kept in the database so a job given its id can process it
    on any worker (no file on a local disk); progress and the per-row report land here too."""

    page = page_field("subscriber_imports")
    rows = models.JSONField(default=list)
    skip_confirmation = models.BooleanField(default=False)
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"row": n, "data": {...}, "message": "..."}] for every refused row.
    errors = models.JSONField(default=list, blank=True)
    filename = models.CharField(max_length=200, blank=True, default="")
    # Who uploaded it: the job acts (and audits) in their name.
    actor_label = models.CharField(max_length=200, blank=True, default="")
    actor_via = models.CharField(max_length=16, blank=True, default="")
    actor_user_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
