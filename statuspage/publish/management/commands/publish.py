"""manage.py publish [--all]: publish every page to every PUBLISH_TARGETS target now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import selectors
from incidents.management.progress import ProgressBar
from statuspage.publish.render import PublishError
from statuspage.publish.services import Report, publish_all
from statuspage.publish.targets import TargetError


class Command(BaseCommand):
    help = (
        "Publish the page to each PUBLISH_TARGETS target now: render the documents changed "
        "since the last publish (every one when that cannot be told) and write what changed; "
        "--all renders every document and rewrites every object (a new, emptied or damaged "
        "target)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            dest="full",
            help="ignore the targets' manifests and rewrite every object",
        )

    def handle(self, *args: Any, full: bool, **options: Any) -> None:
        # A bar with the time left on a terminal, a plain line every few seconds elsewhere.
        bar = ProgressBar(self.stderr, eta=True, tty=None)
        try:
            reports = publish_all(
                full=full, on_progress=lambda done, total: bar("rendering", done, total)
            )
        except (PublishError, TargetError) as exc:
            raise CommandError(str(exc)) from None
        if not reports:
            raise CommandError("PUBLISH_TARGETS is empty: nothing to publish to.")
        failed = False
        for page, report in zip(selectors.pages_all(), reports, strict=False):
            failed = self.report(page.slug, report) or failed
        if failed:
            raise CommandError("Some targets were not published.")

    def report(self, slug: str, report: Report) -> bool:
        """Writes one page's outcome; True when a target failed."""
        if not report.version:
            self.stdout.write(f"{slug}: no target holds this page.")
            return False
        if report.current:
            self.stdout.write(f"{slug}: every target is current (generation {report.generation}).")
            return False
        if report.version.startswith("withdrawn."):
            self.stdout.write(f"{slug}: not public, withdrawn from the targets")
        elif report.incremental:
            self.stdout.write(
                f"{slug}: rendered {len(report.rendered)} of {report.documents} documents"
                " (what changed)"
            )
        else:
            self.stdout.write(f"{slug}: rendered all {report.documents} documents")
        for outcome in report.outcomes:
            self.stdout.write(
                f"{outcome.target}: {len(outcome.written)} written "
                f"({outcome.bytes_written} bytes), {len(outcome.deleted)} deleted"
            )
        for error in report.errors:
            self.stderr.write(self.style.ERROR(error))
        if not report.errors:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Published {slug} generation {report.generation}: "
                    f"{report.documents} documents."
                )
            )
        return bool(report.errors)
