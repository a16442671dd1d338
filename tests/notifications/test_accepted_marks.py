"""Each accepted message is recorded before the next send (notifications/services/marks.py):
a worker that dies mid-batch re-sends at most the message it had in flight, not the up to
SENT_FLUSH successes its next flush would have written. The worker's death is played in this
process: the batch stops at one message and nothing after that point runs (no flush, no
hand-back), as after a SIGKILL. tests/faults/test_workers.py kills real workers."""

from __future__ import annotations

import shutil
import socket
from collections import Counter
from datetime import timedelta

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, Event
from notifications.services import delivery, marks, outbox_relay
from notifications.services.delivery import SENT_FLUSH, batch, sending
from notifications.services.outbox import LEASE_EXPIRED_ERROR, deliveries_reclaim_expired
from tests.faults.support import PrivateRedis

SUBSCRIBERS = 30
ACCEPTED = 12  # the worker dies building message 13


class _Killed(BaseException):
    """The worker's death: not an Exception, so no handler of the send path takes it."""


def _publish(operator, component, make_subscriber) -> Event:
    for n in range(SUBSCRIBERS):
        make_subscriber(address=f"s{n:02d}@example.test")
    # Tests never commit, so no job runs: the rows wait, pending.
    services.incident_create(
        name="API errors",
        body="Errors on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    return Event.objects.get()


def _killed_after(monkeypatch, accepted: int, event: Event) -> None:
    """Run one batch of the event that dies after `accepted` messages went out: while building
    message `accepted + 2` (a batch builds each message before sending the one ahead of it,
    whose envelope may already be on its way: its content is not)."""
    real_build = sending.build_message
    built = []

    def build(row, subscriber, view):
        if len(built) == accepted + 1:
            raise _Killed
        built.append(row.pk)
        return real_build(row, subscriber, view)

    with monkeypatch.context() as patch:
        patch.setattr(sending, "build_message", build)
        # A killed process runs no `finally`: no last flush, no hand-back.
        patch.setattr(batch.Batch, "finish", lambda self: None)
        with pytest.raises(_Killed):
            delivery.batch_deliver(event_id=event.id)


@pytest.fixture
def marks_redis(settings, tmp_path, monkeypatch):
    """The marks' Redis: the queues' one when REDIS_URL is set; on the embedded default (jobs
    in-process) a redis-server of the test's own holds the marks alone, so the marks' code
    is proved against a real Redis on both CI runs."""
    if settings.REDIS_URL:
        url = settings.REDIS_URL
        yield url
        for event_id in Event.objects.values_list("id", flat=True):
            marks._client(url).delete(marks.marks_key(event_id))
        return
    if shutil.which("redis-server") is None:
        pytest.skip("needs REDIS_URL or the redis-server binary (apt-get install redis-server)")
    server = PrivateRedis(tmp_path).start()
    monkeypatch.setattr(marks, "store_url", lambda: server.url)
    try:
        yield server.url
    finally:
        server.stop()


def _received(smtp_sink) -> Counter:
    return Counter(str(m["To"]) for m in smtp_sink.messages)


def test_a_worker_killed_mid_batch_resends_none_of_the_messages_it_had_sent(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings, run_jobs, marks_redis
):
    assert ACCEPTED < SENT_FLUSH < settings.NOTIFY_BATCH_SIZE
    event = _publish(operator, api, make_subscriber)
    _killed_after(monkeypatch, ACCEPTED, event)
    rows = Delivery.objects.filter(event=event)
    assert len(smtp_sink.messages) == ACCEPTED
    # The database heard nothing yet (its flush comes every SENT_FLUSH tries): only the marks
    # know these went out.
    assert set(rows.values_list("state", flat=True)) == {DeliveryState.SENDING}
    sent_first = {str(m["To"]): str(m["Message-ID"]) for m in smtp_sink.messages}

    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1))
    result = run_jobs(outbox_relay)

    assert result["reclaimed"] == SUBSCRIBERS - ACCEPTED
    # Every subscriber got the message once: the relay recorded the marked ones as sent and
    # gave only the others to the next batch.
    assert _received(smtp_sink) == {f"s{n:02d}@example.test": 1 for n in range(SUBSCRIBERS)}
    assert set(rows.values_list("state", flat=True)) == {DeliveryState.SENT}
    for row in rows.select_related("subscriber"):
        lines = [
            (line.number, line.outcome, line.code, line.message)
            for line in DeliveryAttempt.objects.filter(delivery=row).order_by("number", "id")
        ]
        if row.subscriber.address in sent_first:
            # The line the dead worker's flush would have written, and its provider id.
            assert (row.attempts, lines) == (1, [(1, AttemptOutcome.SENT, "SMTP 250", "")])
            assert row.provider_id == sent_first[row.subscriber.address]
        else:
            assert (row.attempts, lines) == (
                2,
                [(1, "retry", "", LEASE_EXPIRED_ERROR), (2, AttemptOutcome.SENT, "SMTP 250", "")],
            )
    # Recorded rows leave no marks behind.
    assert not marks._client(marks_redis).exists(marks.marks_key(event.id))


def test_a_mark_made_under_an_earlier_claim_does_not_count(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings, run_jobs, marks_redis
):
    """A mark stands for the claim it was made under: once the row was taken back and claimed
    again, an old mark must not turn the new claim's row `sent` without a send."""
    event = _publish(operator, api, make_subscriber)
    _killed_after(monkeypatch, ACCEPTED, event)
    rows = Delivery.objects.filter(event=event)
    marked = list(rows.order_by("id").values_list("id", "event_id", "lease_expires_at"))
    assert len(marks.accepted_under(marked)) == ACCEPTED
    # The same rows under another lease (a later claim): none of the marks applies.
    later = [(pk, event_id, lease + timedelta(seconds=1)) for pk, event_id, lease in marked]
    assert marks.accepted_under(later) == {}


def test_without_the_marks_each_success_is_recorded_at_once_and_the_relay_waits(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings, caplog
):
    """Redis down: a batch records each success in the database at once (the bound holds, at
    the database's cost), and the relay takes back no expired lease until it can read the
    marks."""
    reachable = settings.REDIS_URL
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
    event = _publish(operator, api, make_subscriber)
    _killed_after(monkeypatch, ACCEPTED, event)
    rows = Delivery.objects.filter(event=event)
    states = Counter(rows.values_list("state", flat=True))
    assert states == {DeliveryState.SENT: ACCEPTED, DeliveryState.SENDING: SUBSCRIBERS - ACCEPTED}
    assert "recording each send at once" in caplog.text
    assert DeliveryAttempt.objects.filter(outcome=AttemptOutcome.SENT).count() == ACCEPTED

    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1))
    assert deliveries_reclaim_expired() == 0
    assert "expired leases kept for now" in caplog.text
    assert Counter(rows.values_list("state", flat=True)) == states

    # Redis back (or, on the embedded default, none to ask): the rest goes out once.
    settings.REDIS_URL = reachable
    assert deliveries_reclaim_expired() == SUBSCRIBERS - ACCEPTED
    assert delivery.batch_deliver(event_id=event.id)["sent"] == SUBSCRIBERS - ACCEPTED
    assert _received(smtp_sink) == {f"s{n:02d}@example.test": 1 for n in range(SUBSCRIBERS)}


def test_a_mark_redis_refuses_sends_the_message_to_the_database_before_the_next_send(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings, caplog, marks_redis
):
    """The mark's answer is read just before the next send: an error there (here Redis
    answers WRONGTYPE, the key holding a string) writes the success to the database first."""
    event = _publish(operator, api, make_subscriber)
    marks._client(marks_redis).set(marks.marks_key(event.id), "not a hash")
    _killed_after(monkeypatch, ACCEPTED, event)
    rows = Delivery.objects.filter(event=event)
    assert "WRONGTYPE" in caplog.text
    assert Counter(rows.values_list("state", flat=True)) == {
        DeliveryState.SENT: ACCEPTED,
        DeliveryState.SENDING: SUBSCRIBERS - ACCEPTED,
    }
    # The relay cannot read that event's marks (not a hash): its rows go back to the queue as
    # before the marks, rather than waiting for a key nobody will fix.
    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1))
    assert deliveries_reclaim_expired() == SUBSCRIBERS - ACCEPTED
    assert "accepted marks of event" in caplog.text


@pytest.mark.parametrize(
    "commands",
    [
        [("HSET", "statuspage:notify:accepted:5", 123, '[1, "<a@b>", "SMTP 250", "ok é"]')],
        [("HSET", "k", 1, "v"), ("EXPIRE", "k", 86400)],
        [("HDEL", "k", "1", "22", "333")],
    ],
)
def test_marks_are_written_in_redis_protocol_as_redis_py_writes_them(commands):
    from redis.connection import Connection

    assert marks._packed(commands) == b"".join(Connection().pack_commands(commands))  # noqa: SLF001
