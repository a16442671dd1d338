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
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

from fanout_receivers import Receiver, Sink, TwilioStub, start_sink  # noqa: E402


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


def _arguments() -> argparse.Namespace:
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
    parser.add_argument(
        "--languages",
        type=int,
        default=1,
        help="subscribers' languages, round-robin over the first N of incidents.languages "
        "(1: all English; each language's messages render once per batch)",
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
    return parser.parse_args()


@dataclass
class Bench:
    """One run: its arguments, the receivers it started and what it measured."""

    args: argparse.Namespace
    sink: Sink
    controller: object
    receiver: Receiver | None
    twilio: TwilioStub | None
    healthy: int = 0
    rows: int = 0
    seconds: float = 0.0
    got: int = 0
    worker_cpu: float = 0.0
    db_cpu: float = 0.0
    per_recipient: dict[str, int] = field(default_factory=dict)
    # The ceiling's lines, printed after the workers' own figures.
    ceiling: list[str] = field(default_factory=list)

    def address(self, n: int) -> str:
        """Subscriber n's address; every `100 / --hang-percent`-th webhook endpoint hangs."""
        if self.twilio is not None:
            return f"+1555{n:07d}"
        if self.receiver is None:
            return f"user{n}@bench.test"
        hang_percent = self.args.hang_percent
        if hang_percent and n % (100 // hang_percent) == 0:
            return f"http://127.0.0.1:{self.receiver.silent_port}/hang{n}"
        return f"http://127.0.0.1:{self.receiver.port}/ok{n}"

    def received(self) -> int:
        if self.twilio is not None:
            return self.twilio.count
        return self.receiver.count if self.receiver else self.sink.count


def _actor():
    from incidents import services

    return services.Actor(label="bench", via="automation")


def _setup(args: argparse.Namespace) -> Bench:
    """Django on the bench's database, the receivers started."""
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
    sink, controller = start_sink(pipelining=not args.no_pipelining)
    twilio = TwilioStub() if args.channel == "sms" else None
    return Bench(args, sink, controller, receiver, twilio)


def _seed(bench: Bench):
    """An empty queue and outbox, `--subscribers` active subscribers, a component; returns
    the component."""
    import django_rq
    from django.utils import timezone

    from incidents import services
    from incidents.languages import LANGUAGES
    from incidents.models import Component, Incident, Page
    from notifications.models import Delivery, Event, Subscriber, SubscriberState

    django_rq.get_queue("notifications").empty()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Subscriber.objects.all().delete()
    Incident.objects.all().delete()
    Page.objects.update(url="https://status.bench.test")
    component = Component.objects.first() or services.component_create(name="API", actor=_actor())
    now = timezone.now()
    args = bench.args
    Subscriber.objects.bulk_create(
        (
            Subscriber(
                channel=args.channel,
                address=bench.address(n),
                contact_email="ops@bench.test" if bench.receiver else "",
                state=SubscriberState.ACTIVE,
                confirmed_at=now,
                public_id=f"b{n:011d}",
                language=LANGUAGES[n % args.languages][0],
            )
            for n in range(args.subscribers)
        ),
        batch_size=5000,
    )
    hanging = f"http://127.0.0.1:{bench.receiver.silent_port}/" if bench.receiver else None
    bench.healthy = sum(
        1
        for n in range(args.subscribers)
        if hanging is None or not bench.address(n).startswith(hanging)
    )
    print(f"subscribers: {args.subscribers} {args.channel}, workers: {args.workers}")
    return component


def _post_update(bench: Bench, component) -> None:
    """The measured event: one update to an incident created without notifying."""
    from incidents import services
    from incidents.enums import ComponentStatus
    from notifications.models import Delivery

    incident = services.incident_create(
        name="Bench incident",
        body="Created.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        notify=False,
        actor=_actor(),
    )
    started = time.monotonic()
    services.incident_update_post(
        incident=incident, status="identified", body="Bench update.", actor=_actor()
    )
    outbox_seconds = time.monotonic() - started
    bench.rows = Delivery.objects.count()
    print(f"outbox rows: {bench.rows} written in {outbox_seconds:.2f} s (one transaction)")


def _worker_environment(bench: Bench) -> dict[str, str]:
    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(bench.controller.port),
        # The bench's receivers are on loopback.
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    if bench.twilio is not None:
        env.update(
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="bench",  # noqa: S106 - the local stub checks nothing
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE=bench.twilio.url,
            SMS_MAX_PER_SECOND=str(bench.args.sms_rate),
        )
    return env


def _run_workers(bench: Bench) -> None:
    """Burst workers until every healthy subscriber has its message (or the timeout)."""
    args = bench.args
    manage = [sys.executable, str(ROOT / "manage.py"), "rqworker", "notifications", "--burst"]
    env = _worker_environment(bench)
    cpu_before, db_cpu_before = _children_cpu(), _postgres_cpu()
    log = open(args.worker_log, "ab") if args.worker_log else subprocess.DEVNULL  # noqa: SIM115
    started = time.monotonic()
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            manage, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        for _ in range(args.workers)
    ]
    deadline = started + args.timeout
    last_report = started
    while bench.received() < bench.healthy and time.monotonic() < deadline:
        time.sleep(0.2)
        if time.monotonic() - last_report >= 5:
            last_report = time.monotonic()
            print(f"  {last_report - started:6.1f} s: {bench.received()}/{bench.healthy} received")
    bench.seconds = time.monotonic() - started
    bench.got = bench.received()
    if bench.receiver:
        # Hanging endpoints' retries would keep burst workers busy for minutes: stop them
        # once every healthy endpoint has its message.
        # Twice: RQ's cold shutdown, which also stops the job's work-horse.
        for _ in range(2):
            for worker in workers:
                worker.terminate()
            time.sleep(1)
    for worker in workers:
        worker.wait(timeout=args.timeout)
    bench.worker_cpu = _children_cpu() - cpu_before
    bench.db_cpu = _postgres_cpu() - db_cpu_before
    bench.per_recipient = dict(bench.sink.per_recipient)


def _email_ceiling(bench: Bench) -> None:
    if bench.args.channel != "email" or bench.args.no_ceiling or not bench.got:
        return
    print(f"uptime before the ceiling run: {os.getloadavg()[0]:.2f}")
    seconds, cpu = bare_ceiling(bench.sink, bench.controller.port, bench.args.workers, bench.got)
    bench.ceiling.append(
        f"ceiling, bare smtplib from {bench.args.workers} processes, the same bytes:"
        f" {bench.got} in {seconds:.1f} s = {bench.got / seconds:.0f} messages/s,"
        f" {cpu / bench.got * 1000:.2f} ms CPU/msg"
    )
    bench.ceiling.append(f"ratio to the ceiling: {seconds / bench.seconds:.0%} of its throughput")


def _http_ceiling(bench: Bench) -> None:
    receiver, args = bench.receiver, bench.args
    if receiver is None:
        return
    # The workers' own figures first: the ceiling run resets the endpoints' counts.
    receiver.report()
    if args.no_ceiling or not bench.got:
        return
    worker_rate = receiver.rate()
    print(f"uptime before the ceiling run: {os.getloadavg()[0]:.2f}")
    urls = [bench.address(n) for n in range(args.subscribers)]
    seconds, rate, cpu = bare_http_ceiling(receiver, urls, args.workers, bench.healthy)
    bench.ceiling.append(
        f"ceiling, bare asyncio HTTP client from {args.workers} processes, the same body and"
        f" endpoints: every healthy one in {seconds:.1f} s, {rate:.0f}/s first to last POST,"
        f" {cpu / bench.healthy * 1000:.2f} ms CPU per healthy POST"
    )
    bench.ceiling.append(
        f"ratio to the ceiling: {worker_rate / rate:.0%} of its rate first to last,"
        f" {seconds / bench.seconds:.0%} of its time to the last healthy POST"
    )


def _report_workers(bench: Bench) -> None:
    """Throughput, memory and CPU of the workers' run."""
    got, twilio = bench.got, bench.twilio
    where = "healthy webhook endpoints" if bench.receiver else "SMTP sink"
    if twilio is not None:
        where = "Twilio stub"
        print(
            f"SMS_MAX_PER_SECOND={bench.args.sms_rate}: at most {twilio.busiest_second()}"
            " requests reached the stub within any one second"
        )
        span = max(twilio.arrivals) - min(twilio.arrivals) if twilio.count > 1 else 0
        if span:
            print(f"rate from first to last request: {(twilio.count - 1) / span:.1f}/s")
    print(f"received by {where}: {got}/{bench.healthy} in {bench.seconds:.1f} s")
    print(f"throughput: {got / bench.seconds:.0f} messages/s")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak worker RSS: {peak_kib / 1024:.0f} MiB")
    if got:
        print(f"worker CPU: {bench.worker_cpu:.1f} s, {bench.worker_cpu / got * 1000:.2f} ms/msg")
        if bench.db_cpu >= 0:
            # The whole server's: other databases' work on a shared machine counts too.
            per_msg = bench.db_cpu / got * 1000
            print(f"PostgreSQL CPU (whole server): {bench.db_cpu:.1f} s, {per_msg:.2f} ms/msg")


def _report_end(bench: Bench) -> None:
    """CPU in all, then whether every message went out exactly once."""
    from notifications.models import Delivery

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    # On 2 cores the receivers compete with the workers for the CPU.
    print(
        f"CPU: workers {children.ru_utime + children.ru_stime:.1f} s,"
        f" this process (setup, SMTP sink) {own.ru_utime + own.ru_stime:.1f} s"
    )
    sent = Delivery.objects.filter(state="sent").count()
    print(f"deliveries sent: {sent}/{bench.rows}")
    if bench.args.channel == "email":
        once = sum(1 for n in bench.per_recipient.values() if n == 1)
        twice = sum(1 for n in bench.per_recipient.values() if n > 1)
        missing = bench.healthy - len(bench.per_recipient)
        print(
            f"SMTP sink, worker run: {once} recipients received exactly once,"
            f" {twice} more than once, {missing} none"
        )
        if sent != bench.rows or once != bench.healthy:
            print("MESSAGES LOST OR DUPLICATED")


def main() -> None:
    args = _arguments()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: the benchmark measures the real queue path.")
    bench = _setup(args)
    component = _seed(bench)
    _post_update(bench, component)
    _run_workers(bench)
    _email_ceiling(bench)
    _http_ceiling(bench)
    bench.controller.stop()
    _report_workers(bench)
    for line in bench.ceiling:
        print(line)
    if bench.receiver:
        bench.receiver.stop()
    _report_end(bench)


if __name__ == "__main__":
    main()
