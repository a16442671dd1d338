"""The monitor rules as pure functions (table-tested in tests/monitors/test_rules.py): which
slot an instant falls in, what a region concludes from its run of results, and what the
monitor concludes from its regions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from statuspage.monitors.models import Verdict


def slot_of(at: datetime, interval_seconds: int) -> int:
    """Check slots are fixed windows of the epoch, so every worker and region computes the
    same slot for the same instant without asking anyone."""
    return int(at.timestamp()) // interval_seconds


@dataclass(frozen=True)
class RegionCount:
    failures: int
    successes: int
    verdict: str


def region_after(
    count: RegionCount,
    *,
    ok: bool,
    degraded: bool,
    failures_before_down: int,
    successes_before_up: int,
) -> RegionCount:
    """A region's count after one more result. N consecutive bad results (failed, or slow)
    make it down (the latest failed) or degraded (the latest only slow); M consecutive good
    ones make it up. In between, the verdict stays what it was."""
    bad = not ok or degraded
    if not bad:
        successes = count.successes + 1
        verdict = Verdict.UP if successes >= successes_before_up else count.verdict
        return RegionCount(failures=0, successes=successes, verdict=verdict)
    failures = count.failures + 1
    verdict = count.verdict
    if failures >= failures_before_down:
        verdict = Verdict.DOWN if not ok else Verdict.DEGRADED
    return RegionCount(failures=failures, successes=0, verdict=verdict)


def monitor_verdict(current: str, region_verdicts: list[str], required: int) -> str:
    """The monitor's verdict from its regions': it fails when at least `required` regions
    fail (down if `required` of them are down, else degraded), and recovers when at least
    `required` regions are up. Otherwise it keeps its verdict: one flaky vantage point cannot
    flip the page either way."""
    down = sum(v == Verdict.DOWN for v in region_verdicts)
    failing = sum(v in (Verdict.DOWN, Verdict.DEGRADED) for v in region_verdicts)
    up = sum(v == Verdict.UP for v in region_verdicts)
    if failing >= required:
        return Verdict.DOWN if down >= required else Verdict.DEGRADED
    if up >= required:
        return Verdict.UP
    return current


_MISSING = object()


def json_path_value(document: Any, path: str) -> Any:
    """The value at a dotted path ("data.items.0.status"); list items by index. Returns a
    sentinel (`json_path_missing`) when the path leads nowhere."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def json_path_missing(value: Any) -> bool:
    return value is _MISSING


def json_text(value: Any) -> str:
    """How a JSON value compares with the expected text: true/false/null spelled as in JSON,
    numbers and strings as written."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)
