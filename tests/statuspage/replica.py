"""A read replica for the tests: a second PostgreSQL database on the test's server, with the
primary's tables, whose rows are copied from the primary when a test calls `sync()`: as a
streaming replica that has replayed up to that moment and then stops, until the next
`sync()`. Between two syncs it lags, which is what the tests need to control."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.apps import apps
from django.db import connections, transaction
from psycopg import sql

from statuspage.db_router import REPLICA


def replica_name(primary: dict) -> str:
    return f"{primary['NAME']}_replica"


def _admin(primary: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=primary.get("HOST") or "127.0.0.1",
        port=primary.get("PORT") or 5432,
        user=primary.get("USER") or "postgres",
        password=primary.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def create(primary: dict) -> None:
    """An empty database beside the primary (its schema: `build_schema`)."""
    drop(primary)
    with _admin(primary) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(replica_name(primary))))


def build_schema() -> None:
    """The primary's tables on the replica, as a replica gets them by replaying the primary
    (the router keeps `migrate` off it). Built from the models, as `migrate --run-syncdb`
    would: a template copy of the test database would need every other connection to it
    closed, a live server's included."""
    with connections[REPLICA].schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)


def drop(primary: dict) -> None:
    with _admin(primary) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(replica_name(primary))
            )
        )


@contextmanager
def registered(**config: object) -> Iterator[None]:
    """The `replica` alias (the primary's settings with `config` over them), as settings add
    it when DATABASE_REPLICA_URL is set. Tests that use it name it in their
    `django_db(databases=...)`, so it must exist before their database setup: it is
    registered by a module-scoped fixture. A mirror of the primary for the test machinery,
    as settings declare it: Django neither flushes nor sets it up (the tests do)."""
    connections.settings[REPLICA] = {
        **copy.deepcopy(connections["default"].settings_dict),
        "TEST": {"MIRROR": "default"},
        **config,
    }
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def _models() -> list:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def sync() -> None:
    """Make the replica hold exactly the primary's committed rows, in one transaction (as a
    replica replays whole transactions). Foreign keys are deferred, so the order is free."""
    models = _models()
    replica = connections[REPLICA]
    with transaction.atomic(using=REPLICA), replica.cursor() as cursor:
        tables = ", ".join(replica.ops.quote_name(m._meta.db_table) for m in models)
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        for model in models:
            rows = list(model._base_manager.using("default").all())
            if rows:
                model._base_manager.using(REPLICA).bulk_create(rows)
