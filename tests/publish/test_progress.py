"""The progress of `manage.py publish --all`: a bar with the time left on a terminal, plain
lines every few seconds elsewhere (a log, cron's mail)."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper

from incidents.management.progress import ProgressBar


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_shows_the_count_and_the_time_left():
    out, clock = Terminal(), Clock()
    bar = ProgressBar(OutputWrapper(out), eta=True, tty=None, clock=clock)

    bar("rendering", 0, 40)
    clock.now += 10
    bar("rendering", 10, 40)
    clock.now += 10
    bar("rendering", 20, 40)
    clock.now += 20
    bar("rendering", 40, 40)

    draws = out.getvalue().split("\r")[1:]
    assert draws == [
        f"rendering: [{'.' * 30}] 0/40 ETA    -:--",
        f"rendering: [{'#' * 7}{'.' * 23}] 10/40 ETA    0:30",
        f"rendering: [{'#' * 15}{'.' * 15}] 20/40 ETA    0:20",
        f"rendering: [{'#' * 30}] 40/40 in     0:40\n",
    ]


def test_elsewhere_a_plain_line_every_few_seconds_and_one_at_the_end():
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar(OutputWrapper(out), eta=True, tty=None, every=5, clock=clock)

    for done in range(0, 100):
        bar("rendering", done, 100)
        clock.now += 0.2
    bar("rendering", 100, 100)

    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    # One every 5 s, then the last.
    assert lines == [
        "rendering: 0/100 (0%)",
        "rendering: 25/100 (25%), ETA 0:15",
        "rendering: 50/100 (50%), ETA 0:10",
        "rendering: 75/100 (75%), ETA 0:05",
        "rendering: 100/100 (100%), took 0:20",
    ]


def test_an_hour_and_more_shows_hours():
    out, clock = Terminal(), Clock()
    bar = ProgressBar(OutputWrapper(out), eta=True, clock=clock)
    bar("x", 0, 2)
    clock.now += 3725
    bar("x", 1, 2)
    assert out.getvalue().endswith("ETA 1:02:05")


def test_without_a_total_the_count_alone():
    out = io.StringIO()
    bar = ProgressBar(OutputWrapper(out), tty=False)
    bar("fetching", 50, None)
    assert out.getvalue() == "fetching: 50\n"
