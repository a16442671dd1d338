"""manage.py backup FILE: a consistent copy of the whole database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import backup


class Command(BaseCommand):
    help = "Back up the database to FILE (pg_dump custom format, or an SQLite file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if file.exists():
            raise CommandError(f"{file} exists; choose a new file name.")
        try:
            backup.backup(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Backed up to {file} ({file.stat().st_size} bytes)."))
