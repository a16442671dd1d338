"""Pages and the host names they answer on."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.base import ModelBase
from django.db.models.functions import Lower
from django.utils import timezone

from incidents import branding, languages
from incidents.models.base import (
    CheckedModel,
    PublicIdModel,
    new_public_id,
    validate_time_zone,
)
from incidents.origin import fallback_url


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


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private (sign-in required)"
    AUDIENCE = "audience", "Audience-specific"


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
    # Who may read the page: everyone, signed-in readers only, or readers by audience.
    # Stored and returned by the management API; not enforced yet (docs/pages.md).
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
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
