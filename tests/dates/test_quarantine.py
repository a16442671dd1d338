"""The quarantine rule (10 failures within any hour) counts real seconds, not wall-clock
minutes, across a clock change."""

from __future__ import annotations

from datetime import UTC, timedelta

from notifications.models import SubscriberState
from notifications.services.delivery import endpoint_failure_record


def _fail(subscriber, first, spacing: timedelta, times: int) -> bool:
    quarantined = False
    for n in range(times):
        at = first + spacing * n
        quarantined = endpoint_failure_record(subscriber_id=subscriber.id, message="500", at=at)
    return quarantined


def test_ten_failures_within_a_real_hour_across_the_change_quarantine(dst_edge, make_subscriber):
    subscriber = make_subscriber(channel="webhook", address="https://hooks.example.test/x")
    # From 01:30 local, every 6.5 real minutes: 58.5 minutes, through the change.
    first = dst_edge.local(dst_edge.long_day[0], 1, 30).astimezone(UTC)
    assert _fail(subscriber, first, timedelta(minutes=6, seconds=30), 10)
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.QUARANTINED


def test_ten_failures_over_more_than_a_real_hour_do_not(dst_edge, make_subscriber):
    subscriber = make_subscriber(channel="webhook", address="https://hooks.example.test/x")
    first = dst_edge.local(dst_edge.long_day[0], 1, 30).astimezone(UTC)
    assert not _fail(subscriber, first, timedelta(minutes=6, seconds=40), 10)  # 60 minutes
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.ACTIVE
