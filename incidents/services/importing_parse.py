"""What the importer's steps share: the report, and reading the source's ids and times."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

# The form of every Statuspage id; a source id of another form is not adopted.
PUBLIC_ID = re.compile(r"^[0-9a-z]{12}$")


@dataclass
class Report:
    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1


def when(value: object) -> datetime | None:
    """A time of the source's, or None where it gives none the import can use (absent, not a
    timestamp, or without its offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but impossible, e.g. month 13
        return None
    return parsed if parsed is not None and not timezone.is_naive(parsed) else None
