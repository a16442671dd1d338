"""Reads done once per publish: a cache of pure per-page reads, alive only inside
`shared_reads()`.

A publish renders hundreds of documents (each page in every public language) through the
app, one request each, and every one of them reads the same page row, component tree and
status again. Inside `shared_reads()` (the publisher's crawl, statuspage/publish/render.py) a
selector marked `@shared` is run once per distinct set of arguments and its result handed to
every later caller; outside it, which is everywhere else (every ordinary request, job and
command), a `@shared` selector runs as if unmarked, every time.

Only reads whose result depends on nothing but their arguments and the database are marked
(and a few pure functions the documents of every language repeat: a feed entry, Markdown),
and their callers must not change what they get: the documents of one publish then show one
state of the page, read once. The cache lives in a context variable, so it belongs to the
thread (or task) that opened it and ends with the `with` block, even when the block raises.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Hashable, Iterator, Set
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from django.db.models import Model
from django.utils import timezone

from incidents.selectors import scope

P = ParamSpec("P")
R = TypeVar("R")

_reads: ContextVar[dict[Hashable, Any] | None] = ContextVar("shared_reads", default=None)
_instant: ContextVar[datetime | None] = ContextVar("shared_instant", default=None)


class _Unkeyable(Exception):
    """An argument that cannot name a read (a generator, a dict): the call is not shared."""


@contextlib.contextmanager
def shared_reads() -> Iterator[None]:
    """Share `@shared` reads within the block. Nested blocks share the outer block's reads."""
    if _reads.get() is not None:
        yield
        return
    token = _reads.set({})
    instant = _instant.set(timezone.now())
    try:
        yield
    finally:
        _instant.reset(instant)
        _reads.reset(token)


def now() -> datetime:
    """The moment the documents show (today's downtime so far, the days of the page's zone):
    inside `shared_reads()` the one instant the block began at, so every document of a publish
    shows the same moment and the reads that take it (the uptime days) are read once; outside
    it, which is every ordinary request, the clock as it is now."""
    instant = _instant.get()
    return timezone.now() if instant is None else instant


def active() -> bool:
    """Whether reads are shared here (inside `shared_reads()`)."""
    return _reads.get() is not None


def _key(value: object) -> Hashable:
    """A hashable stand-in for an argument: a row by its model and primary key (two Component
    objects of the same row are the same argument), sequences item by item."""
    if isinstance(value, Model):
        return (type(value).__name__, value.pk)
    if isinstance(value, list | tuple):
        return ("seq", tuple(_key(v) for v in value))
    if isinstance(value, Set):  # a set, a frozenset, a dict's keys
        return ("set", frozenset(_key(v) for v in value))
    if isinstance(value, Hashable) and not isinstance(value, Iterator):
        return value
    raise _Unkeyable


def shared(read: Callable[P, R]) -> Callable[P, R]:
    """Mark a pure read: inside `shared_reads()` it runs once per distinct arguments."""
    name = f"{read.__module__}.{read.__qualname__}"

    @functools.wraps(read)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        reads = _reads.get()
        if reads is None:
            return read(*args, **kwargs)
        try:
            key = (
                name,
                # An audience's reads are not another audience's (incidents/selectors/scope.py).
                scope.current(),
                tuple(_key(a) for a in args),
                tuple(sorted((k, _key(v)) for k, v in kwargs.items())),
            )
            hash(key)
        except (_Unkeyable, TypeError):
            return read(*args, **kwargs)
        if key not in reads:
            reads[key] = read(*args, **kwargs)
        result: R = reads[key]
        return result

    return wrapper
