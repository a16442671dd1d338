"""Process trees read from /proc, for the scripts that kill workers on purpose (bench/ and
tests/faults/). RQ's work horse calls setpgrp(), so a signal to the worker's process group
misses the horse, which then finishes its batch as if nothing had happened: what a crash or
an OOM kill does is reached only by signalling every process below the worker. Linux only."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (in parentheses) may hold spaces: the fields follow its last ")".
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL, *, timeout: float = 10) -> bool:
    """Send `sig` to the process and everything below it at once (what an OOM kill or a
    container stop after its grace period does), then wait up to `timeout` seconds until all
    are gone. Returns whether they all went."""
    pids = [proc.pid, *descendants(proc.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    while any(alive(pid) for pid in pids[1:]):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return proc.poll() is not None
