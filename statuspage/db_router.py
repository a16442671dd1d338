"""Public renders read from a PostgreSQL read replica, when one is configured.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and this router.
Which reads may go there is decided by the caller, not guessed from the model: a public
render (statuspage/public_cache/ renders every public document: pages, `/api/v2/*`,
feeds, the widget, badges, and the publish job's renders, which go through the same path)
runs inside `replica_reads()`. Everything else reads the primary: the dashboard, the
management API and the subscriber flows (an operator reads what they just wrote), jobs,
and any read inside a transaction (a read that decides a write must see the primary).
Writes always go to the primary, and migrations never run on the replica.

A replica lags. The public cache keys documents on the generation read from the primary,
so a render from a replica that has not yet replayed that generation would be cached (in
process memory, the shared cache, the snapshots and the published targets) as the newer
generation while showing the older state, until the next change. `replica_reads(generation)`
therefore routes to the replica only when the replica's own generation row has reached the
one the document will be keyed on; otherwise (or when the replica cannot be reached) the
render reads the primary. Replication applies transactions in commit order, so a replica
at generation G holds every public change up to G.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, connections
from django.db.models import Model

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"

# Set for the duration of one public render that may read the replica (see replica_reads).
_public_read: ContextVar[bool] = ContextVar("statuspage_public_read", default=False)


def replica_configured() -> bool:
    """Whether a `replica` database alias exists (DATABASE_REPLICA_URL is set)."""
    return REPLICA in connections.settings


def replica_generation(page: int | None = None) -> int:
    """The public generation of the page (None: the default page) the replica has replayed.
    Raises DatabaseError."""
    # Imported at call time: the router is loaded with the settings, before the apps.
    from incidents.models import Page

    # The default page is the oldest, as selectors.page_generation reads it on the primary.
    rows = Page.objects.using(REPLICA)
    rows = rows.order_by("id") if page is None else rows.filter(pk=page)
    return rows.values_list("generation", flat=True)[:1].get()


# After the replica failed to answer, renders read the primary for this long without trying
# it again: each try may cost a connect timeout.
REPLICA_RETRY_SECONDS = 5.0
_down_until = 0.0


def replica_caught_up(generation: int, page: int | None = None) -> bool:
    """Whether the replica holds every public change up to `generation`; False when it is
    behind, or unreachable (the primary answers then: the page stays up)."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        return replica_generation(page) >= generation
    except (DatabaseError, ObjectDoesNotExist) as exc:
        # Unreachable, or not yet holding the page row (a replica being rebuilt).
        log.warning("read replica not used for %s s: %s", REPLICA_RETRY_SECONDS, exc)
        _down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return False


@contextlib.contextmanager
def replica_reads(generation: int, page: int | None = None) -> Iterator[str]:
    """Run one public render: its reads go to the replica when it has caught up to
    `generation` (the generation of `page`, None: the default page, the render will be cached
    as), else to the primary. Yields the alias chosen."""
    use = replica_configured() and replica_caught_up(generation, page)
    token = _public_read.set(use)
    try:
        yield REPLICA if use else PRIMARY
    finally:
        _public_read.reset(token)


class ReplicaRouter:
    """Django's database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model: type[Model], **hints: object) -> str | None:
        if not _public_read.get():
            return PRIMARY
        # A transaction on the primary (a write in progress, select_for_update) reads what it
        # is about to change: from the primary.
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        # The replica holds the same rows as the primary: an object read from one may point
        # to one read from the other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        # The replica replays the primary's schema; it is never migrated itself.
        return db != REPLICA
