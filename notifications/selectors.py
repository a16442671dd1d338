"""Reads for operators: is the outbox moving? ("no mail sent" is usually a stopped worker.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from incidents.services import PageRef, page_id_of
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Subscriber,
    SubscriberState,
)


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


def outbox_health(*, page: PageRef | None = None) -> OutboxHealth:
    """The outbox's counts by state and oldest due row: of one page's subscribers when `page`
    is given, else of the whole install. The worker count is always the install's."""
    now = timezone.now()
    counts = dict.fromkeys(DeliveryState.values, 0)
    rows = Delivery.objects.all()
    if page is not None:
        rows = rows.filter(subscriber__page_id=page_id_of(page))
    counts.update(
        rows.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    oldest = rows.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now).aggregate(
        at=Min("next_attempt_at")
    )["at"]
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


def delivery_metrics() -> Iterator[GaugeMetricFamily]:
    """Prometheus families for statuspage/metrics.py: deliveries by state and channel, and the
    age of the oldest due pending delivery (the number to alert on)."""
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


def subscriber_search(
    *,
    q: str | None = None,
    channel: str | None = None,
    state: str | None = None,
    page: PageRef | None = None,
) -> QuerySet[Subscriber]:
    """A page's subscribers (None: the default page), newest first; `q` matches address,
    contact email or public id."""
    rows = Subscriber.objects.filter(page_id=page_id_of(page))
    if q:
        q = q.strip()
        rows = rows.filter(Q(address__icontains=q) | Q(contact_email__icontains=q) | Q(public_id=q))
    if channel:
        rows = rows.filter(channel=channel)
    if state:
        rows = rows.filter(state=state)
    return rows.prefetch_related("components").order_by("-created_at", "-id")


def subscriber_counts(page: PageRef | None = None) -> dict[str, dict[str, int]]:
    """{channel: {state: n}} of a page's subscribers (None: the default page), with every
    channel and state present (zeros included)."""
    counts = {c: dict.fromkeys(SubscriberState.values, 0) for c in Channel.values}
    for channel, state, n in (
        Subscriber.objects.filter(page_id=page_id_of(page))
        .order_by()
        .values_list("channel", "state")
        .annotate(n=Count("id"))
        .values_list("channel", "state", "n")
    ):
        counts[channel][state] = n
    return counts


def reach_by_channel(
    *,
    kind: str,
    component_ids: list[int],
    incident_id: int | None = None,
    page: int | None = None,
) -> dict[str, int]:
    """How many active subscribers per channel an event of `kind` about these components would
    reach: the outbox's own matching rules (`matching_subscribers`), counted not inserted.
    `page` None: the page of the incident, else of the components, else the default page."""
    from notifications.services.outbox import matching_subscribers

    counts = dict.fromkeys(Channel.values, 0)
    matching = matching_subscribers(
        kind=kind, component_ids=component_ids, incident_id=incident_id, page=page
    )
    for channel, n in (
        matching.order_by()
        .values_list("channel")
        .annotate(n=Count("id", distinct=True))
        .values_list("channel", "n")
    ):
        counts[channel] = n
    return counts


def delivery_search(
    *,
    state: str | None = None,
    channel: str | None = None,
    event_id: int | None = None,
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: PageRef | None = None,
) -> QuerySet[Delivery]:
    """A page's outbox rows (its subscribers'; None: the default page) for the delivery log,
    newest first; `q` matches the subscriber's address or public id."""
    rows = Delivery.objects.select_related("subscriber", "event").filter(
        subscriber__page_id=page_id_of(page)
    )
    if state:
        rows = rows.filter(state=state)
    if channel:
        rows = rows.filter(channel=channel)
    if event_id:
        rows = rows.filter(event_id=event_id)
    if q:
        q = q.strip()
        rows = rows.filter(Q(subscriber__address__icontains=q) | Q(subscriber__public_id=q))
    if since:
        rows = rows.filter(created_at__gte=since)
    if until:
        rows = rows.filter(created_at__lt=until)
    return rows.order_by("-created_at", "-id")


# The delivery page lists at most this many tries (a row replayed many times has more).
ATTEMPTS_SHOWN = 100


def delivery_attempt_log(*, delivery_id: int, limit: int = ATTEMPTS_SHOWN) -> list[DeliveryAttempt]:
    """A delivery's tries still within their retention, newest first."""
    rows = DeliveryAttempt.objects.filter(delivery_id=delivery_id).order_by("-at", "-id")
    return list(rows[:limit])
