"""One npm install at a time across the suite's processes: `make test` runs pytest-xdist
workers, and two `npm` runs filling one node_modules folder fail each other (ENOTEMPTY)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def npm_lock(folder: Path) -> Iterator[None]:
    """Held while installing into `folder`; the caller checks again, under the lock, whether
    another process installed it meanwhile."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
