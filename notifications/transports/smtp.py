"""One message's SMTP conversation on an open `smtplib.SMTP` session, pipelined when the server
allows it.

`smtplib.SMTP.sendmail` waits for the answer to each command in turn: MAIL FROM, RCPT TO, DATA
and the message, four round trips per message, and the worker idles through each. Servers that
advertise PIPELINING (RFC 2920; Postfix, Exim, the big providers) take MAIL FROM, RCPT TO and
DATA in one write and answer them together: two round trips. And the next message's envelope
may follow a message's final dot in the same write (RFC 2920 lets the message content start a
group): then the server answers the next envelope while the worker reads this message's final
reply and builds the next message, and each message costs one round trip.

The message itself still goes only after the server's 354, and its final reply is read before
`send_raw` returns, so exactly one message is ever in flight on a session, as with `sendmail`
(the duplicate bound of the accepted marks, notifications/services/marks.py, depends on that).
An envelope sent ahead delivers nothing by itself: a server drops a transaction whose content
never came when the session closes (`abandon`).

The outcome is reported as `sendmail` reports it: the same exceptions for the same replies, a
session closed after a 421 and reset after any other refusal, so the caller's error handling is
the same whichever way the message went. Unlike `sendmail` a refused DATA command also resets
the session (`sendmail` leaves the accepted sender and recipient in place, and the next
message's MAIL FROM is then refused as a nested transaction).
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
from dataclasses import dataclass

CRLF = b"\r\n"
# A line that starts with a dot gets a second one (RFC 5321 4.5.2), as smtplib does.
_LEADING_DOT = re.compile(rb"(?m)^\.")
# A dot-atom address with an ASCII host name (what notifications.mime fills in): the address
# `smtplib.quoteaddr` finds in it is the whole string, found here without its parser, which
# cost more than a fifth of a worker's CPU per message. Others (the sender's display name, an
# odd local part) take smtplib's parsing, remembered: a batch has one sender.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def envelope_address(address: str) -> str:
    """The address as `smtplib.quoteaddr` puts it in MAIL FROM and RCPT TO."""
    if _PLAIN.fullmatch(address):
        return f"<{address}>"
    return _quoted(address)


@functools.lru_cache(maxsize=64)
def _quoted(address: str) -> str:
    quoted: str = smtplib.quoteaddr(address)
    return quoted


def dot_stuffed(raw: bytes) -> bytes:
    """The message as it goes after DATA: leading dots doubled, CRLF and the final dot added."""
    if raw.startswith(b".") or b"\n." in raw:
        raw = _LEADING_DOT.sub(b"..", raw)
    if not raw.endswith(CRLF):
        raw += CRLF
    return raw + b"." + CRLF


@dataclass
class Envelope:
    """MAIL FROM and RCPT TO of one message. `ahead` is set once its commands (with DATA) went
    to the server in the write that carried the previous message: their replies are the next
    ones to read on that session."""

    sender: str
    recipient: str
    size: int
    ahead: bool = False

    def commands(self, session: smtplib.SMTP) -> bytes:
        options = f" size={self.size}" if session.has_extn("size") else ""
        return (
            f"mail from:{envelope_address(self.sender)}{options}\r\n"
            f"rcpt to:{envelope_address(self.recipient)}\r\n"
            "data\r\n"
        ).encode("ascii")


def pipelining(session: smtplib.SMTP) -> bool:
    return bool(session.does_esmtp and session.has_extn("pipelining"))


def send_raw(
    session: smtplib.SMTP,
    sender: str,
    recipient: str,
    raw: bytes,
    *,
    envelope: Envelope | None = None,
    then: Envelope | None = None,
) -> tuple[int, bytes]:
    """Send finished message bytes to one recipient; returns the server's final reply (code and
    text, e.g. (250, b"2.0.0 Ok: queued as 4F3A")). Raises what `sendmail` raises:
    SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError, SMTPServerDisconnected or an
    OSError.

    `envelope`: this message's, if it went ahead with the previous message (`ahead` set).
    `then`: the next message's envelope, written after this message's final dot when the
    server pipelines (its `ahead` is then set, whatever this message's outcome): the next
    call must send that message, or the session must be abandoned."""
    session.ehlo_or_helo_if_needed()
    envelope = envelope or Envelope(sender, recipient, len(raw))
    grouped = pipelining(session)
    if envelope.ahead:
        replies = [session.getreply(), session.getreply(), session.getreply()]
    elif grouped:
        session.send(envelope.commands(session))
        replies = [session.getreply(), session.getreply(), session.getreply()]
    else:
        options = f" size={len(raw)}" if session.does_esmtp and session.has_extn("size") else ""
        mail = f"mail from:{envelope_address(sender)}{options}\r\n"
        rcpt = f"rcpt to:{envelope_address(recipient)}\r\n"
        replies = _in_turn(session, [mail, rcpt, "data\r\n"])
    mail_reply = replies[0]
    rcpt_reply = replies[1] if len(replies) > 1 else None
    data_reply = replies[2] if len(replies) > 2 else None
    if data_reply is not None and data_reply[0] == 354:
        if mail_reply[0] == 250 and rcpt_reply is not None and rcpt_reply[0] in (250, 251):
            return _content(session, raw, then if grouped else None)
        # A pipelining server that answered DATA with 354 although the sender or the
        # recipient was refused waits for a message: an empty one ends the transaction.
        session.send(b"." + CRLF)
        session.getreply()
    _fail(session, sender, recipient, mail_reply, rcpt_reply, data_reply)
    raise AssertionError("unreachable")  # pragma: no cover - _fail always raises


def _content(session: smtplib.SMTP, raw: bytes, then: Envelope | None) -> tuple[int, bytes]:
    """The message after the server's 354, with the next envelope in the same write if there
    is one, then the message's final reply."""
    data = dot_stuffed(raw)
    if then is not None:
        data += then.commands(session)
        then.ahead = True
    session.send(data)
    code, text = session.getreply()
    if code != 250:
        if then is None or code == 421:
            _refused(session, code)
        # Otherwise the transaction is over and the next envelope already on its way: a
        # reset now would land after it and undo it.
        raise smtplib.SMTPDataError(code, text)
    return code, text


def abandon(session: smtplib.SMTP) -> None:
    """Drop a session whose server waits for the content of an envelope sent ahead: closed
    without QUIT (which the server would take as the message's first line), the transaction
    is dropped and nothing is delivered."""
    session.close()


def _in_turn(session: smtplib.SMTP, commands: list[str]) -> list[tuple[int, bytes]]:
    """Without PIPELINING: each command, then its reply, up to the first refusal."""
    replies = []
    for command, accepted in zip(commands, ((250,), (250, 251), (354,)), strict=True):
        session.send(command.encode("ascii"))
        replies.append(session.getreply())
        if replies[-1][0] not in accepted:
            break
    return replies


def _fail(
    session: smtplib.SMTP,
    sender: str,
    recipient: str,
    mail: tuple[int, bytes],
    rcpt: tuple[int, bytes] | None,
    data: tuple[int, bytes] | None,
) -> None:
    """Raise for the first refused command, as `sendmail` would, after closing the session
    (421) or resetting it (any other refusal) so that it can carry the next message."""
    if mail[0] != 250:
        _refused(session, mail[0])
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt is not None and rcpt[0] not in (250, 251):
        _refused(session, rcpt[0])
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
    assert data is not None  # the loop above stops only at a refusal
    _refused(session, data[0])
    raise smtplib.SMTPDataError(data[0], data[1])


def _refused(session: smtplib.SMTP, code: int) -> None:
    if code == 421:
        session.close()
        return
    # A server gone in the meantime shows on the next message's send, as with smtplib.
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        session.rset()
