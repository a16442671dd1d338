"""Accepted marks: each message a provider accepted, noted in Redis the moment it answered.

A batch job writes its successes to the database every SENT_FLUSH tries (one statement per
flush: a statement per message costs about a fifth of the fan-out's throughput). Between two
flushes the only record that a message went out is this mark, one Redis round trip
per message: the delivery id in a hash per event, with the claim's lease and the attempt-log
line (an HSET; the first after each flush also renews the key's TTL). A flush deletes the
marks it wrote to the database.

When a worker dies between flushes its rows stay `sending` until their lease expires, and the
relay takes them back (`outbox.deliveries_reclaim_expired`): a row with a mark made under the
very lease it is being taken back from was accepted, so it becomes `sent` with its log line
instead of going back to the queue. A worker killed mid-batch re-sends at most the message it
had in flight (sent, not yet marked).

If Redis cannot take a mark the batch writes to the database at once, for that message and
every later one of the batch: the bound holds, at the database's cost per message. If the relay
cannot read the marks it leaves expired rows `sending` until it can (the queue lives in the
same Redis, so nothing could be sent meanwhile anyway). A mark lost with Redis's memory (a
restart without persistence between a send and the next flush) lets the relay re-queue its
row: the bound for those rows is SENT_FLUSH again, as it is on the embedded default (no Redis,
where the batch runs inside the request that posted the update, with no separate worker to
lose).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings
from redis import ConnectionPool, Redis
from redis.connection import AbstractConnection
from redis.exceptions import RedisError

from notifications.models import AttemptOutcome, Delivery
from notifications.services.attempts import Attempt

log = logging.getLogger(__name__)

# A mark must outlive its row's lease (NOTIFY_LEASE_SECONDS, 300 s by default; the TTL is at
# least twice the lease) and the relay's next tick after it (30 s; longer while the relay or
# Redis is down). A flush deletes the marks it recorded, so what waits for this is only what a
# dead worker left, a few rows each.
MARK_TTL_SECONDS = 24 * 3600
# A mark is one round trip on the sending path: a Redis that stops answering must not hold the
# batch (nor its lease) for longer than this per message before the batch falls back.
MARK_TIMEOUT_SECONDS = 2.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def marks_key(event_id: int) -> str:
    return f"statuspage:notify:accepted:{event_id}"


_TIMEOUTS = {"socket_timeout": MARK_TIMEOUT_SECONDS, "socket_connect_timeout": MARK_TIMEOUT_SECONDS}


@functools.cache
def _client(url: str) -> Redis:
    """The relay's (a pooled client, shared by the process's threads)."""
    return Redis.from_url(url, **_TIMEOUTS)


def store_url() -> str | None:
    """Where the marks are kept: the queues' Redis. A mark matters only to a relay that hands
    out the same queue's work, and without Redis (the embedded default) jobs run in the
    process that posted the change: there is no separate worker to die."""
    return settings.REDIS_URL or None


def _redis() -> Redis | None:
    url = store_url()
    return _client(url) if url else None


def _connect(url: str) -> AbstractConnection:
    """A connection of the batch's own: a pooled client checks a connection's health before
    every command, which doubled the cost of a mark."""
    # The URL's class: TCP, TLS (rediss://) or a Unix socket.
    connection = cast(
        AbstractConnection, ConnectionPool.from_url(url, **_TIMEOUTS).make_connection()
    )
    connection.connect()  # type: ignore[no-untyped-call]
    return connection


def _micros(at: datetime) -> int:
    """A time as an exact integer (the fence compares leases for equality). A double holds
    today's timestamps to a quarter of a microsecond, so the rounding is exact."""
    return round(at.timestamp() * 1_000_000)


class AcceptedMarks:
    """The marks of one batch job, on a connection of its own (`_connect`). `note` sends a
    mark without waiting for Redis's answer; `confirm` reads the answers, and the batch calls
    it before it starts the next send: the round trip overlaps building the next message,
    and no message goes out while an earlier one's mark is unconfirmed. (A blocking round
    trip per message woke the worker once more per message: measurably slower on a busy
    2-core machine.)

    `available` turns False at the first error, or is False from the start without Redis:
    the caller then records each success in the database at once."""

    def __init__(self, event_id: int) -> None:
        self.key = marks_key(event_id)
        # The start of every mark's HSET: four arguments, the command's name and the key.
        self.hset = b"*4\r\n" + _bulk("HSET") + _bulk(self.key)
        self.url: str | None = store_url()
        self.connection: AbstractConnection | None = None
        self.unread = 0
        # The key's TTL is renewed with the first mark after each flush, not with every mark.
        self.renew = True

    @property
    def available(self) -> bool:
        return self.url is not None

    def note(self, row: Delivery, entry: Attempt) -> bool:
        """Send the mark of an accepted message; False if Redis could not be written to."""
        if self.url is None:
            return False
        assert row.lease_expires_at is not None  # a row this job sends is held under a lease
        value = json.dumps(
            [
                _micros(row.lease_expires_at),
                row.provider_id,
                entry.number,
                _micros(entry.at),
                entry.latency_ms,
                entry.code,
                entry.excerpt,
            ]
        )
        # HSET key pk value, its first two arguments packed once per batch.
        packed = b"".join((self.hset, _bulk(row.pk), _bulk(value)))
        if not self.renew:
            return self._send(packed, 1)
        ttl = max(MARK_TTL_SECONDS, 2 * settings.NOTIFY_LEASE_SECONDS)
        self.renew = False
        return self._send(packed + _packed([("EXPIRE", self.key, ttl)]), 2)

    def confirm(self) -> bool:
        """Read the answers to the commands sent: True once Redis holds every mark sent so
        far, False if it failed (the marks sent since the last flush may be lost)."""
        if self.connection is None or not self.unread:
            return self.url is not None
        try:
            while self.unread:
                self.connection.read_response()
                self.unread -= 1
        except RedisError as exc:
            self._lost(exc)
            return False
        return True

    def forget(self, ids: Iterable[int]) -> None:
        """Drop the marks of rows now recorded in the database (answer read with the next
        confirm). A failure only leaves them to expire: a mark applies to the claim it was
        made under, which is over."""
        fields = [str(pk) for pk in ids]
        self.renew = True
        if self.connection is not None and fields:
            self._send(_packed([("HDEL", self.key, *fields)]), 1)

    def _send(self, packed: bytes, commands: int) -> bool:
        """Send `commands` commands, packed; their answers are read by `confirm`."""
        assert self.url is not None
        try:
            if self.connection is None:
                self.connection = _connect(self.url)
            self.connection.send_packed_command([packed])  # type: ignore[no-untyped-call]
            self.unread += commands
        except RedisError as exc:
            self._lost(exc)
            return False
        return True

    def _lost(self, exc: Exception) -> None:
        log.warning("accepted marks unavailable, recording each send at once: %s", exc)
        self.close()
        self.url = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(RedisError):
                self.connection.disconnect()  # type: ignore[no-untyped-call]
            self.connection = None
        self.unread = 0


def _packed(commands: list[tuple[str | int, ...]]) -> bytes:
    """The commands in Redis's protocol (RESP), as redis-py's `pack_commands` writes them for
    text and integer arguments, at a third of its cost: this runs once per message."""
    out: list[bytes] = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        out += (_bulk(arg) for arg in command)
    return b"".join(out)


def _bulk(arg: str | int) -> bytes:
    """One argument of a command, as RESP's bulk string."""
    data = str(arg).encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


class MarksUnavailable(Exception):
    """The relay could not read the marks."""


def accepted_under(
    rows: Iterable[tuple[int, int, datetime | None]],
) -> dict[int, tuple[str, Attempt]]:
    """Of (delivery id, event id, lease) rows, those marked accepted under that very lease:
    id -> (provider id, the attempt-log line). Raises MarksUnavailable."""
    client = _redis()
    by_event: dict[int, list[tuple[int, datetime | None]]] = {}
    for pk, event_id, lease in rows:
        by_event.setdefault(event_id, []).append((pk, lease))
    if client is None or not by_event:
        return {}
    try:
        pipe = client.pipeline(transaction=False)
        for event_id, held in by_event.items():
            pipe.hmget(marks_key(event_id), [str(pk) for pk, _lease in held])
        # An error about one event's key (not a hash) leaves that event's rows to the usual
        # reclaim; only a Redis that cannot be asked at all holds the relay back.
        answers = pipe.execute(raise_on_error=False)
    except RedisError as exc:
        raise MarksUnavailable(str(exc)) from exc
    found: dict[int, tuple[str, Attempt]] = {}
    for (event_id, held), values in zip(by_event.items(), answers, strict=True):
        if isinstance(values, Exception):
            log.warning("accepted marks of event %s unreadable: %s", event_id, values)
            continue
        for (pk, lease), value in zip(held, values, strict=True):
            if value is None:
                continue
            mark_lease, provider_id, number, at, latency_ms, code, excerpt = json.loads(value)
            if lease is None or mark_lease != _micros(lease):
                continue  # made under an earlier claim of the row, which is over
            entry = Attempt(
                delivery_id=pk,
                number=number,
                at=_EPOCH + timedelta(microseconds=at),
                outcome=AttemptOutcome.SENT,
                code=code,
                latency_ms=latency_ms,
                excerpt=excerpt,
            )
            found[pk] = (provider_id, entry)
    return found


def forget_accepted(rows: Iterable[tuple[int, int]]) -> None:
    """Drop the marks of (delivery id, event id) rows the relay recorded."""
    client = _redis()
    by_event: dict[int, list[str]] = {}
    for pk, event_id in rows:
        by_event.setdefault(event_id, []).append(str(pk))
    if client is None or not by_event:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for event_id, fields in by_event.items():
            pipe.hdel(marks_key(event_id), *fields)
        pipe.execute()
    except RedisError as exc:
        log.warning("accepted marks not deleted (they expire): %s", exc)
