"""The domain: the page, its components, incidents, maintenance, incident templates, and the
status-change log.

State changes go through incidents.services; reads through incidents.selectors. Models hold
fields, constraints and small derived properties only.
"""

from __future__ import annotations

import re
import secrets
import zoneinfo
from collections.abc import Iterable
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.base import ModelBase
from django.db.models.functions import Lower
from django.utils import timezone

from incidents import branding, languages
from incidents.enums import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    ChangeSource,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from incidents.errors import ServiceError
from incidents.origin import fallback_url

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id() -> str:
    """A 12-char lowercase base36 id, the form Statuspage clients expect (about 62 bits)."""
    return "".join(secrets.choice(_BASE36) for _ in range(12))


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone name.") from None


# Markdown bodies and descriptions: far beyond any real update, small enough to render.
MAX_TEXT_LENGTH = 100_000


# C0 controls but tab, line feed and carriage return (typed text has those), and DEL: XML 1.0
# cannot carry most of them (one in an update would break both feeds for every reader), SMS
# and email headers mangle them, and nobody types them on purpose. Lone surrogates (a JSON
# "\ud800") cannot be encoded as UTF-8 at all.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What is wrong with a text value's characters, or None: the one rule for all input."""
    match = _FORBIDDEN_CHARACTER.search(value)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"contains an invalid character (a lone surrogate, U+{code:04X})"
    name = " (NUL)" if code == 0 else ""
    return f"contains a control character (U+{code:04X}{name})"


def check_text_fields(obj: models.Model) -> None:
    """Refuse text the database would refuse (or should not hold) with a ServiceError naming
    the field: over-long values (SQLite does not enforce max_length, PostgreSQL fails with a
    DataError), control characters other than tab and newlines, and lone surrogates (see
    text_problem). Every write path, the API included, then answers a clear 4xx instead of a
    500, and the service's transaction leaves nothing half-written."""
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(obj, field.attname)
        if not isinstance(value, str):
            continue
        limit = field.max_length or MAX_TEXT_LENGTH
        label = str(field.verbose_name).capitalize()
        if len(value) > limit:
            raise ServiceError(
                f"{label} is too long ({len(value)} characters; at most {limit}).",
                field=field.name,
            )
        problem = text_problem(value)
        if problem is not None:
            raise ServiceError(f"{label} {problem}.", field=field.name)


class CheckedModel(models.Model):
    """Text fields are checked on every save (see check_text_fields)."""

    class Meta:
        abstract = True

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        check_text_fields(self)
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )


class PublicIdModel(CheckedModel):
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)

    class Meta:
        abstract = True


def validate_host(value: str) -> None:
    """A host name as a Host header carries it, without port: lowercase letters, digits, dots
    and hyphens (IDN in its punycode form)."""
    if not _HOST.fullmatch(value) or len(value) > 253:
        raise ValidationError(f"{value!r} is not a lowercase host name (e.g. status.example.com).")


_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def default_page_id() -> int | None:
    """The default page's id: the oldest page. The default of every page-owned object's `page`
    for code that does not name one yet (None when the install has no page: the insert then
    fails on the NOT NULL column rather than inventing a page)."""
    return Page.objects.order_by("id").values_list("id", flat=True).first()


class Page(PublicIdModel):
    """One status page. An install holds any number; the oldest is the default page (served
    where no host name or path prefix names another, see docs/pages.md)."""

    name = models.CharField(max_length=120)
    # The path prefix /p/<slug>/ that serves this page on any host the install answers on.
    slug = models.SlugField(max_length=50, unique=True, default=new_public_id)
    # Empty until an operator sets it: links then use incidents.origin's fallback.
    url = models.URLField(
        blank=True,
        default="",
        help_text="Public URL of the status page. Empty: the address this site is reached at.",
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # The public site's language at unprefixed addresses (incidents.languages; /de/... choose).
    language = models.CharField(
        max_length=10, default=languages.DEFAULT, validators=[languages.validate_language]
    )
    # Uptime: downtime = major + partial_weight * partial + degraded_weight * degraded seconds.
    partial_outage_weight = models.DecimalField(max_digits=4, decimal_places=3, default=0.3)
    degraded_weight = models.DecimalField(max_digits=4, decimal_places=3, default=0)
    # A day's bar colour level is the number of these thresholds its downtime exceeds (0-4).
    uptime_thresholds_minutes = models.JSONField(default=list, blank=True)
    # Bumped in the same transaction as every public change; public caches key on it.
    generation = models.BigIntegerField(default=0, editable=False)
    # Bumped when a write changes a day that is already over in the page's zone (a backdated
    # status change, an incident edit or deletion, an import, a restore): the public pages
    # cache each component's finished days on it (statuspage/public/finished_days.py).
    history_version = models.BigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # --- branding (public site; migration 0003_page_branding, uploads 0009) ---
    # Used when no logo is uploaded (`logo`).
    logo_url = models.URLField(blank=True, default="", help_text="Shown beside the page name.")
    # Uploaded images: names of files under DATA_DIR/branding/ (incidents.branding).
    logo = models.CharField(max_length=40, blank=True, default="", editable=False)
    favicon = models.CharField(max_length=40, blank=True, default="", editable=False)
    # Colours are "#rrggbb"; the public stylesheet drops any other value.
    accent_color = models.CharField(
        max_length=7, blank=True, default="", validators=[branding.validate_hex_color]
    )
    # {status or indicator or uptime level -> "#rrggbb"}, overriding the built-in palette.
    status_colors = models.JSONField(
        default=dict, blank=True, validators=[branding.validate_status_colors]
    )
    custom_css = models.TextField(
        blank=True,
        default="",
        help_text="Appended to the page CSS.",
        validators=[MaxLengthValidator(branding.MAX_CUSTOM_CSS)],
    )
    # [{"label": "...", "url": "https://..."}], shown in the page footer.
    footer_links = models.JSONField(
        default=list, blank=True, validators=[branding.validate_footer_links]
    )
    # --- end branding ---
    # Statuspage never notifies a component status change made outside an incident; this page
    # may (each change still carries the operator's own "notify" choice).
    notify_component_changes = models.BooleanField(
        default=False,
        verbose_name="Notify subscribers of component status changes outside incidents",
        help_text="Subscribers of a component hear when its status is set by hand, by the API "
        "or by an alert route, not only through incidents and maintenance.",
    )

    DEFAULT_THRESHOLDS = (0, 20, 40, 60)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(partial_outage_weight__gte=0, partial_outage_weight__lte=1)
                & Q(degraded_weight__gte=0, degraded_weight__lte=1),
                name="page_weights_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Counters only their own UPDATE moves (services.common: `public_changed`, the history
    # bump): a save of a copy read before that UPDATE would write its older number back, and
    # the public caches, the finished days and the publisher's change log key on them.
    COUNTERS = ("generation", "history_version")

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        if not self._state.adding and not force_insert and update_fields is None:
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNTERS
            ]
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )

    @property
    def public_url(self) -> str:
        """The URL links are built from: the configured one, else where the site is reached."""
        return (self.url or fallback_url()).rstrip("/")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def thresholds(self) -> tuple[int, ...]:
        return tuple(self.uptime_thresholds_minutes or self.DEFAULT_THRESHOLDS)

    def clean(self) -> None:
        values = self.uptime_thresholds_minutes or []
        if values and (
            len(values) != 4
            or not all(isinstance(v, int) and v >= 0 for v in values)
            or list(values) != sorted(values)
        ):
            raise ValidationError(
                {
                    "uptime_thresholds_minutes": (
                        "Give four ascending whole minutes, e.g. [0, 20, 40, 60]."
                    )
                }
            )


class PageHost(CheckedModel):
    """A host name a page answers on (its custom domain). Unique across pages and stored
    lowercase, so a Host header selects at most one page."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(max_length=253, unique=True, validators=[validate_host])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(host=Lower("host")), name="page_host_lowercase"),
        ]

    def __str__(self) -> str:
        return self.host


def page_field(related_name: str) -> models.ForeignKey[Page, Page]:
    """The `page` of a page-owned object (groups, components, incidents, ...)."""
    return models.ForeignKey(
        Page, on_delete=models.CASCADE, related_name=related_name, default=default_page_id
    )


class ComponentGroup(PublicIdModel):
    page = page_field("component_groups")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    # Ordering rule: by position, ties broken by creation order (id). Positions need not be
    # unique, so reordering never fights a unique constraint mid-update.
    position = models.PositiveIntegerField(default=0)
    collapsed = models.BooleanField(
        default=False, help_text="Collapsed on the page when all is well."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Component(PublicIdModel):
    page = page_field("components")
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # What the public sees: the worst of base_status, open incidents and running maintenance.
    status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # The status set by hand or by automation, outside any incident or maintenance. Resolving
    # every incident returns the component to this, not blindly to operational.
    base_status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # Put under maintenance by hand (API, dashboard, import) rather than by a maintenance window:
    # it shows under_maintenance in place of the base status, which stays beneath and comes
    # back when the maintenance ends. Open incidents still show through.
    maintenance_by_hand = models.BooleanField(default=False)
    showcase = models.BooleanField(default=True, help_text="Show the 90-day uptime bar.")
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True, help_text="Uptime starts on this day.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(base_status=ComponentStatus.UNDER_MAINTENANCE),
                name="component_base_status_not_maintenance",
                violation_error_message="Maintenance status comes from a maintenance window.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Lets page templates tell tree entries apart (see selectors.GroupNode).
    is_group = False


class ComponentStatusChange(CheckedModel):
    """Append-only log of every change of a component's public status."""

    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)
    actor = models.CharField(max_length=200, blank=True, default="")
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    maintenance = models.ForeignKey(
        "Maintenance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["component", "at"]), models.Index(fields=["at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(old_status=F("new_status")), name="status_change_changes_something"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.old_status} -> {self.new_status} at {self.at}"

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        if self.pk is not None:
            raise ValueError("Status changes are append-only.")
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )


class Incident(PublicIdModel):
    page = page_field("incidents")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    # The worst impact the affected components reached (it never drops by itself, so history
    # shows how bad it got); an operator's override wins.
    computed_impact = models.CharField(max_length=12, choices=Impact.choices, default=Impact.NONE)
    impact_override = models.CharField(max_length=12, choices=Impact.choices, null=True, blank=True)
    components = models.ManyToManyField(
        Component, through="IncidentComponent", related_name="incidents"
    )
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    backfilled = models.BooleanField(default=False)
    postmortem_draft = models.TextField(blank=True, default="")
    postmortem_body = models.TextField(blank=True, default="")
    postmortem_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status__in=OPEN_INCIDENT_STATUSES, resolved_at__isnull=True)
                    | (~Q(status__in=OPEN_INCIDENT_STATUSES) & Q(resolved_at__isnull=False))
                ),
                name="incident_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(impact_override=Impact.MAINTENANCE),
                name="incident_impact_not_maintenance",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def impact(self) -> str:
        return self.impact_override or self.computed_impact

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES


class IncidentComponent(CheckedModel):
    """A component an incident affects, and the status the incident imposes on it right now."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "component"], name="incident_component_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=ComponentStatus.UNDER_MAINTENANCE),
                name="incident_component_not_maintenance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} in incident {self.incident_id}"


class UpdateBase(PublicIdModel):
    # Each concrete update declares its own `status` field, with its own choices.
    status: str
    body = models.TextField(help_text="Markdown.")
    display_at = models.DateTimeField(default=timezone.now)
    deliver_notifications = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-display_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.display_at:%Y-%m-%d %H:%M}"


class AffectedComponent(TypedDict):
    """One entry of IncidentUpdate.affected_components (Statuspage's shape): `code` is the
    component's public id."""

    code: str
    name: str
    old_status: str
    new_status: str


class IncidentUpdate(UpdateBase):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    # Snapshot of what this update did: a list of AffectedComponent, or null.
    affected_components = models.JSONField(null=True, blank=True)

    class Meta(UpdateBase.Meta):
        indexes = [models.Index(fields=["incident", "display_at"])]


class Maintenance(PublicIdModel):
    page = page_field("maintenances")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField()
    scheduled_until = models.DateTimeField()
    components = models.ManyToManyField(Component, related_name="maintenances", blank=True)
    auto_start = models.BooleanField(default=True)
    auto_complete = models.BooleanField(default=True)
    remind_before_minutes = models.PositiveIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A cancelled window ends as "completed" in the public JSON (Statuspage has no cancelled
    # state); this field tells the two apart for our own pages and notifications.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_until__gt=F("scheduled_for")),
                name="maintenance_ends_after_start",
                violation_error_message="The window must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status=MaintenanceStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=MaintenanceStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="maintenance_completed_at_iff_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE_STATUSES

    @property
    def impact(self) -> str:
        return Impact.MAINTENANCE


class MaintenanceUpdate(UpdateBase):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=MaintenanceStatus.choices)
    # What the update said it did to components (AffectedComponent list), as a source page
    # recorded it: kept by the importer so imported history reads as it did there. Windows run
    # here leave it null; their component changes are in the status log.
    affected_components = models.JSONField(null=True, blank=True)


class IncidentTemplate(CheckedModel):
    """A prepared incident: its title and message are Jinja2 templates rendered in a sandbox
    (incidents/templating.py), e.g. "{{ components }} unavailable" -> "API, Web unavailable"."""

    page = page_field("incident_templates")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown, rendered as a sandboxed Jinja2 template.")
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.label) for s in OPEN_INCIDENT_STATUSES],
        default=IncidentStatus.INVESTIGATING,
    )
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    component_status = models.CharField(
        max_length=24,
        choices=[
            (value, label)
            for value, label in ComponentStatus.choices
            if value != ComponentStatus.UNDER_MAINTENANCE
        ],
        default=ComponentStatus.MAJOR_OUTAGE,
        help_text="The status the incident gives the template's components.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["page", "name"], name="incident_template_name_per_page")
        ]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """Who did what to which object, from where, with the state before and after."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200)
    via = models.CharField(max_length=16)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=32)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr}"


class PublicChange(models.Model):
    """What the public change that made one generation touched: the objects whose documents
    it changed. Written with the generation bump (services.common.public_changed), read by the
    publisher to render only the documents a change touches. `touched` is None when the write
    did not say (page settings, component layout): then every document is rendered.

    A bounded log (the newest PUBLIC_CHANGES_KEPT rows): a publisher further behind renders
    everything, which is always correct."""

    page = page_field("public_changes")
    generation = models.BigIntegerField()
    # {"incidents": [public ids], "maintenance": [...], "components": [...],
    #  "listings": bool (items may move between listing pages)}
    touched = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "generation"], name="public_change_generation_per_page"
            )
        ]

    def __str__(self) -> str:
        return f"generation {self.generation}"
