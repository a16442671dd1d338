"""An email's bytes, built once per batch and filled in per subscriber.

Every message of an event is the same but for a few values: To, Date, Message-ID (and the
thread headers) and the subscriber's two signed links. Django's mail API builds the MIME tree,
folds and encodes the headers and serialises it for every message, which costs most of a
worker's time. Instead the batch builds one message the ordinary way with unmistakable
placeholders in those places, cuts its bytes at the placeholders, and each message joins the
pieces with its own values.

That is exact only where the values need no encoding of their own, so a value is filled in
only if it is printable ASCII without spaces (nothing for the header folding to fold or to
encode as RFC 2047, no line break to inject a header) and the address is a plain dot-atom
address, the very string Django's `sanitize_address` returns for it: the check subscribe time
made is not made again. Anything else (a non-ASCII address, a link that would make a body line
longer than SMTP allows, a body Django would send quoted-printable) returns None, and that
message, or batch, is built the ordinary way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT, sanitize_address

# The per-message values, by slot name. Placeholders: ASCII, no spaces, never in real text.
TO, DATE, MANAGE, UNSUBSCRIBE = "to", "date", "manage", "unsubscribe"
_SLOT = "x-slot-{}-7f3c9a"
_URL_SLOTS = (MANAGE, UNSUBSCRIBE)
# Header values filled in verbatim: printable ASCII, no space (so never folded or encoded).
_VERBATIM = re.compile(r"[\x21-\x7e]+")
# A dot-atom local part and an ASCII host name: `sanitize_address` returns these unchanged
# (but for an encoded word, "=?utf-8?q?x?=", which it decodes).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# Longer header values than this are left to Django (its folding of them is not copied here).
_LONGEST_VALUE = 900
# compat32's header line length: a longer header line is folded.
_HEADER_LINE = 78
_PLAIN_ADDRESS = re.compile(rf"(?!.*=\?){_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def placeholder(slot: str) -> str:
    if slot in _URL_SLOTS:
        return f"https://{_SLOT.format(slot)}.invalid/"
    if slot == TO:
        return f"{_SLOT.format(slot)}@slot.invalid"
    return _SLOT.format(slot)


@dataclass(frozen=True)
class Fold:
    """A value in a header line: the line is folded (Django's compat32 policy moves a value
    without spaces to a continuation line) when the value is longer than `limit`; the fold
    goes `head` bytes before the value (after "Name: ", before a "<")."""

    limit: int
    head: int


@dataclass(frozen=True)
class MimeTemplate:
    """A message's bytes cut at its per-message values: `pieces[i]` comes before the value of
    `slots[i]`, which is folded as `folds[i]` says if it is in a header; the last piece ends
    the message."""

    pieces: tuple[bytes, ...]
    slots: tuple[str, ...]
    folds: tuple[Fold | None, ...]
    sender: str  # the envelope sender, as Django's SMTP backend gives it
    # The longest link that keeps every body line within SMTP's 998 octets.
    url_budget: int

    def fill(self, values: Mapping[str, str]) -> bytes | None:
        """The message with `values` (slot -> value) in place, or None if one of them needs
        encoding the template cannot give it (then build this message the ordinary way)."""
        if not _PLAIN_ADDRESS.fullmatch(values[TO]):
            return None
        for slot, text in values.items():
            # The Date is this module's own (`date_header`), short and never folded.
            if slot not in (TO, DATE) and not _VERBATIM.fullmatch(text):
                return None
            if len(text) > _LONGEST_VALUE:
                return None
        if max(len(values[MANAGE]), len(values[UNSUBSCRIBE])) > self.url_budget:
            return None
        out: list[bytes] = [self.pieces[0]]
        for slot, fold, piece in zip(self.slots, self.folds, self.pieces[1:], strict=True):
            value = values[slot].encode("ascii")
            if fold is not None and len(value) > fold.limit:
                before = out.pop()
                cut = len(before) - fold.head
                out += [before[:cut], b"\r\n ", before[cut:]]
            out += [value, piece]
        return b"".join(out)


def build_template(
    *,
    subject: str,
    text: str,
    html: str,
    headers: Mapping[str, str],
    slots: Iterable[str],
    from_email: str = "",
) -> MimeTemplate | None:
    """Cut the message Django builds from these parts into a template. Its links are
    `placeholder(MANAGE)` and `placeholder(UNSUBSCRIBE)`; `headers` are the extra headers,
    whose per-message values are `placeholder(slot)` for each of `slots`. None when the
    message's bytes do not allow it."""
    own = tuple(slots)
    # The page's sender (notifications.senders), else the install's.
    from_email = from_email or settings.DEFAULT_FROM_EMAIL
    # Django writes Date right after To when it sets it itself: the same place.
    extra = {"Date": placeholder(DATE), **headers}
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[placeholder(TO)],
        headers=extra,
    )
    if html:
        mail.attach_alternative(html, "text/html")
    # Django's MIME classes take the linesep the standard library's stubs leave out.
    raw: bytes = mail.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    lowered = raw.lower()
    if b"quoted-printable" in lowered or b"base64" in lowered:
        return None  # a body with over-long lines: Django encodes it
    names = (TO, DATE, *_URL_SLOTS, *own)
    by_placeholder = {placeholder(slot).encode(): slot for slot in names}
    # Longest first: no placeholder is cut short by another it starts with.
    pattern = re.compile(b"|".join(re.escape(p) for p in sorted(by_placeholder, key=len)[::-1]))
    pieces: list[bytes] = []
    found: list[str] = []
    start = 0
    ends: list[tuple[int, int]] = []
    for match in pattern.finditer(raw):
        ends.append(match.span())
        pieces.append(raw[start : match.start()])
        found.append(by_placeholder[match.group()])
        start = match.end()
    pieces.append(raw[start:])
    # Each header value once, in its own header (a folded or encoded one would not match).
    if any(found.count(slot) != 1 for slot in (TO, DATE, *own)):
        return None
    folds = [_fold(raw, piece_end) for piece_end in ends]
    for slot, fold in zip(found, folds, strict=True):
        if slot in (TO, DATE, *own) and fold is None:
            return None  # a header value in the body: not a message this module knows
        if fold is not None and len(placeholder(slot)) > fold.limit:
            return None  # the placeholder itself was folded
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    return MimeTemplate(
        pieces=tuple(pieces),
        slots=tuple(found),
        folds=tuple(folds),
        sender=sanitize_address(from_email, encoding),
        url_budget=_url_budget(raw),
    )


def _fold(raw: bytes, span: tuple[int, int]) -> Fold | None:
    """How the value at `span` folds, if it is in the message's header block."""
    start, end = span
    if start > raw.index(b"\r\n\r\n"):
        return None
    line_start = raw.rindex(b"\r\n", 0, start) + 2
    line_end = raw.index(b"\r\n", end)
    name_end = raw.index(b": ", line_start) + 2
    fixed = (start - line_start) + (line_end - end)
    return Fold(limit=_HEADER_LINE - fixed, head=start - name_end)


def _url_budget(raw: bytes) -> int:
    """How long a link may be so that no line carrying links grows past SMTP's limit."""
    budget = RFC5322_EMAIL_LINE_LENGTH_LIMIT
    urls = [placeholder(slot).encode() for slot in _URL_SLOTS]
    for line in raw.split(b"\r\n"):
        count = sum(line.count(url) for url in urls)
        if count:
            fixed = len(line) - sum(line.count(url) * len(url) for url in urls)
            budget = min(budget, (RFC5322_EMAIL_LINE_LENGTH_LIMIT - fixed) // count)
    return budget


_date: tuple[int, str] = (0, "")


def date_header() -> str:
    """The Date header Django would write now; formatted once a second."""
    global _date  # noqa: PLW0603 - a one-entry cache, per process
    second = int(time.time())
    if _date[0] != second:
        _date = (second, formatdate(second, localtime=settings.EMAIL_USE_LOCALTIME))
    return _date[1]
