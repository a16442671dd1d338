"""Operators can see when delivery is stalled (the most common "no mail sent" cause)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import Channel, Delivery, Event
from notifications.selectors import outbox_health


def test_fresh_pending_rows_are_not_a_stall(make_subscriber, settings):
    settings.REDIS_URL = None
    sub = make_subscriber()
    Delivery.objects.create(event=Event.objects.create(kind="x"), subscriber=sub, channel="email")
    health = outbox_health()
    assert health.counts["pending"] == 1 and not health.stalled


def test_old_due_rows_make_the_status_command_fail(make_subscriber, settings, capsys):
    settings.REDIS_URL = None
    sub = make_subscriber(channel=Channel.EMAIL)
    Delivery.objects.create(
        event=Event.objects.create(kind="x"),
        subscriber=sub,
        channel="email",
        next_attempt_at=timezone.now() - timedelta(minutes=10),
    )
    with pytest.raises(CommandError, match="stalled"):
        call_command("notifications_status")
    assert "pending 1" in capsys.readouterr().out
