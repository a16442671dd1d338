"""manage.py import_statuspage URL: import components, groups, incidents and maintenance from
any public Statuspage-compatible /api/v2/ (Atlassian Statuspage, or another install of this
app). Idempotent: running it again imports only what is new."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.services import importing

PAGE_SIZE_GUARD = 1000  # pages; a source that never returns an empty page is broken


class Command(BaseCommand):
    help = "Import a public Statuspage-compatible page (components and history)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the status page URL, e.g. https://status.example.com")
        parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request")

    def handle(self, *args: Any, url: str, timeout: float, **options: Any) -> None:
        base = url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CommandError("The URL must start with http:// or https://.")
        if not base.endswith("/api/v2"):
            base += "/api/v2"
        self.timeout = timeout
        report = importing.ImportReport()
        rows = self._get(f"{base}/components.json")["components"]
        components = importing.import_components(rows, report)
        incidents = self._pages(f"{base}/incidents.json", "incidents")
        maintenances = self._pages(f"{base}/scheduled-maintenances.json", "scheduled_maintenances")
        steps = importing.replay_steps(incidents, maintenances, components, report)
        for n, (at, step) in enumerate(steps, start=1):
            importing.run_step(at, step, report)
            self._progress("replaying history", n, len(steps))
        importing.align_current_statuses(rows, components, report)
        self._summary(report)

    def _get(self, url: str) -> importing.Source:
        # The scheme was checked in handle(): only http(s) URLs reach here.
        request = urllib.request.Request(  # noqa: S310
            url, headers={"Accept": "application/json", "User-Agent": "statuspage-import"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise CommandError(f"{url} answered HTTP {exc.code}.") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise CommandError(
                f"{url} could not be reached: {getattr(exc, 'reason', exc)}"
            ) from None
        except ValueError:
            raise CommandError(f"{url} did not return JSON.") from None
        if not isinstance(data, dict):
            raise CommandError(f"{url} did not return a JSON object.")
        return data

    def _pages(self, url: str, key: str) -> list[importing.Source]:
        """Page through a list endpoint until an empty page, as Statuspage clients do."""
        items: list[importing.Source] = []
        seen: set[str] = set()
        for page in range(1, PAGE_SIZE_GUARD):
            batch = self._get(f"{url}?page={page}").get(key) or []
            fresh = [item for item in batch if item["id"] not in seen]
            if not fresh:  # empty, or a source that ignores ?page= and repeats itself
                break
            seen.update(item["id"] for item in fresh)
            items += fresh
            self._progress(f"fetching {key}", len(items), None)
        self.stderr.write("")
        return items

    def _progress(self, label: str, done: int, total: int | None) -> None:
        """A one-line progress bar on stderr, redrawn only when it moves."""
        if total:
            filled = int(30 * done / total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
            state = (label, filled)
        else:
            # Called once per fetched page of 50: each call moves the count.
            bar, state = f"{done}", (label, done)
        if state == getattr(self, "_last_progress", None) and done != total:
            return
        self._last_progress = state
        self.stderr.write(f"\r{label}: {bar}", ending="")
        if total and done == total:
            self.stderr.write("")
        sys.stderr.flush()

    def _summary(self, report: importing.ImportReport) -> None:
        for kind, count in sorted(report.created.items()):
            self.stdout.write(f"imported {count} {kind}(s)")
        for kind, count in sorted(report.skipped.items()):
            self.stdout.write(f"skipped {count} {kind}")
        for problem in report.problems:
            self.stdout.write(self.style.WARNING(f"problem: {problem}"))
        self.stdout.write(self.style.SUCCESS("Import finished."))
