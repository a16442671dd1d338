"""A one-line progress bar for long management commands (import, publish)."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Redraws `label: [####....] done/total` on one line of a command's stderr, only when it
    moves. Without a total (unknown length) it shows the count."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper):
        self.stream = stream
        self.last: tuple[str, int] | None = None

    def __call__(self, label: str, done: int, total: int | None) -> None:
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
        self.stream.write(f"\r{label}: {bar}", ending="")
        if total and done == total:
            self.stream.write("")
        self.stream.flush()
