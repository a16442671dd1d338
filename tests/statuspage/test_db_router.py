"""The database router without a read replica: every read and write goes to the primary.
(With one: tests/statuspage/test_replica.py; with one that does not answer:
tests/statuspage/test_replica_down.py.)"""

from __future__ import annotations

from django.db import router

from incidents.models import Page
from statuspage import db_router
from statuspage.db_router import PRIMARY, REPLICA, ReplicaRouter, replica_reads


def test_without_a_replica_every_read_goes_to_the_primary(db):
    assert not db_router.replica_configured()
    with replica_reads(10**9) as alias:
        assert alias == PRIMARY
        assert router.db_for_read(Page) == PRIMARY
    assert router.db_for_read(Page) == PRIMARY
    assert router.db_for_write(Page) == PRIMARY


def test_migrations_never_run_on_the_replica():
    assert ReplicaRouter().allow_migrate(REPLICA, "incidents", model_name="page") is False
    assert ReplicaRouter().allow_migrate(PRIMARY, "incidents", model_name="page") is True
    assert router.allow_migrate(REPLICA, "incidents", model_name="page") is False
