"""Request ids reach the worker: a job enqueued during a request runs with that request's
id, so what the worker logs for it carries the id the user was shown (X-Request-ID)."""

from __future__ import annotations

import pytest
from django.conf import settings

from incidents.queue import enqueue_now
from statuspage.logs import request_id_var
from tests.faults.support import unavailable

pytestmark = pytest.mark.django_db


def seen_request_id() -> str:
    """A job: the request id its log records get (RequestIdFilter reads this variable)."""
    return request_id_var.get()


def enqueue_and_run(request_id: str | None):
    import django_rq
    from rq import SimpleWorker

    queue = django_rq.get_queue("default")
    queue.empty()
    token = request_id_var.set(request_id) if request_id else None
    try:
        job = enqueue_now("tests.statuspage.test_request_ids.seen_request_id")
    finally:
        if token is not None:
            request_id_var.reset(token)
    # A worker built from the settings, as `manage.py rqworker` builds it (in-process here).
    worker = django_rq.get_worker("default", worker_class=SimpleWorker)
    assert worker.work(burst=True)
    job.refresh()
    return job


@pytest.fixture
def real_queue():
    if not settings.REDIS_URL:
        unavailable("needs REDIS_URL (CI sets it)")
    yield
    import django_rq

    django_rq.get_queue("default").empty()


@pytest.mark.redis
def test_a_job_enqueued_during_a_request_runs_with_its_request_id(real_queue):
    job = enqueue_and_run("req-7f3a")
    assert job.meta["request_id"] == "req-7f3a"
    assert job.return_value() == "req-7f3a"
    assert request_id_var.get() == "-"


@pytest.mark.redis
def test_a_job_nobody_requested_logs_no_request_id(real_queue):
    job = enqueue_and_run(None)
    assert "request_id" not in job.meta
    assert job.return_value() == "-"


def test_without_redis_a_job_runs_inside_the_request_with_its_id(settings):
    settings.REDIS_URL = None
    token = request_id_var.set("req-inline")
    try:
        assert enqueue_now("tests.statuspage.test_request_ids.seen_request_id") == "req-inline"
    finally:
        request_id_var.reset(token)


def test_new_request_ids_are_unique_across_threads_and_processes():
    import os
    import threading

    from statuspage.logs import new_request_id, request_id_for

    seen: list[str] = []

    def take():
        seen.extend(new_request_id() for _ in range(2000))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 16000
    assert all(len(rid) == 32 and request_id_for(rid) == rid for rid in seen)  # sane as sent

    # A forked worker (granian's) hands out ids of its own, not the parent's next ones.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    mine = new_request_id()
    assert len(child) == 32 and child[:16] != mine[:16]
