"""The enqueue helper: in-process on the embedded default, real RQ with REDIS_URL."""

import pytest
from django.conf import settings

from incidents import queue

CALLS: list = []


def remember(value):
    CALLS.append(value)
    return value


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


def test_without_redis_jobs_run_in_process_after_commit(
    db, settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue.enqueue_on_commit("tests.incidents.test_queue.remember", 42)
    assert CALLS == []  # nothing runs before the commit
    for callback in callbacks:
        callback()
    assert CALLS == [42]


def test_an_unreachable_redis_is_reported_not_raised_on_commit(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.RQ_QUEUES = {"default": {"URL": settings.REDIS_URL, "SOCKET_CONNECT_TIMEOUT": 1}}
    with django_capture_on_commit_callbacks(execute=True):
        queue.enqueue_on_commit("tests.incidents.test_queue.remember", 1)
    assert "not enqueued" in caplog.text
    with pytest.raises(queue.QueueUnavailable):
        queue.enqueue_now("tests.incidents.test_queue.remember", 1)
    assert queue.queue_is_reachable() is False


@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")
def test_with_redis_jobs_go_through_a_real_queue_and_worker():
    import django_rq
    from rq import SimpleWorker

    q = django_rq.get_queue("default")
    q.empty()
    job = queue.enqueue_now("tests.incidents.test_queue.remember", 7, job_id="test-remember-7")
    assert job.id == "test-remember-7" and CALLS == []  # queued, not run
    SimpleWorker([q], connection=q.connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == 7
    assert queue.queue_is_reachable() is True
