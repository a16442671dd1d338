"""Whole-database backup and restore for the two supported databases.

PostgreSQL goes through pg_dump/pg_restore (custom format: compressed, restorable table by
table); SQLite through its online backup API (consistent while the app keeps running).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Max

from incidents.models import Page


class BackupError(Exception):
    pass


def _pg_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments and environment for a connection's settings."""
    args = ["--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = os.environ | (
        {"PGPASSWORD": settings_dict["PASSWORD"]} if settings_dict.get("PASSWORD") else {}
    )
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # The command is fixed here; only paths and connection settings vary.
        result = subprocess.run(  # noqa: S603
            command, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def backup(path: Path) -> None:
    if connection.vendor == "postgresql":
        args, env = _pg_args(connection.settings_dict)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path), *args], env)
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def restore(path: Path) -> None:
    """Replace the database's contents with the backup at `path`."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    if connection.vendor == "postgresql":
        args, env = _pg_args(connection.settings_dict)
        connections.close_all()  # our own open transaction would block the DROPs
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(path),
            ],
            env,
        )
    elif connection.vendor == "sqlite":
        _check_sqlite_backup(path)
        source = sqlite3.connect(path)
        try:
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        raise BackupError(f"Restoring {connection.vendor} databases is not supported.")


def _check_sqlite_backup(path: Path) -> None:
    """Refuse anything but an SQLite file holding this app's tables: copying an empty or
    foreign database over the live one would destroy it."""
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not an SQLite backup.")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite backup: {exc}") from None
    finally:
        source.close()
    if Page._meta.db_table not in tables:
        raise BackupError(f"{path} is not a backup of this app (no {Page._meta.db_table} table).")


def after_restore() -> int:
    """Move the public generation past every value it ever had, so no cache (shared or in a
    web process) can serve a document cached under a number the restored counter reuses."""
    # Every page's counters: each keys its own documents (services.common.public_changed).
    generation = max(
        Page.objects.aggregate(newest=Max("generation"))["newest"] or 0, int(time.time() * 1000)
    )
    # The finished-day cache keys on the history version the same way.
    Page.objects.update(generation=generation, history_version=generation)
    cache.clear()
    return generation
