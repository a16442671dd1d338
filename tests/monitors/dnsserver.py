"""A small authoritative DNS server on loopback for the DNS monitor's tests: UDP on a free port,
in a thread, built on dnspython's message parsing. Its zone is changed on command: a name
answers its records, answers NXDOMAIN or SERVFAIL, or the server stops answering (drops
every question, as a dead resolver does). UDP is enough: the answers are small."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ANSWER = "answer"
NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
DROP = "drop"


class DnsServer:
    """`records[(name, type)]` are the texts of the records (zone-file syntax, e.g. "10
    mail.example.com." for MX); `mode[name]` is how a name is answered (ANSWER by default);
    `dropping` makes the server silent for every name."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.mode: dict[str, str] = {}
        self.dropping = False
        self.questions = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host = host
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # A closed socket does not wake a blocked recvfrom: the loop looks at _stop instead.
        self.sock.settimeout(0.05)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def set(self, name: str, record_type: str, *texts: str) -> None:
        with self._lock:
            self.records[(_key(name), record_type.upper())] = list(texts)
            self.mode[_key(name)] = ANSWER

    def answer_with(self, name: str, mode: str) -> None:
        with self._lock:
            self.mode[_key(name)] = mode

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.questions += 1
            reply = self._reply(wire)
            if reply is not None:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    return

    def _reply(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # noqa: BLE001 - not DNS: a real server ignores it too
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        record_type = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            if self.dropping or self.mode.get(name) == DROP:
                return None
            mode = self.mode.get(name, NXDOMAIN if not self._known(name) else ANSWER)
            texts = list(self.records.get((name, record_type), []))
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if mode == NXDOMAIN:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif mode == SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            response.flags &= ~dns.flags.AA
        elif texts:
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name, 60, dns.rdataclass.IN, question.rdtype, texts
                )
            )
        # A known name without records of the type: NOERROR with an empty answer (NODATA).
        return response.to_wire()

    def _known(self, name: str) -> bool:
        return any(key[0] == name for key in self.records)


def _key(name: str) -> str:
    return name.rstrip(".").lower() + "."
