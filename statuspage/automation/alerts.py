"""What monitors tell this install (an alert) and what applying it changed (an outcome)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    status: str
    labels: dict
    annotations: dict
    starts_at: datetime | None = None
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or self.fingerprint


@dataclass
class Outcome:
    matched: int = 0
    unmatched: int = 0
    changes: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"matched": self.matched, "unmatched": self.unmatched, "changes": self.changes}


def group_hash(group_key: str) -> str:
    return hashlib.sha256(group_key.encode()).hexdigest()


def fingerprint_for(labels: dict) -> str:
    """For senders that give none (older Alertmanagers): a stable hash of the label set."""
    blob = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
