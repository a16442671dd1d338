"""The checks themselves: coroutines that touch no database (they run many at a time on one
event loop), each given a `Probe` (what to check, copied from the monitor) and returning an
`Outcome`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from statuspage.monitors import netguard


@dataclass(frozen=True)
class Probe:
    monitor_id: int
    kind: str
    url: str = ""
    host: str = ""
    port: int | None = None
    timeout_seconds: float = 10
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    expected_statuses: tuple[int, ...] = ()
    keyword: str = ""
    json_path: str = ""
    json_expected: str = ""
    latency_threshold_ms: int | None = None
    tls_expiry_warning_days: int | None = None
    # DNS: the resolver asked ("host" or "host:port"; blank: the system's) and the record type.
    dns_resolver: str = ""
    dns_record_type: str = "A"
    # Heartbeat: the last ping and how late it may be, judged at `now`.
    last_ping_at: datetime | None = None
    deadline_seconds: int = 0
    created_at: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    latency_ms: int | None = None
    degraded: bool = False


def failed(detail: str, latency_ms: int | None = None) -> Outcome:
    return Outcome(ok=False, detail=detail[:300], latency_ms=latency_ms)


def elapsed_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


async def tcp_check(probe: Probe) -> Outcome:
    start = time.monotonic()
    assert probe.port is not None
    try:
        sock = await netguard.connect(probe.host, probe.port, probe.timeout_seconds)
    except netguard.Refused as exc:
        return failed(str(exc))
    except OSError as exc:
        return failed(f"Connection failed: {exc.strerror or exc}", elapsed_ms(start))
    sock.close()
    return Outcome(ok=True, detail="Connected", latency_ms=elapsed_ms(start))


def heartbeat_check(probe: Probe) -> Outcome:
    """Up while the last ping (or, before the first, the monitor's creation) is within the
    interval plus the grace, as healthchecks.io judges a cron job."""
    assert probe.now is not None
    since = probe.last_ping_at or probe.created_at
    if since is None:
        return failed("No ping yet")
    late = (probe.now - since).total_seconds() - probe.deadline_seconds
    if late > 0:
        if probe.last_ping_at is None:
            return failed("No ping received yet")
        return failed(f"Last ping {int((probe.now - since).total_seconds())} s ago")
    if probe.last_ping_at is None:
        # Not late yet, but never pinged: it has not proved anything.
        return Outcome(ok=True, detail="Waiting for the first ping")
    return Outcome(ok=True, detail="Pinged in time")


async def run(probe: Probe) -> Outcome:
    """Run one probe; an unexpected error is the check's failure, never the runner's."""
    from statuspage.monitors.checks.dns import dns_check
    from statuspage.monitors.checks.http import http_check

    try:
        if probe.kind == "http":
            return await http_check(probe)
        if probe.kind == "tcp":
            return await tcp_check(probe)
        if probe.kind == "dns":
            return await dns_check(probe)
        return heartbeat_check(probe)
    except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
        return failed(f"Check error: {type(exc).__name__}: {exc}")
