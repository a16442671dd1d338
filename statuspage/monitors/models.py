"""Monitors, the lease of each check slot, what each region concluded, and the raw results."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from incidents.models import PublicIdModel


class Kind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP connect"
    DNS = "dns", "DNS resolution"
    HEARTBEAT = "heartbeat", "Heartbeat (push)"


class RecordType(models.TextChoices):
    """The DNS record types a DNS monitor may ask for."""

    A = "A", "A"
    AAAA = "AAAA", "AAAA"
    CNAME = "CNAME", "CNAME"
    MX = "MX", "MX"
    NS = "NS", "NS"
    TXT = "TXT", "TXT"


class FailureStatus(models.TextChoices):
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"


class Verdict(models.TextChoices):
    """What a monitor (or one region of it) concludes after its rules: unknown until the
    first N failures or M successes."""

    UNKNOWN = "unknown", "Unknown"
    UP = "up", "Up"
    DEGRADED = "degraded", "Degraded"
    DOWN = "down", "Down"


class Monitor(PublicIdModel):
    """One check, tied to one component, with the rules that turn its results into that
    component's status."""

    name = models.CharField(max_length=100)
    component = models.ForeignKey(
        "incidents.Component", on_delete=models.CASCADE, related_name="monitors"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    # http: the URL; tcp and dns: the host (and, for tcp, the port).
    url = models.CharField(max_length=2000, blank=True, default="")
    host = models.CharField(max_length=253, blank=True, default="")
    port = models.PositiveIntegerField(null=True, blank=True)
    # dns: the resolver asked ("host" or "host:port"; blank: the system resolver) and the
    # record type; `keyword`, when set, is a value the answer must hold.
    dns_resolver = models.CharField(max_length=260, blank=True, default="")
    dns_record_type = models.CharField(
        max_length=8, choices=RecordType.choices, default=RecordType.A
    )
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.PositiveIntegerField(default=10)
    # HTTP options.
    method = models.CharField(max_length=8, default="GET")
    headers = models.JSONField(default=dict, blank=True)
    # Empty: any 2xx or 3xx answer is up.
    expected_statuses = models.JSONField(default=list, blank=True)
    # http: text the answer must contain; dns: a value one record must hold.
    keyword = models.CharField(max_length=200, blank=True, default="")
    # A dotted path into a JSON answer ("data.status", "items.0.ok") and the value expected
    # there, compared as text ("true", "ok", "3").
    json_path = models.CharField(max_length=200, blank=True, default="")
    json_expected = models.CharField(max_length=200, blank=True, default="")
    # An answer slower than this is "degraded" rather than "up" (null: no threshold).
    latency_threshold_ms = models.PositiveIntegerField(null=True, blank=True)
    # A certificate expiring within this many days makes the check "degraded" (null: off).
    tls_expiry_warning_days = models.PositiveIntegerField(null=True, blank=True)
    # Heartbeat: the secret in the ping URL (shown to operators), its SHA-256 (looked up),
    # how late a ping may be, and the last one.
    heartbeat_token = models.CharField(max_length=64, blank=True, default="")
    heartbeat_token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    grace_seconds = models.PositiveIntegerField(default=60)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    # Rules: after N consecutive failures set `failure_status`; after M successes, operational.
    failures_before_down = models.PositiveIntegerField(default=2)
    successes_before_up = models.PositiveIntegerField(default=2)
    failure_status = models.CharField(
        max_length=32, choices=FailureStatus.choices, default=FailureStatus.MAJOR_OUTAGE
    )
    open_incident = models.BooleanField(default=False)
    incident_template = models.ForeignKey(
        "incidents.IncidentTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The regions that check it (empty: MONITOR_REGION alone) and how many must agree before
    # the status changes.
    regions = models.JSONField(default=list, blank=True)
    regions_required = models.PositiveIntegerField(default=1)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.UNKNOWN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["component_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_seconds__gte=20) & Q(interval_seconds__lte=86400),
                name="monitor_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1) & Q(timeout_seconds__lte=60),
                name="monitor_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(failures_before_down__gte=1) & Q(successes_before_up__gte=1),
                name="monitor_thresholds_positive",
            ),
            models.CheckConstraint(
                condition=Q(regions_required__gte=1), name="monitor_regions_required_positive"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="monitor_kind_valid"),
            models.CheckConstraint(
                condition=Q(dns_record_type__in=RecordType.values),
                name="monitor_dns_record_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.HEARTBEAT) | ~Q(heartbeat_token_hash=""),
                name="monitor_heartbeat_has_token",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def region_names(self, default: str) -> list[str]:
        return list(self.regions) or [default]


class MonitorRun(models.Model):
    """The lease of one check slot in one region: whoever inserts the row (or takes over one
    whose lease ran out, its worker dead) runs the check; `done` once its result is kept."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="runs")
    region = models.CharField(max_length=40)
    slot = models.BigIntegerField()
    done = models.BooleanField(default=False)
    lease_until = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    claimed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "region", "slot"], name="monitor_run_one_per_slot"
            )
        ]
        indexes = [models.Index(fields=["done", "lease_until"], name="monitor_run_pending")]

    def __str__(self) -> str:
        return f"{self.monitor_id}/{self.region}/{self.slot}"


class MonitorRegionState(models.Model):
    """One region's running count of a monitor's results, and its verdict from the rules."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="region_states")
    region = models.CharField(max_length=40)
    failures = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.UNKNOWN)
    last_slot = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "region"], name="monitor_region_state_once"),
            models.CheckConstraint(
                condition=Q(last_slot__gte=0), name="monitor_region_state_slot_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}/{self.region}: {self.verdict}"


class MonitorResult(models.Model):
    """One check's raw result (kept for the rollups and charts, which come later)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    region = models.CharField(max_length=40)
    slot = models.BigIntegerField()
    ok = models.BooleanField()
    # Answered within the rules but slow, or with a certificate about to expire.
    degraded = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True, default="")
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "region", "slot"], name="monitor_result_one_per_slot"
            ),
            models.CheckConstraint(
                condition=Q(ok=True) | Q(degraded=False), name="monitor_result_degraded_is_ok"
            ),
        ]
        indexes = [models.Index(fields=["monitor", "-checked_at"], name="monitor_result_recent")]

    def __str__(self) -> str:
        return f"{self.monitor_id}/{self.region}/{self.slot}: {'ok' if self.ok else 'failed'}"


class Metric(PublicIdModel):
    """A custom metric fed through Statuspage's metrics API (`POST .../metrics/{id}/data`),
    shown as a chart under its component. Statuspage keeps metrics per page; here a metric
    belongs to a component, and so to that component's page."""

    component = models.ForeignKey(
        "incidents.Component", on_delete=models.CASCADE, related_name="metrics"
    )
    name = models.CharField(max_length=100)
    # The provider's own name for the series (kept for Statuspage clients; "Self" metrics
    # are fed by push, so nothing looks it up).
    metric_identifier = models.CharField(max_length=200, blank=True, default="")
    suffix = models.CharField(max_length=20, blank=True, default="")
    tooltip_description = models.CharField(max_length=300, blank=True, default="")
    display = models.BooleanField(default=True)
    decimal_places = models.PositiveSmallIntegerField(default=0)
    y_axis_min = models.FloatField(null=True, blank=True)
    y_axis_max = models.FloatField(null=True, blank=True)
    y_axis_hidden = models.BooleanField(default=False)
    most_recent_data_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["component_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decimal_places__lte=4), name="metric_decimal_places_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MetricPoint(models.Model):
    """One raw value pushed for a metric (kept as long as raw check results)."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="points")
    at = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["at"], name="metric_point_at")]
        constraints = [
            models.UniqueConstraint(fields=["metric", "at"], name="metric_point_one_per_instant")
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}@{self.at}: {self.value}"


class Resolution(models.IntegerChoices):
    """A rollup's bucket width, in seconds."""

    MINUTE = 60, "minute"
    HOUR = 3600, "hour"
    DAY = 86400, "day"


class Rollup(models.Model):
    """Count, sum, minimum and maximum of one series over one bucket (a minute, an hour or a
    UTC day). A series is a monitor's response time or a custom metric's values: exactly one
    of the two is set. Charts read these, never the raw rows, so a month's chart reads at
    most a few hundred rows whatever the check interval."""

    monitor = models.ForeignKey(
        Monitor, on_delete=models.CASCADE, null=True, blank=True, related_name="rollups"
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, null=True, blank=True, related_name="rollups"
    )
    resolution = models.PositiveIntegerField(choices=Resolution.choices)
    start = models.DateTimeField()
    # The values counted (a monitor's: its answered checks' response times).
    count = models.PositiveIntegerField(default=0)
    # A monitor's checks that failed in the bucket (no response time to count).
    failed = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    # Null while the bucket holds only failed checks.
    minimum = models.FloatField(null=True)
    maximum = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(monitor__isnull=False) & Q(metric__isnull=True))
                | (Q(monitor__isnull=True) & Q(metric__isnull=False)),
                name="rollup_one_series",
            ),
            models.CheckConstraint(
                condition=Q(resolution__in=Resolution.values), name="rollup_resolution_valid"
            ),
            models.UniqueConstraint(
                fields=["monitor", "resolution", "start"],
                condition=Q(monitor__isnull=False),
                name="rollup_monitor_bucket_once",
            ),
            models.UniqueConstraint(
                fields=["metric", "resolution", "start"],
                condition=Q(metric__isnull=False),
                name="rollup_metric_bucket_once",
            ),
        ]
        indexes = [models.Index(fields=["resolution", "start"], name="rollup_age")]

    def __str__(self) -> str:
        series = f"monitor {self.monitor_id}" if self.monitor_id else f"metric {self.metric_id}"
        return f"{series} {self.resolution}s@{self.start}"

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0
