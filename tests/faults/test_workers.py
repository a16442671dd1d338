"""Workers die mid-fan-out: SIGKILL (OOM, a host gone) and SIGTERM (a rolling deploy).
Real `manage.py rqworker` processes, a private Redis, the SMTP sink on loopback."""

from __future__ import annotations

import os
import random
import signal
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Delivery, DeliveryState, Event, Subscriber
from notifications.services import outbox_relay
from notifications.services.delivery import SENT_FLUSH
from statuspage.processes import descendants
from tests.faults.support import (
    SmtpSink,
    database_url,
    kill_tree,
    killed_on_exit,
    start_worker,
    subprocess_env,
    wait_until,
)

# Worker processes stamp leases with the machine's clock, which the test compares with its own.
pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock,
]

LEASE_SECONDS = 10  # the shortest lease settings allow
# 5,000 real SMTP sends take about 20 s on a quiet 2-core machine, three times that under load.
TIME_BOUND_SECONDS = 150


def _worker_env(redis_url: str, sink: SmtpSink, batch_size: int) -> dict:
    return subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=redis_url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=sink.port,
        NOTIFY_BATCH_SIZE=batch_size,
        NOTIFY_LEASE_SECONDS=LEASE_SECONDS,
    )


def _incident(operator, component):
    return services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        notify=False,
        actor=operator,
    )


def _expected_message_ids(event: Event) -> set[str]:
    return {
        f"<delivery-{event.id}-{public_id}@localhost>"
        for public_id in Subscriber.objects.values_list("public_id", flat=True)
    }


def _states(rows) -> Counter:
    return Counter(rows.values_list("state", flat=True))


def _relay_when_stuck(rows) -> bool:
    """Done when every row is sent. Meanwhile, once nothing can move without it (no job
    queued, no live lease), run the relay the cron would run every 30 s. Rows can be left
    `pending` with no job: a worker killed between taking a job and claiming its rows."""
    import django_rq

    now = timezone.now()
    if set(_states(rows)) == {DeliveryState.SENT}:
        return True
    live = rows.filter(state=DeliveryState.SENDING, lease_expires_at__gte=now).exists()
    if not live and not django_rq.get_queue("notifications").count:
        outbox_relay()
    return False


def _log_tail(path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


def _exposed(rows, event: Event, sink: SmtpSink) -> dict[str, object]:
    """Rows whose message reached the sink while the row is still `sending`: sent, not yet
    recorded. Only these can be sent again once their lease expires. Maps the subscriber's
    public id to the row's lease, which is the same for every row of one claimed batch."""
    received = sink.seen()
    return {
        public_id: lease
        for public_id, lease in rows.filter(state=DeliveryState.SENDING).values_list(
            "subscriber__public_id", "lease_expires_at"
        )
        if f"<delivery-{event.id}-{public_id}@localhost>" in received
    }


def test_workers_killed_during_a_5k_fanout_lose_nothing_and_resend_only_unrecorded_sends(
    email_subscribers, private_redis, sink, operator, api, settings, tmp_path
):
    # Batches well above the flush size: were successes recorded only at the end of a batch
    # (or only by the flush), a kill late in one would re-send many of its messages.
    batch = 5 * SENT_FLUSH
    settings.NOTIFY_BATCH_SIZE = batch
    settings.NOTIFY_LEASE_SECONDS = LEASE_SECONDS
    total = email_subscribers(5000)
    env = _worker_env(private_redis.url, sink, batch)
    log = tmp_path / "workers.log"
    incident = _incident(operator, api)
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    # Three kills at random points of the fan-out, at least 600 messages apart.
    points = [rng.randrange(300, 1200)]
    for _ in range(2):
        points.append(points[-1] + rng.randrange(600, 1500))
    exposed = []
    with killed_on_exit([]) as workers:
        workers += [start_worker(env, log) for _ in range(2)]
        services.incident_update_post(
            incident=incident, status="identified", body="Found it.", actor=operator
        )
        event = Event.objects.get()
        rows = Delivery.objects.filter(event=event)
        assert rows.count() == total
        for point in points:
            wait_until(lambda p=point: sink.unique() >= p, timeout=40, what=f"{point} messages")
            kill_tree(workers.pop(0), signal.SIGKILL)
            exposed.append(_exposed(rows, event, sink))
            workers.append(start_worker(env, log))
        wait_until(
            lambda: _relay_when_stuck(rows),
            timeout=100,
            interval=0.25,
            what=f"every delivery sent (seed {seed}; log: {_log_tail(log)})",
        )
    assert rows.count() == total
    assert not rows.filter(sent_at__isnull=True).exists()
    # Nothing lost: every subscriber's message reached the sink.
    assert set(sink.ids) == _expected_message_ids(event)

    context = (seed, points, [len(e) for e in exposed])
    assert len(exposed) == 3 and any(exposed), context
    prefix = f"<delivery-{event.id}-"
    resent = {mid.removeprefix(prefix).split("@")[0] for mid, n in sink.ids.items() if n > 1}
    # Re-sent only messages that had gone out unrecorded in the database when a worker died
    # ...
    assert resent <= set().union(*exposed), context
    # ... and of those at most the one in flight per batch a killed worker held: the others
    # were marked accepted in Redis, and the relay recorded them as sent. (Before the marks,
    # up to SENT_FLUSH per batch: successes reach the database every SENT_FLUSH messages.)
    per_batch: dict[object, set[str]] = {}
    for kill in exposed:
        for public_id, lease in kill.items():
            if public_id in resent:
                per_batch.setdefault(lease, set()).add(public_id)
    largest = max(map(len, per_batch.values()), default=0)
    assert largest <= 1, (context, {str(k): len(v) for k, v in per_batch.items()})
    assert sink.duplicates() <= len(points), context


def test_a_worker_killed_mid_batch_resends_none_of_the_messages_the_server_accepted(
    email_subscribers, private_redis, operator, api, settings, tmp_path
):
    """Successes reach the database every SENT_FLUSH messages; in between, each accepted one
    is marked in Redis before the next send, and the relay records the marked rows of a dead
    worker as sent. The sink holds message 151 unanswered while the worker is killed: 150
    accepted, 100 of them in the database, none may be sent again."""
    batch, accepted = 3 * SENT_FLUSH, SENT_FLUSH + SENT_FLUSH // 2
    settings.NOTIFY_BATCH_SIZE = batch
    settings.NOTIFY_LEASE_SECONDS = LEASE_SECONDS
    total = email_subscribers(batch)
    held = SmtpSink(hold_after=accepted).start()
    env = _worker_env(private_redis.url, held, batch)
    log = tmp_path / "workers.log"
    incident = _incident(operator, api)
    try:
        with killed_on_exit([]) as workers:
            workers.append(start_worker(env, log))
            services.incident_update_post(
                incident=incident, status="identified", body="Found it.", actor=operator
            )
            event = Event.objects.get()
            rows = Delivery.objects.filter(event=event)
            wait_until(lambda: held.held, timeout=60, what=f"message {accepted + 1} in flight")
            kill_tree(workers.pop(0), signal.SIGKILL)
            assert held.received() == accepted
            # What the database knew when the worker died: one flush.
            assert _states(rows)[DeliveryState.SENT] == SENT_FLUSH
            held.release()
            workers.append(start_worker(env, log))
            wait_until(
                lambda: _relay_when_stuck(rows),
                timeout=90,
                interval=0.25,
                what=f"every delivery sent (log: {_log_tail(log)})",
            )
        assert _states(rows) == {DeliveryState.SENT: total}
        assert set(held.ids) == _expected_message_ids(event)
        assert held.duplicates() == 0
        # Sent on the first claim, recorded by the flush or by the relay: one try each.
        assert rows.filter(attempts=1).count() == accepted
    finally:
        held.stop()


@pytest.mark.parametrize("target", ["main process", "every process"])
def test_sigterm_mid_batch_leaves_nothing_leased_and_a_new_worker_sends_the_rest(
    target, email_subscribers, private_redis, operator, api, settings, tmp_path
):
    """`docker stop` and Kubernetes signal the main process: RQ's warm shutdown lets the
    job in hand (one batch) finish, then exits. Platforms that signal every process also
    reach the work horse, which then stops after the message in hand and releases the rest."""
    batch = 20
    settings.NOTIFY_BATCH_SIZE = batch
    settings.NOTIFY_LEASE_SECONDS = LEASE_SECONDS
    total = email_subscribers(60)
    slow = SmtpSink(delay=0.05).start()
    env = _worker_env(private_redis.url, slow, batch)
    log = tmp_path / "workers.log"
    incident = _incident(operator, api)
    try:
        with killed_on_exit([]) as workers:
            first = start_worker(env, log)
            workers.append(first)
            services.incident_update_post(
                incident=incident, status="identified", body="Found it.", actor=operator
            )
            event = Event.objects.get()
            rows = Delivery.objects.filter(event=event)
            wait_until(lambda: slow.unique() >= batch // 3, timeout=30, what="the first sends")
            claimed = list(rows.filter(state=DeliveryState.SENDING).values_list("id", flat=True))
            assert 0 < len(claimed) <= batch
            pids = [first.pid]
            if target == "every process":
                pids += descendants(first.pid)
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
            assert first.wait(timeout=30) == 0, _log_tail(log)
            # Nothing is left under a lease: no wait for it to expire, no blind re-send.
            assert not rows.filter(state=DeliveryState.SENDING).exists()
            stopped = _states(rows)
            if target == "main process":
                # The batch in hand was finished whole.
                assert rows.filter(id__in=claimed, state=DeliveryState.SENT).count() == len(claimed)
            else:
                released = rows.filter(id__in=claimed, state=DeliveryState.PENDING)
                assert released.exists(), "the horse stopped early and released the rest"
                assert set(released.values_list("attempts", flat=True)) == {0}
            assert stopped[DeliveryState.SENT] < total

            outbox_relay()
            second = start_worker(env, log, burst=True)
            workers.append(second)
            assert second.wait(timeout=40) == 0, _log_tail(log)
        assert _states(rows) == {DeliveryState.SENT: total}, _log_tail(log)
        assert set(slow.ids) == _expected_message_ids(event)
        # Every row was recorded before its worker went away: exactly once.
        assert slow.duplicates() == 0
    finally:
        slow.stop()
