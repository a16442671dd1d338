"""manage.py import_statuspage URL: import the page, components, groups, incidents and
maintenance from any public Statuspage-compatible /api/v2/ (Atlassian Statuspage, or another
install of this app). Idempotent: running it again imports only what is new.

With a management-API key (--api-key, or $STATUSPAGE_API_KEY) it also reads the source's
/v1 incidents for what only they carry: a postmortem's text (docs/import.md).

Everything is fetched before anything is written, and written in one transaction: a source
that fails mid-way (an error status, a document that is not JSON, the network) leaves the
database as it was, and the import can simply be run again."""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from incidents.management.commands import _management_api as management_api
from incidents.management.commands._management_api import HttpStatusError
from incidents.management.progress import ProgressBar
from incidents.services import importing
from incidents.services import importing_restore as restore
from incidents.services.common import history_changed

PAGE_GUARD = 1000  # pages; a source that never ends its lists is broken
# Asked of every list; a source that pages by fewer (or ignores it) is followed all the same.
PER_PAGE = 100


class Command(BaseCommand):
    help = "Import a public Statuspage-compatible page (settings, components and history)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the status page URL, e.g. https://status.example.com")
        parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
        parser.add_argument(
            "--keep-page-settings",
            action="store_true",
            help="keep this page's name, URL, time zone and id instead of the source's",
        )
        parser.add_argument(
            "--api-key",
            help="a management-API key of the source, to import postmortem text too "
            f"(or set ${management_api.KEY_ENV}, which keeps it out of shell history)",
        )
        parser.add_argument(
            "--page-id", help="the source's page id (default: the id its public API gives)"
        )
        parser.add_argument(
            "--api-base",
            help="the source's management API, e.g. https://api.statuspage.io/v1 (default: "
            "the source's own /api/v1 if it is an install of this app, else Statuspage's)",
        )

    def handle(
        self,
        *args: Any,
        url: str,
        timeout: float,
        keep_page_settings: bool,
        api_key: str | None = None,
        page_id: str | None = None,
        api_base: str | None = None,
        **options: Any,
    ) -> None:
        base = url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CommandError("The URL must start with http:// or https://.")
        if not base.endswith("/api/v2"):
            base += "/api/v2"
        self.timeout = timeout
        first: dict[str, importing.Source] = {}
        rows = self._pages(f"{base}/components.json", "components", first)
        incidents = self._pages(f"{base}/incidents.json", "incidents")
        maintenances = self._pages(f"{base}/scheduled-maintenances.json", "scheduled_maintenances")
        report = importing.ImportReport()
        key = api_key or os.environ.get(management_api.KEY_ENV) or None
        if key:
            incidents = importing.postmortems_merge(
                incidents, self._managed(url, key, page_id, api_base, first), report
            )
        page = None if keep_page_settings else first["components"].get("page")
        try:
            with transaction.atomic():
                self._write(page, rows, incidents, maintenances, report)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            # The documents were JSON objects, but something inside lacks the expected shape.
            raise CommandError(
                f"The source's data could not be imported ({type(exc).__name__}: {exc}); "
                "nothing was written."
            ) from None
        self._summary(report)

    def _write(
        self,
        page: importing.Source | None,
        rows: list[importing.Source],
        incidents: list[importing.Source],
        maintenances: list[importing.Source],
        report: importing.ImportReport,
    ) -> None:
        if page is not None and not restore.page_import(page, importing.IMPORT_ACTOR, report):
            page = None
        groups = importing.import_groups(rows, report)
        components = importing.import_components(rows, groups, report)
        replay = importing.replay_steps(incidents, maintenances, components, report)
        for n, (at, step) in enumerate(replay.steps, start=1):
            importing.run_step(at, step, report)
            self._progress("replaying history", n, len(replay.steps))
        for restored in replay.restores:
            restored()
        importing.align_current_statuses(rows, components, report)
        restore.component_times_restore(rows, groups, components)
        if page is not None:
            restore.page_time_restore(page)
        # Imported history fills days that are over: the cached finished days must be recounted
        # even where no replayed change was backdated (a restored start date, a rename).
        history_changed()

    def _managed(
        self,
        url: str,
        key: str,
        page_id: str | None,
        api_base: str | None,
        first: dict[str, importing.Source],
    ) -> list[importing.Source]:
        """The source's incidents as its management API lists them."""
        page = first["components"].get("page")
        page_id = page_id or (page.get("id") if isinstance(page, dict) else None)
        if not isinstance(page_id, str) or not page_id:
            raise CommandError("The source's public API gives no page id: pass --page-id.")
        if api_base and not api_base.startswith(("http://", "https://")):
            raise CommandError("--api-base must start with http:// or https://.")
        base = api_base or management_api.api_base(url, self._json)
        items = management_api.incidents(base, page_id, key, self._json)
        self._progress("fetching postmortems", len(items), None)
        self.stderr.write("")
        return items

    def _get(self, url: str) -> importing.Source:
        data = self._json(url, {})
        if not isinstance(data, dict):
            raise CommandError(f"{url} did not return a JSON object.")
        return data

    def _json(self, url: str, headers: dict[str, str]) -> object:
        """GET `url` and decode its JSON. Error messages name the URL only: the headers may
        hold the management-API key."""
        # The scheme was checked in handle(): only http(s) URLs reach here.
        request = urllib.request.Request(  # noqa: S310
            url, headers={"Accept": "application/json", "User-Agent": "statuspage-import"}
        )
        for name, value in headers.items():
            # Unredirected: a redirect to another host must not carry the key there.
            request.add_unredirected_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise HttpStatusError(url, exc.code, exc.headers.get("Retry-After")) from None
        except (OSError, http.client.HTTPException) as exc:
            # Refused, timed out, or cut off mid-answer (URLError and TimeoutError are
            # OSErrors; a dropped connection or a short body is an HTTPException).
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            raise CommandError(f"{url} could not be reached: {reason}") from None
        except ValueError:
            raise CommandError(f"{url} did not return JSON.") from None

    def _pages(
        self, url: str, key: str, first: dict[str, importing.Source] | None = None
    ) -> list[importing.Source]:
        """Every item of a list endpoint: ?page=1, 2, ... until a page shorter than the first,
        an empty one, or one that only repeats (a source that ignores ?page= and answers
        everything at once). `first` receives the first document (for its `page` object)."""
        items: list[importing.Source] = []
        seen: set[str] = set()
        size = 0
        for number in range(1, PAGE_GUARD):
            page_url = f"{url}?page={number}&per_page={PER_PAGE}"
            document = self._get(page_url)
            if first is not None and number == 1:
                first[key] = document
            batch = document.get(key)
            if batch is None and number > 1:
                break
            if not isinstance(batch, list) or not all(
                isinstance(item, dict) and isinstance(item.get("id"), str) for item in batch
            ):
                raise CommandError(f"{page_url}: `{key}` is not a list of objects with ids.")
            fresh = [item for item in batch if item["id"] not in seen]
            seen.update(item["id"] for item in fresh)
            items += fresh
            if fresh:
                self._progress(f"fetching {key}", len(items), None)
            if not fresh or len(batch) < size:
                break
            size = size or len(batch)
        else:
            raise CommandError(f"{url} did not end after {PAGE_GUARD} pages.")
        self.stderr.write("")
        return items

    def _progress(self, label: str, done: int, total: int | None) -> None:
        """A one-line progress bar on stderr, redrawn only when it moves."""
        if getattr(self, "_bar", None) is None:
            self._bar = ProgressBar(self.stderr)
        self._bar(label, done, total)

    def _summary(self, report: importing.ImportReport) -> None:
        for kind, count in sorted(report.created.items()):
            self.stdout.write(f"imported {count} {kind}(s)")
        for kind, count in sorted(report.skipped.items()):
            self.stdout.write(f"skipped {count} {kind}")
        for problem in report.problems:
            self.stdout.write(self.style.WARNING(f"problem: {problem}"))
        self.stdout.write(self.style.SUCCESS("Import finished."))
