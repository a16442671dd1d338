"""Work a publish leaves for after its documents are visible: deleting the generations it
replaced (targets.DirectoryTarget) and refreshing the origin's last-good snapshots of what it
rendered (statuspage/public_cache.py). Neither is part of what a reader sees, so neither is
part of the publish's wait; both run here, one piece at a time in the order given, on one
thread per process.

A process that ends on its own (a command, a web worker) waits for the thread first. An RQ
work horse leaves with os._exit, which waits for nothing: the publish job calls `wait()`
before it returns. Work lost anyway (a process killed) is made good later: a deletion by the
next publish's, a snapshot by the next render of its document."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_owner = 0


def _pool() -> ThreadPoolExecutor:
    global _executor, _owner
    with _lock:
        # A forked child (an RQ work horse) starts its own: the parent's thread is not in it.
        if _executor is None or _owner != os.getpid():
            _executor = ThreadPoolExecutor(1, thread_name_prefix="publish-after")
            _owner = os.getpid()
        return _executor


def run(work: Callable[[], None]) -> None:
    """Run `work` after the work given before it, on the background thread."""
    _pool().submit(_logged, work)


def wait() -> None:
    """Return once everything given so far has run."""
    _pool().submit(lambda: None).result()


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # noqa: BLE001 - the publish is done; this is housekeeping
        log.exception("publish background work failed")
