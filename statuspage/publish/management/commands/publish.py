"""manage.py publish [--all]: publish the page to every PUBLISH_TARGETS target now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.management.progress import ProgressBar
from statuspage.publish.render import PublishError
from statuspage.publish.services import publish_site
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
            report = publish_site(
                full=full, on_progress=lambda done, total: bar("rendering", done, total)
            )
        except (PublishError, TargetError) as exc:
            raise CommandError(str(exc)) from None
        if not report.version:
            raise CommandError("PUBLISH_TARGETS is empty: nothing to publish to.")
        if report.current:
            self.stdout.write(f"Every target is current (generation {report.generation}).")
            return
        rendered = (
            f"rendered {len(report.rendered)} of {report.documents} documents (what changed)"
            if report.incremental
            else f"rendered all {report.documents} documents"
        )
        self.stdout.write(rendered)
        for outcome in report.outcomes:
            self.stdout.write(
                f"{outcome.target}: {len(outcome.written)} written "
                f"({outcome.bytes_written} bytes), {len(outcome.deleted)} deleted"
            )
        for error in report.errors:
            self.stderr.write(self.style.ERROR(error))
        if report.errors:
            raise CommandError("Some targets were not published.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Published generation {report.generation}: {report.documents} documents."
            )
        )
