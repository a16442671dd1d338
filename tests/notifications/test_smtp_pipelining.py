"""The email transport's SMTP conversation for bytes built from a batch's template, against a
real aiosmtpd server on loopback: pipelined (RFC 2920) when the server advertises PIPELINING,
one command at a time when it does not, with the same outcome for every reply either way."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from notifications.transports import Outgoing, TransportError
from notifications.transports.email import EmailTransport
from notifications.transports.smtp import dot_stuffed, envelope_address

SENDER = "status@example.test"
RAW = (
    b"Subject: Bench\r\nTo: ann@example.test\r\n\r\nFirst line.\r\n"
    b".A line that starts with a dot.\r\n..Two dots.\r\nLast line."
)


class _Server(SMTP):
    """aiosmtpd's server, with the replies the tests ask for to the DATA command itself."""

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command method
        handler = self.event_handler
        if handler.refuse_data_command:
            await self.push(handler.refuse_data_command)
            return
        # A server that answers DATA before it knows the recipients failed: it takes a message
        # and refuses it at the end.
        if handler.data_despite_refusal and self.envelope and not self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            while (await self._reader.readline()) not in (b".\r\n", b""):
                handler.stray_lines += 1
            await self.push("554 5.5.1 No valid recipients")
            return
        await super().smtp_DATA(arg)


class _Handler:
    def __init__(self) -> None:
        self.pipelining = True
        self.received: list[tuple[str, list[str], bytes]] = []
        self.sessions: list[object] = []
        self.refuse_sender = ""
        self.refuse: dict[str, str] = {}
        self.refuse_data = ""
        # Recipients whose message (its content) gets `refuse_data`; empty: every one.
        self.refuse_data_for: set[str] = set()
        self.refuse_data_command = ""
        self.data_despite_refusal = False
        self.stray_lines = 0
        self.drop_at_rcpt = False
        # The server closes the connection at this recipient's RCPT TO.
        self.drop_for = ""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        self.sessions.append(session)
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if self.drop_at_rcpt or address == self.drop_for:
            server.transport.close()
            return "250 OK"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_data and (
            not self.refuse_data_for or self.refuse_data_for & set(envelope.rcpt_tos)
        ):
            return self.refuse_data
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued as 4F3A"


class _Controller(Controller):
    def factory(self):
        return _Server(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Writes:
    """The client socket, counting the writes the client makes (one per pipelined group)."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.count = 0

    def sendall(self, data: bytes) -> None:
        self.count += 1
        self.sock.sendall(data)

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


@pytest.fixture(params=[True, False], ids=["pipelining", "in-turn"])
def server(request, settings):
    handler = _Handler()
    handler.pipelining = request.param
    controller = _Controller(handler, hostname="127.0.0.1", port=0)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


@pytest.fixture
def transport(settings):
    # A conversation that waits for an answer that never comes fails the test, not hangs it.
    settings.EMAIL_TIMEOUT = 10
    transport = EmailTransport()
    yield transport
    transport.close()


def _message(address: str = "ann@example.test", n: int = 1) -> Outgoing:
    return Outgoing(
        delivery_id=n,
        key=f"k{n}",
        address=address,
        secret="",
        headers={"Message-ID": f"<k{n}@example.test>"},
        raw=RAW,
        sender=f"Status page <{SENDER}>",
    )


def _session(transport: EmailTransport) -> smtplib.SMTP:
    session = transport.connection.connection
    assert isinstance(session, smtplib.SMTP)
    return session


def test_a_message_goes_out_whole_with_the_servers_reply(server, transport):
    receipt = transport.send(_message())
    assert (receipt.provider_id, receipt.reply.code) == ("<k1@example.test>", "SMTP 250")
    assert receipt.reply.text == "2.0.0 Ok: queued as 4F3A"
    [(sender, recipients, content)] = server.received
    # The envelope as smtplib's sendmail gives it; the dots stuffed on the way and removed
    # by the server: the bytes arrive as built, ended by a line break.
    assert (sender, recipients, content) == (SENDER, ["ann@example.test"], RAW + b"\r\n")


def test_pipelining_sends_the_envelope_and_data_command_in_one_write(server, transport):
    transport.open()
    writes = _Writes(_session(transport).sock)
    _session(transport).sock = writes
    for n in range(3):
        transport.send(_message(f"s{n}@example.test", n))
    # EHLO, then per message: the envelope and DATA, then the message (pipelined), or each
    # of MAIL, RCPT, DATA and the message in turn.
    assert writes.count == 1 + 3 * (2 if server.pipelining else 4)
    assert [r for _s, [r], _c in server.received] == [f"s{n}@example.test" for n in range(3)]
    assert len(server.sessions) == 1


@pytest.mark.parametrize(
    ("reply", "permanent"), [("550 5.1.1 No such user", True), ("450 4.2.1 Busy", False)]
)
def test_a_refused_recipient_fails_that_message_and_the_session_carries_on(
    server, transport, reply, permanent
):
    server.refuse["gone@example.test"] = reply
    with pytest.raises(TransportError) as refused:
        transport.send(_message("gone@example.test"))
    code = reply[:3]
    assert refused.value.message == f"Recipient refused ({code})"
    assert refused.value.permanent is permanent
    assert refused.value.reply.code == f"SMTP {code}"
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 1


def test_a_refused_sender_is_a_retry_and_the_session_carries_on(server, transport):
    server.refuse_sender = "451 4.7.1 Slow down"
    with pytest.raises(TransportError) as refused:
        transport.send(_message())
    assert not refused.value.permanent
    assert refused.value.reply.code == "SMTP 451"
    server.refuse_sender = ""
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 1


def test_a_refused_message_is_a_retry_and_the_session_carries_on(server, transport):
    server.refuse_data = "554 5.7.1 Rejected by policy"
    with pytest.raises(TransportError) as refused:
        transport.send(_message())
    assert (refused.value.permanent, refused.value.reply.code) == (False, "SMTP 554")
    assert refused.value.reply.text == "5.7.1 Rejected by policy"
    server.refuse_data = ""
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 1


def test_a_refused_data_command_resets_the_session_for_the_next_message(server, transport):
    server.refuse_data_command = "451 4.3.0 Try again later"
    with pytest.raises(TransportError) as refused:
        transport.send(_message())
    assert refused.value.reply.code == "SMTP 451"
    server.refuse_data_command = ""
    # Without the reset the sender and recipient would still be set: "503 nested MAIL".
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 1


def test_a_data_command_answered_despite_a_refused_recipient_sends_no_message(server, transport):
    server.data_despite_refusal = True
    server.refuse["gone@example.test"] = "550 5.1.1 No such user"
    with pytest.raises(TransportError) as refused:
        transport.send(_message("gone@example.test"))
    assert (refused.value.permanent, refused.value.reply.code) == (True, "SMTP 550")
    # Only a server reading pipelined commands gets that far; the message is not in it.
    assert server.stray_lines == 0
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]


@pytest.mark.parametrize("where", ["sender", "recipient", "data"])
def test_a_closing_server_421_drops_the_session_and_the_next_message_reconnects(
    server, transport, where
):
    reply = "421 4.3.2 Shutting down"
    if where == "sender":
        server.refuse_sender = reply
    elif where == "recipient":
        server.refuse["ann@example.test"] = reply
    else:
        server.refuse_data = reply
    with pytest.raises(TransportError) as refused:
        transport.send(_message())
    assert (refused.value.permanent, refused.value.reply.code) == (False, "SMTP 421")
    assert transport.connection is None
    server.refuse_sender, server.refuse, server.refuse_data = "", {}, ""
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 2


def test_a_dropped_connection_is_a_retry_and_the_next_message_reconnects(server, transport):
    server.drop_at_rcpt = True
    with pytest.raises(TransportError) as lost:
        transport.send(_message())
    assert lost.value.message.startswith("Mail server connection lost")
    assert not lost.value.permanent
    assert transport.connection is None
    server.drop_at_rcpt = False
    transport.send(_message("bob@example.test", 2))
    assert [r for _s, [r], _c in server.received] == ["bob@example.test"]
    assert len(server.sessions) == 2


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.test",
        "a.b+tag@mail.example.test",
        "o'brien@example.test",
        "x=y?z@example.test",
        "Status page <status@example.test>",
        '"Status, page" <status@example.test>',
        "<status@example.test>",
        "a..b@example.test",
        "ann@[127.0.0.1]",
    ],
)
def test_the_envelope_address_is_smtplibs(address):
    assert envelope_address(address) == smtplib.quoteaddr(address)


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        (b"a\r\nb", b"a\r\nb\r\n.\r\n"),
        (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
        (b".a\r\n.\r\nb.\r\n", b"..a\r\n..\r\nb.\r\n.\r\n"),
    ],
)
def test_the_message_is_dot_stuffed_as_smtplib_does(raw, sent):
    assert dot_stuffed(raw) == sent


# --- the next message's envelope with this message's content --------------------------------


def _received(server) -> list[str]:
    return [r for _s, [r], _c in server.received]


def _in_order(transport: EmailTransport, messages: list[Outgoing]) -> None:
    """As a batch sends: each message named to the transport before the one ahead of it."""
    for message, following in zip(messages, [*messages[1:], None], strict=True):
        transport.expect(following)
        transport.send(message)


def test_the_next_envelope_goes_with_the_message_one_write_per_message(server, transport):
    transport.open()
    writes = _Writes(_session(transport).sock)
    _session(transport).sock = writes
    messages = [_message(f"s{n}@example.test", n) for n in range(4)]
    _in_order(transport, messages)
    # EHLO and the first envelope, then per message its content with the next envelope
    # (pipelining); or each of MAIL, RCPT, DATA and the message in turn.
    assert writes.count == (1 + 1 + 4 if server.pipelining else 1 + 4 * 4)
    assert _received(server) == [f"s{n}@example.test" for n in range(4)]
    assert [c for _s, _r, c in server.received] == [RAW + b"\r\n"] * 4
    assert len(server.sessions) == 1


def test_an_envelope_sent_ahead_for_a_message_not_sent_delivers_nothing(server, transport):
    first, skipped, other = (_message(f"{n}@example.test", n) for n in ("a", "b", "c"))
    transport.expect(skipped)
    transport.send(first)
    # The batch sends another message instead (the row's try ended before its send).
    transport.send(other)
    assert _received(server) == ["a@example.test", "c@example.test"]
    # The server waited for b@'s content: only a new session could end that.
    assert len(server.sessions) == (2 if server.pipelining else 1)


def test_closing_with_an_envelope_ahead_delivers_nothing(server, transport, settings):
    transport.open()
    writes = _Writes(_session(transport).sock)
    _session(transport).sock = writes
    transport.expect(_message("b@example.test", 2))
    transport.send(_message("a@example.test", 1))
    sent = writes.count
    # A QUIT would be read as the first line of b@'s message and wait for an answer that
    # never comes; the session is dropped instead, without a word.
    transport.close()
    assert writes.count == (sent if server.pipelining else sent + 1)  # in turn: QUIT
    later = EmailTransport()
    later.send(_message("c@example.test", 3))
    later.close()
    assert _received(server) == ["a@example.test", "c@example.test"]


def test_a_refused_message_leaves_the_next_envelope_ahead_on_the_session(server, transport):
    server.refuse_data = "554 5.7.1 Rejected by policy"
    server.refuse_data_for = {"a@example.test"}
    first, second = _message("a@example.test", 1), _message("b@example.test", 2)
    transport.expect(second)
    with pytest.raises(TransportError) as refused:
        transport.send(first)
    assert refused.value.reply.code == "SMTP 554"
    # No reset after the refusal: it would land after b@'s envelope and undo it.
    transport.send(second)
    assert _received(server) == ["b@example.test"]
    assert len(server.sessions) == 1


def test_a_refused_recipient_whose_envelope_went_ahead_fails_that_message_only(server, transport):
    server.refuse["gone@example.test"] = "550 5.1.1 No such user"
    messages = [_message(a, n) for n, a in enumerate(["a@x.test", "gone@example.test", "c@x.test"])]
    transport.expect(messages[1])
    transport.send(messages[0])
    transport.expect(messages[2])
    with pytest.raises(TransportError) as refused:
        transport.send(messages[1])
    assert (refused.value.permanent, refused.value.reply.code) == (True, "SMTP 550")
    transport.send(messages[2])
    assert _received(server) == ["a@x.test", "c@x.test"]
    assert len(server.sessions) == 1


def test_a_connection_lost_at_an_envelope_ahead_is_a_retry_of_that_message(server, transport):
    server.drop_for = "b@example.test"
    messages = [_message(f"{n}@example.test", n) for n in ("a", "b", "c")]
    transport.expect(messages[1])
    transport.send(messages[0])
    transport.expect(messages[2])
    with pytest.raises(TransportError) as lost:
        transport.send(messages[1])
    assert lost.value.message.startswith("Mail server connection lost")
    assert not lost.value.permanent
    assert transport.connection is None
    transport.send(messages[2])
    assert _received(server) == ["a@example.test", "c@example.test"]
    assert len(server.sessions) == 2
