"""A one-line progress bar for long management commands (import, publish)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Redraws `label: [####....] done/total` on one line of a command's stderr, only when it
    moves. Without a total (unknown length) it shows the count.

    With `eta`, the bar also shows the time left (from the pace so far) and, once full, the
    time it took. `tty=None` asks the stream: a stream that is not a terminal (a log file,
    cron's mail, CI) gets a plain line every `every` seconds and one at the end instead of
    redraws, which such a reader would see as one endless line."""

    WIDTH = 30

    def __init__(
        self,
        stream: OutputWrapper,
        *,
        eta: bool = False,
        tty: bool | None = True,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.last: tuple[str, int] | None = None
        self.eta = eta
        if tty is None:
            isatty = getattr(stream, "isatty", None)
            tty = bool(isatty and isatty())
        self.tty = tty
        self.every = every
        self.clock = clock
        self.started: dict[str, float] = {}
        self.printed: float | None = None

    def __call__(self, label: str, done: int, total: int | None) -> None:
        now = self.clock()
        started = self.started.setdefault(label, now)
        if not self.tty:
            self._line(label, done, total, now - started, now)
            return
        if total:
            filled = int(self.WIDTH * done / total)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}"
            state = (label, filled)
        else:
            # Called when the count moves: each call redraws.
            bar, state = f"{done}", (label, done)
        if state == self.last and done != total:
            return
        self.last = state
        if self.eta and total:
            bar += self._timing(done, total, now - started)
        self.stream.write(f"\r{label}: {bar}", ending="")
        if total and done == total:
            self.stream.write("")
        self.stream.flush()

    def _timing(self, done: int, total: int, elapsed: float) -> str:
        """ " ETA   0:12" while it runs, " in    0:34" once full: one width, so that a redraw
        covers the one before."""
        if done >= total:
            return f" in  {_clock(elapsed):>7}"
        if done == 0:
            return f" ETA {'-:--':>7}"
        return f" ETA {_clock(elapsed / done * (total - done)):>7}"

    def _line(self, label: str, done: int, total: int | None, elapsed: float, now: float) -> None:
        finished = bool(total) and done == total
        if not finished and self.printed is not None and now - self.printed < self.every:
            return
        self.printed = now
        if total:
            text = f"{label}: {done}/{total} ({100 * done // total}%)"
            if self.eta and finished:
                text += f", took {_clock(elapsed)}"
            elif self.eta and done:
                text += f", ETA {_clock(elapsed / done * (total - done))}"
        else:
            text = f"{label}: {done}"
        self.stream.write(text)
        self.stream.flush()


def _clock(seconds: float) -> str:
    """m:ss, or h:mm:ss past an hour."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
