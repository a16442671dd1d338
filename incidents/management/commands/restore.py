"""manage.py restore FILE: replace the database with a backup, then migrate and refresh caches."""

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import backup, events


class Command(BaseCommand):
    help = "Restore the database from a backup made by `manage.py backup`. Destroys current data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, file: Path, yes: bool, **options: Any) -> None:
        if not yes:
            answer = input(f"Replace ALL data with {file}? Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            backup.restore(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        # A backup from an older release comes up to the current schema.
        call_command("migrate", interactive=False, verbosity=0)
        generation = backup.after_restore()
        self.stdout.write(self.style.SUCCESS(f"Restored {file}; public generation {generation}."))
        try:
            # The published copies (docs/publishing.md) follow the restored data.
            events.generation_committed(generation)
        except Exception as exc:  # noqa: BLE001 - the restore itself succeeded
            self.stderr.write(self.style.WARNING(f"Publishing after the restore failed: {exc}"))
