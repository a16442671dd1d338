"""Reads for operators: is the outbox moving? ("no mail sent" is usually a stopped worker.)"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from notifications.models import Delivery, DeliveryState


@dataclass(frozen=True)
class OutboxHealth:
    counts: dict[str, int]
    oldest_due_seconds: float | None  # age of the oldest pending row that is due now
    workers: int | None  # RQ workers listening on "notifications"; None without Redis

    @property
    def stalled(self) -> bool:
        """Due rows waiting longer than two relay periods, or nobody to send them."""
        due = self.oldest_due_seconds
        return (due is not None and due > 120) or (self.workers == 0 and due is not None)


def outbox_health() -> OutboxHealth:
    now = timezone.now()
    counts = dict.fromkeys(DeliveryState.values, 0)
    counts.update(
        Delivery.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    oldest = Delivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).aggregate(at=Min("next_attempt_at"))["at"]
    return OutboxHealth(
        counts=counts,
        oldest_due_seconds=(now - oldest).total_seconds() if oldest else None,
        workers=_worker_count(),
    )


def _worker_count() -> int | None:
    if not settings.REDIS_URL:
        return None
    import django_rq
    from redis.exceptions import RedisError
    from rq import Worker

    queue = django_rq.get_queue("notifications")
    try:
        return Worker.count(queue=queue)
    except RedisError:
        return 0


def delivery_metrics():
    """Prometheus families for statuspage/metrics.py: deliveries by state and channel, and the
    age of the oldest due pending delivery (the number to alert on)."""
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily(
        "statuspage_deliveries", "Deliveries by state and channel.", labels=["state", "channel"]
    )
    for state, channel, n in (
        Delivery.objects.values_list("state", "subscriber__channel")
        .annotate(n=Count("id"))
        .values_list("state", "subscriber__channel", "n")
    ):
        family.add_metric([state, channel], n)
    yield family
    oldest = Delivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
    ).aggregate(at=Min("next_attempt_at"))["at"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    yield GaugeMetricFamily(
        "statuspage_oldest_pending_delivery_seconds",
        "Age of the oldest pending delivery that is due.",
        value=age,
    )
