"""Fan-out benchmark (not a test): N email subscribers, one incident update, real workers.

Prints the time to write the outbox rows, the time until a local SMTP sink (aiosmtpd on
loopback, ephemeral port) has received every message, messages per second, and the peak
resident memory of the worker processes. Then the ceiling, in the same run: as many plain
smtplib clients as workers push the same number of copies of one delivered message's bytes
into the same sink, and the workers' throughput as a share of theirs (`--no-ceiling` skips
it). The sink advertises PIPELINING (`--no-pipelining`: it does not) and counts each
recipient's messages in the workers' run: the bench prints how many got exactly one.

`--channel webhook` uses local HTTP endpoints instead, `--hang-percent` of them accepting
connections and never answering, and times until every healthy one has its POST; its ceiling
is a bare asyncio HTTP client in as many processes as workers, POSTing one delivered
webhook's body and signature headers to the same endpoints (the same hanging share, the same
endpoint process), at most NOTIFY_HTTP_CONCURRENCY at once per process and giving up on a
silent endpoint after WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS, as the workers do;
`--channel sms` uses a local stub of Twilio's API and reports the most requests that reached
it within any one second (against `--sms-rate`, the workers' SMS_MAX_PER_SECOND).

Needs REDIS_URL (real RQ queues) and should use its own database, e.g.:

    createdb -h 127.0.0.1 -U postgres statuspage_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/statuspage_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 SECRET_KEY=bench \\
    .venv/bin/python bench/fanout.py --subscribers 100000 --workers 2

The database's subscribers, events and deliveries are deleted first; the Redis db is used
for the queues (its notifications queue is emptied first).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")


class Sink:
    """Counts what it accepts, and each recipient's messages (to find a lost or doubled one).
    Advertises PIPELINING (RFC 2920) unless told not to: aiosmtpd reads commands from a
    stream and handles pipelined ones in order, it only does not say so by default."""

    def __init__(self, pipelining=True):
        self.count = 0
        self.pipelining = pipelining
        self.lock = threading.Lock()
        self.per_recipient = collections.Counter()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if self.pipelining:
            responses = [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        with self.lock:
            self.count += len(envelope.rcpt_tos)
            self.per_recipient.update(envelope.rcpt_tos)
        return "250 OK"


def start_sink(pipelining=True):
    from aiosmtpd.controller import Controller

    class Ephemeral(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    sink = Sink(pipelining)
    controller = Ephemeral(sink, hostname="127.0.0.1", port=0)
    controller.start()
    return sink, controller


async def _serve_endpoints(stats, ready) -> None:
    """The webhook endpoints, on one asyncio loop: healthy ones read the POST and answer 204;
    hanging ones accept, read the request and never answer, and note how long the sender
    kept the connection open (until its timeout closed it)."""
    import asyncio

    async def healthy(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            await writer.drain()
            now = time.monotonic()
            with stats.get_lock():
                stats[0] += 1
                stats[1] = stats[1] or now
                stats[2] = now
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def hanging(reader, writer):
        opened = time.monotonic()
        with stats.get_lock():
            stats[3] += 1
            stats[4] += 1
            stats[5] = max(stats[5], stats[4])
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass
        held = time.monotonic() - opened
        with stats.get_lock():
            stats[4] -= 1
            stats[6] = max(stats[6], held)
            stats[7] += held
            stats[8] += 1
        writer.close()

    ok = await asyncio.start_server(healthy, "127.0.0.1", 0, backlog=4096)
    hang = await asyncio.start_server(hanging, "127.0.0.1", 0, backlog=4096)
    ready.send((ok.sockets[0].getsockname()[1], hang.sockets[0].getsockname()[1]))
    await asyncio.Event().wait()


def _endpoints_process(stats, ready) -> None:
    import asyncio

    asyncio.run(_serve_endpoints(stats, ready))


class Receiver:
    """Webhook endpoints in a process of their own (a path per subscriber on one port; the
    hanging ones on another), served by asyncio so that they cost the 2 cores as little as
    possible next to the workers being measured. Counts live in shared memory."""

    def __init__(self):
        import multiprocessing

        # received, first and last arrival (monotonic, system-wide), hanging connections:
        # accepted, open now, peak open, longest held, total held, closed.
        self.stats = multiprocessing.Array("d", 9)
        parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(
            target=_endpoints_process, args=(self.stats, child), daemon=True
        )
        self.process.start()
        self.port, self.silent_port = parent.recv()

    @property
    def count(self) -> int:
        return int(self.stats[0])

    def report(self) -> None:
        received, first, last, accepted, _open, peak, longest, held, closed = self.stats[:]
        if received > 1 and last > first:
            print(
                f"healthy endpoints, first to last POST: {received:.0f} in {last - first:.1f} s"
                f" = {(received - 1) / (last - first):.0f}/s"
            )
        if closed:
            print(
                f"hanging endpoints: {accepted:.0f} connections, at most {peak:.0f} open at once,"
                f" held {held / closed:.1f} s on average, {longest:.1f} s at most"
            )

    def reset(self) -> None:
        with self.stats.get_lock():
            for n in range(len(self.stats)):
                self.stats[n] = 0

    def rate(self) -> float:
        """Healthy POSTs per second from the first to the last."""
        received, first, last = self.stats[:3]
        return (received - 1) / (last - first) if received > 1 and last > first else 0.0

    def stop(self) -> None:
        self.process.terminate()


class TwilioStub:
    """Twilio's Messages resource on loopback; records when each request arrived."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.arrivals: list[float] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                stub.arrivals.append(time.monotonic())
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sid = f"SM{len(stub.arrivals):032d}"
                body = f'{{"sid": "{sid}", "status": "queued"}}'.encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def count(self) -> int:
        return len(self.arrivals)

    def busiest_second(self) -> int:
        """Most requests that arrived within any one-second span [t, t + 1)."""
        times, best, first = sorted(self.arrivals), 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            best = max(best, last - first + 1)
        return best


def _bare_client(port: int, sender: str, recipient: str, raw: bytes, count: int) -> None:
    """The ceiling: plain smtplib on one connection, the same bytes `count` times."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail(sender, [recipient], raw)


def bare_ceiling(sink, port: int, processes: int, total: int) -> tuple[float, float]:
    """Push `total` copies of one delivered message's bytes into the sink from `processes`
    plain smtplib clients; returns (seconds until the sink has them all, client CPU s)."""
    import multiprocessing

    from notifications import render
    from notifications.models import Delivery
    from notifications.services.messages import build_message

    row = Delivery.objects.select_related("subscriber", "event").first()
    message = build_message(row, row.subscriber, render.event_view(row.event))
    raw = message.raw
    if raw is None:
        sys.exit("the bench's message was not built from a template: no bytes to push")
    share = [total // processes + (1 if n < total % processes else 0) for n in range(processes)]
    sink.count = 0
    cpu_before = _children_cpu()
    started = time.monotonic()
    clients = [
        multiprocessing.Process(
            target=_bare_client, args=(port, message.sender, message.address, raw, count)
        )
        for count in share
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    while sink.count < total and time.monotonic() - started < 600:
        time.sleep(0.05)
    return time.monotonic() - started, _children_cpu() - cpu_before


async def _bare_posts(
    urls: list[str], body: bytes, headers: dict[str, str], concurrency: int, silence: float
) -> None:
    """The webhook ceiling: asyncio streams, a connection per POST (as the workers), read
    the status line and headers, close; no database, no bookkeeping."""
    import asyncio
    from urllib.parse import urlsplit

    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    slots = asyncio.Semaphore(concurrency)

    async def post(url: str) -> None:
        parts = urlsplit(url)
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Accept-Encoding: identity\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: application/json\r\nUser-Agent: bench\r\n{extra}\r\n"
        ).encode()
        async with slots:
            writer = None
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(parts.hostname, parts.port), silence
                )
                writer.write(head + body)
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), silence)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            finally:
                if writer is not None:
                    writer.close()

    await asyncio.gather(*(post(url) for url in urls))


def _bare_http_client(urls, body, headers, concurrency, silence) -> None:
    import asyncio

    asyncio.run(_bare_posts(urls, body, headers, concurrency, silence))


def bare_http_ceiling(
    receiver, urls: list[str], processes: int, healthy: int
) -> tuple[float, float, float]:
    """POST one delivered webhook's body and headers to every endpoint from `processes`
    bare asyncio clients; returns (seconds until every healthy endpoint has its POST,
    healthy POSTs per second first to last, client CPU s)."""
    import json
    import multiprocessing

    from django.conf import settings

    from notifications import render
    from notifications.models import Delivery
    from notifications.services.messages import build_message
    from notifications.transports.webhook import sign

    row = Delivery.objects.select_related("subscriber", "event").first()
    message = build_message(row, row.subscriber, render.event_view(row.event))
    # Each process a contiguous share of the subscribers, as the workers' claims take them
    # (a stride would give one process every hanging endpoint).
    body = json.dumps(message.payload, separators=(",", ":")).encode()
    headers = sign(message.secret, message.key, body)
    receiver.reset()
    cpu_before = _children_cpu()
    started = time.monotonic()
    clients = [
        multiprocessing.Process(
            target=_bare_http_client,
            args=(
                urls[n * len(urls) // processes : (n + 1) * len(urls) // processes],
                body,
                headers,
                settings.NOTIFY_HTTP_CONCURRENCY,
                float(settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS),
            ),
        )
        for n in range(processes)
    ]
    for client in clients:
        client.start()
    while receiver.count < healthy and time.monotonic() - started < 600:
        time.sleep(0.05)
    seconds = time.monotonic() - started
    for client in clients:
        client.join()
    return seconds, receiver.rate(), _children_cpu() - cpu_before


def _children_cpu() -> float:
    """User + system CPU of the worker processes and their work horses, once reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _postgres_cpu() -> float:
    """CPU seconds of a local PostgreSQL server: the postmaster and its reaped backends
    (each worker job's connection ends with its work horse). -1 when it cannot be read."""
    try:
        pgrep = shutil.which("pgrep") or "/usr/bin/pgrep"
        out = subprocess.run(  # noqa: S603 - a fixed argument list
            [pgrep, "-o", "-x", "postgres"], capture_output=True, text=True, check=True
        )
        pid = out.stdout.split()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, subprocess.CalledProcessError):
        return -1.0
    # utime, stime, cutime, cstime: fields 14-17 of stat(5), 11-14 after the name.
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for delivery")
    parser.add_argument("--channel", choices=["email", "webhook", "sms"], default="email")
    parser.add_argument(
        "--sms-rate", type=int, default=10, help="sms only: SMS_MAX_PER_SECOND for the workers"
    )
    parser.add_argument(
        "--hang-percent", type=int, default=10, help="webhook only: endpoints that never answer"
    )
    parser.add_argument(
        "--batch-size", type=int, help="NOTIFY_BATCH_SIZE (sms: small, so every worker sends)"
    )
    parser.add_argument("--worker-log", help="append the workers' stderr to this file")
    parser.add_argument(
        "--no-ceiling",
        action="store_true",
        help="skip the bare client run that gives the ceiling (smtplib, or asyncio HTTP)",
    )
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="email only: the sink does not advertise PIPELINING (RFC 2920)",
    )
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: the benchmark measures the real queue path.")

    if args.batch_size:
        os.environ["NOTIFY_BATCH_SIZE"] = str(args.batch_size)
    receiver = Receiver() if args.channel == "webhook" else None
    if args.channel == "sms":
        # The bench posts an incident update; SMS goes out for the kinds listed here.
        os.environ["NOTIFY_SMS_EVENTS"] = "incident.updated"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import django_rq
    from django.utils import timezone

    from incidents import services
    from incidents.enums import ComponentStatus
    from incidents.models import Component, Incident, Page
    from notifications.models import Delivery, Event, Subscriber, SubscriberState

    sink, controller = start_sink(pipelining=not args.no_pipelining)
    twilio = TwilioStub() if args.channel == "sms" else None
    django_rq.get_queue("notifications").empty()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Subscriber.objects.all().delete()
    Incident.objects.all().delete()
    Page.objects.update(url="https://status.bench.test")
    actor = services.Actor(label="bench", via="automation")
    component = Component.objects.first() or services.component_create(name="API", actor=actor)
    now = timezone.now()
    hang_every = 100 // args.hang_percent if receiver and args.hang_percent else 0

    def address(n: int) -> str:
        if twilio is not None:
            return f"+1555{n:07d}"
        if receiver is None:
            return f"user{n}@bench.test"
        if hang_every and n % hang_every == 0:
            return f"http://127.0.0.1:{receiver.silent_port}/hang{n}"
        return f"http://127.0.0.1:{receiver.port}/ok{n}"

    Subscriber.objects.bulk_create(
        (
            Subscriber(
                channel=args.channel,
                address=address(n),
                contact_email="ops@bench.test" if receiver else "",
                state=SubscriberState.ACTIVE,
                confirmed_at=now,
                public_id=f"b{n:011d}",
            )
            for n in range(args.subscribers)
        ),
        batch_size=5000,
    )
    healthy = (
        sum(
            1
            for n in range(args.subscribers)
            if not address(n).startswith(f"http://127.0.0.1:{receiver.silent_port}/")
        )
        if receiver
        else args.subscribers
    )
    print(f"subscribers: {args.subscribers} {args.channel}, workers: {args.workers}")

    # The incident is created without notifying; the measured event is one update to it.
    incident = services.incident_create(
        name="Bench incident",
        body="Created.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        notify=False,
        actor=actor,
    )
    started = time.monotonic()
    services.incident_update_post(
        incident=incident, status="identified", body="Bench update.", actor=actor
    )
    outbox_seconds = time.monotonic() - started
    rows = Delivery.objects.count()
    print(f"outbox rows: {rows} written in {outbox_seconds:.2f} s (one transaction)")

    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        # The bench's receivers are on loopback.
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    if twilio is not None:
        env.update(
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="bench",  # noqa: S106 - the local stub checks nothing
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE=twilio.url,
            SMS_MAX_PER_SECOND=str(args.sms_rate),
        )
    manage = [sys.executable, str(ROOT / "manage.py"), "rqworker", "notifications", "--burst"]
    cpu_before, db_cpu_before = _children_cpu(), _postgres_cpu()
    log = open(args.worker_log, "ab") if args.worker_log else subprocess.DEVNULL  # noqa: SIM115
    send_started = time.monotonic()
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            manage, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        for _ in range(args.workers)
    ]
    deadline = send_started + args.timeout

    def received() -> int:
        if twilio is not None:
            return twilio.count
        return receiver.count if receiver else sink.count

    last_report = send_started
    while received() < healthy and time.monotonic() < deadline:
        time.sleep(0.2)
        if time.monotonic() - last_report >= 5:
            last_report = time.monotonic()
            print(f"  {last_report - send_started:6.1f} s: {received()}/{healthy} received")
    delivered_seconds = time.monotonic() - send_started
    got = received()
    if receiver:
        # Hanging endpoints' retries would keep burst workers busy for minutes: stop them
        # once every healthy endpoint has its message.
        # Twice: RQ's cold shutdown, which also stops the job's work-horse.
        for _ in range(2):
            for worker in workers:
                worker.terminate()
            time.sleep(1)
    for worker in workers:
        worker.wait(timeout=args.timeout)
    worker_cpu, db_cpu = _children_cpu() - cpu_before, _postgres_cpu() - db_cpu_before
    per_recipient = dict(sink.per_recipient)
    ceiling = None
    if args.channel == "email" and not args.no_ceiling and got:
        print(f"uptime before the ceiling run: {os.getloadavg()[0]:.2f}")
        ceiling = bare_ceiling(sink, controller.port, args.workers, got)
    http_ceiling = None
    if receiver and not args.no_ceiling and got:
        # The workers' own figures first: the ceiling run resets the endpoints' counts.
        receiver.report()
        worker_rate = receiver.rate()
        print(f"uptime before the ceiling run: {os.getloadavg()[0]:.2f}")
        urls = [address(n) for n in range(args.subscribers)]
        http_ceiling = bare_http_ceiling(receiver, urls, args.workers, healthy)
    controller.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = children.ru_maxrss
    where = "healthy webhook endpoints" if receiver else "SMTP sink"
    if twilio is not None:
        where = "Twilio stub"
        print(
            f"SMS_MAX_PER_SECOND={args.sms_rate}: at most {twilio.busiest_second()} requests"
            " reached the stub within any one second"
        )
        span = max(twilio.arrivals) - min(twilio.arrivals) if twilio.count > 1 else 0
        if span:
            print(f"rate from first to last request: {(twilio.count - 1) / span:.1f}/s")
    print(f"received by {where}: {got}/{healthy} in {delivered_seconds:.1f} s")
    print(f"throughput: {got / delivered_seconds:.0f} messages/s")
    print(f"peak worker RSS: {peak_kib / 1024:.0f} MiB")
    if got:
        print(f"worker CPU: {worker_cpu:.1f} s, {worker_cpu / got * 1000:.2f} ms/msg")
        if db_cpu >= 0:
            # The whole server's: other databases' work on a shared machine counts too.
            per_msg = db_cpu / got * 1000
            print(f"PostgreSQL CPU (whole server): {db_cpu:.1f} s, {per_msg:.2f} ms/msg")
    if ceiling is not None:
        seconds, cpu = ceiling
        print(
            f"ceiling, bare smtplib from {args.workers} processes, the same bytes:"
            f" {got} in {seconds:.1f} s = {got / seconds:.0f} messages/s,"
            f" {cpu / got * 1000:.2f} ms CPU/msg"
        )
        print(f"ratio to the ceiling: {seconds / delivered_seconds:.0%} of its throughput")
    if http_ceiling is not None:
        seconds, rate, cpu = http_ceiling
        print(
            f"ceiling, bare asyncio HTTP client from {args.workers} processes, the same body and"
            f" endpoints: every healthy one in {seconds:.1f} s, {rate:.0f}/s first to last POST,"
            f" {cpu / healthy * 1000:.2f} ms CPU per healthy POST"
        )
        print(
            f"ratio to the ceiling: {worker_rate / rate:.0%} of its rate first to last,"
            f" {seconds / delivered_seconds:.0%} of its time to the last healthy POST"
        )
    # On 2 cores the receivers compete with the workers for the CPU.
    print(
        f"CPU: workers {children.ru_utime + children.ru_stime:.1f} s,"
        f" this process (setup, SMTP sink) {own.ru_utime + own.ru_stime:.1f} s"
    )
    if receiver:
        if http_ceiling is None:
            receiver.report()
        receiver.stop()
    sent = Delivery.objects.filter(state="sent").count()
    print(f"deliveries sent: {sent}/{rows}")
    if args.channel == "email":
        once = sum(1 for n in per_recipient.values() if n == 1)
        twice = sum(1 for n in per_recipient.values() if n > 1)
        missing = healthy - len(per_recipient)
        print(
            f"SMTP sink, worker run: {once} recipients received exactly once,"
            f" {twice} more than once, {missing} none"
        )
        if sent != rows or once != healthy:
            print("MESSAGES LOST OR DUPLICATED")


if __name__ == "__main__":
    main()
