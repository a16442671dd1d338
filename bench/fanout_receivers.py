"""The fan-out benchmark's receivers (bench/fanout.py): an SMTP sink, webhook endpoints in a
process of their own, and a stub of Twilio's Messages resource, all on loopback."""

from __future__ import annotations

import collections
import contextlib
import threading
import time


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
