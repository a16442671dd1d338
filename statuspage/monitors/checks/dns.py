"""The DNS check: one record type of one name, asked of the system resolver or of a resolver
the monitor names (`dns_resolver`, "host" or "host:port"), with an optional value the answer
must hold (`keyword`).

The system resolver answers A and AAAA through loop.getaddrinfo, as it always did (the hosts
file and nsswitch included); the other types, and every question to a named resolver, go
through dnspython's asynchronous resolver. A named resolver is one more target: its address
passes the guard (statuspage/monitors/netguard.py) before a packet leaves, and the address
checked is the one asked, so a resolver name that re-resolves elsewhere gains nothing."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from statuspage.monitors import netguard
from statuspage.monitors.checks import Outcome, Probe, elapsed_ms, failed

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")
ADDRESS_TYPES = ("A", "AAAA")
DNS_PORT = 53
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?")
_HOST_PORT = re.compile(r"([^:\[\]]+)(?::(\d{1,5}))?")


class BadResolver(ValueError):
    """Not a host or host:port."""


def split_resolver(text: str) -> tuple[str, int]:
    """("9.9.9.9", 53) from "9.9.9.9"; ("::1", 5353) from "[::1]:5353"; a bare IPv6 address
    is a host without a port. Raises BadResolver."""
    text = text.strip()
    port: str | None
    if match := _BRACKETED.fullmatch(text):
        host, port = match.group(1), match.group(2)
    elif text.count(":") > 1:
        host, port = text, None
    elif match := _HOST_PORT.fullmatch(text):
        host, port = match.group(1), match.group(2)
    else:
        raise BadResolver(text)
    number = int(port) if port is not None else DNS_PORT
    if not host or not 1 <= number <= 65535:
        raise BadResolver(text)
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise BadResolver(text) from None
    return host, number


async def dns_check(probe: Probe) -> Outcome:
    start = time.monotonic()
    record_type = probe.dns_record_type or "A"
    try:
        if not probe.dns_resolver and record_type in ADDRESS_TYPES:
            records = await _system_addresses(probe.host, record_type, probe.timeout_seconds)
            # The system resolver is the install's: its addresses are judged as targets are.
            return _judge(probe, record_type, records, shown=True, start=start)
        records = await _ask(probe, record_type)
    except netguard.Refused as exc:
        return failed(f"Resolver refused: {exc}")
    except _Failure as exc:
        return failed(str(exc), elapsed_ms(start))
    # The system resolver may be an internal one: names and texts it gives are counted, not
    # shown, as private addresses are. A named resolver passed the guard: the install allowed
    # it (or it is public), so what it says may be shown.
    return _judge(probe, record_type, records, shown=bool(probe.dns_resolver), start=start)


class _Failure(Exception):
    """The name did not resolve; the message is the result's detail."""


async def _system_addresses(host: str, record_type: str, timeout: float) -> list[str]:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET if record_type == "A" else socket.AF_INET6
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, None, family=family)
    except TimeoutError:
        raise _Failure(f"Resolution timed out after {timeout:g} s") from None
    except OSError as exc:
        raise _Failure(f"{host} does not resolve ({exc.strerror or exc})") from None
    return sorted({str(info[4][0]) for info in infos})


async def _resolver_of(probe: Probe) -> dns.asyncresolver.Resolver:
    if not probe.dns_resolver:
        try:
            return dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise _Failure("No system resolver is configured") from None
    try:
        host, port = split_resolver(probe.dns_resolver)
    except BadResolver:
        raise _Failure(f"Not a resolver address: {probe.dns_resolver[:60]!r}") from None
    try:
        # Raises Refused when none of its addresses is allowed; only allowed ones are asked.
        targets = await netguard.resolve(host, port)
    except OSError as exc:
        raise _Failure(f"Resolver {host}: {exc}") from None
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = list(dict.fromkeys(str(t.sockaddr[0]) for t in targets))
    resolver.port = port
    return resolver


async def _ask(probe: Probe, record_type: str) -> list[str]:
    resolver = await _resolver_of(probe)
    resolver.timeout = resolver.lifetime = float(probe.timeout_seconds)
    resolver.cache = None
    name = probe.host
    try:
        async with asyncio.timeout(probe.timeout_seconds + 1):
            answer = await resolver.resolve(name, record_type, search=False)
    except dns.resolver.NXDOMAIN:
        raise _Failure(f"{name} does not resolve (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise _Failure(f"{name} has no {record_type} record") from None
    except dns.resolver.NoNameservers as exc:
        codes = sorted({str(e[3]) for e in exc.kwargs.get("errors", []) if isinstance(e[3], str)})
        reason = ", ".join(codes) or "no usable answer"
        raise _Failure(f"The resolver failed for {name} ({reason})") from None
    except (dns.exception.Timeout, TimeoutError):
        raise _Failure(f"The resolver did not answer within {probe.timeout_seconds:g} s") from None
    except dns.exception.DNSException as exc:
        raise _Failure(f"DNS error for {name}: {exc}") from None
    # Sorted: an answer's order changes from one question to the next, a result's should not.
    if record_type == "MX":
        answer_rdata = sorted(answer, key=lambda r: (r.preference, r.exchange))
    else:
        answer_rdata = sorted(answer, key=lambda r: r.to_text())
    return [_text(rdata, record_type) for rdata in answer_rdata]


def _text(rdata, record_type: str) -> str:
    if record_type in ADDRESS_TYPES:
        return str(rdata.address)
    if record_type == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True)}"
    if record_type == "TXT":
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return str(rdata.target.to_text(omit_final_dot=True))


def matches(record_type: str, record: str, expected: str) -> bool:
    """Whether one record is the value expected: addresses compared as addresses, names
    without case or the final dot (an MX record by its host, or by "preference host"), a
    TXT record when its text contains the value."""
    if record_type == "TXT":
        return expected in record
    if record_type in ADDRESS_TYPES:
        try:
            return ipaddress.ip_address(record) == ipaddress.ip_address(expected)
        except ValueError:
            return False

    def name(text: str) -> str:
        return " ".join(text.split()).rstrip(".").casefold()

    wanted = name(expected)
    return name(record) == wanted or (
        record_type == "MX" and name(record.split(" ", 1)[-1]) == wanted
    )


def _shown(record_type: str, records: list[str], shown: bool) -> str:
    """The records a result may show. Addresses the install does not allow are counted, not
    shown (a page admin must not map internal DNS), and so is all of an answer that may come
    from an internal resolver."""
    if record_type in ADDRESS_TYPES:
        public = allowed_addresses(records)
        hidden = len(records) - len(public)
        return ", ".join(public + ([f"{hidden} private"] if hidden else []))
    if not shown:
        return f"{len(records)} record" + ("s" if len(records) != 1 else "")
    return ", ".join(repr(r) if record_type == "TXT" else r for r in records)


def allowed_addresses(records: list[str]) -> list[str]:
    return [a for a in records if netguard.may_connect(a)]


def _judge(
    probe: Probe, record_type: str, records: list[str], *, shown: bool, start: float
) -> Outcome:
    latency = elapsed_ms(start)
    if not records:
        return failed(f"{probe.host} has no {record_type} record", latency)
    answer = _shown(record_type, records, shown)[:240]
    # A private address the install does not allow is not matched either: a match would
    # confirm what the detail hides.
    candidates = allowed_addresses(records) if record_type in ADDRESS_TYPES else records
    if probe.keyword and not any(matches(record_type, r, probe.keyword) for r in candidates):
        return failed(f"No {record_type} record matches {probe.keyword!r} ({answer})", latency)
    shown_as = "Resolves to " if record_type in ADDRESS_TYPES else f"{record_type}: "
    return Outcome(ok=True, detail=(shown_as + answer)[:300], latency_ms=latency)
