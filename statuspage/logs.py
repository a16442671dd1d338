"""Request ids and structured (JSON) logs.

Every request gets an id (the caller's X-Request-ID when it is sane, else a new one), echoed in
the response and attached to every log record written while the request runs. A job enqueued
while it runs carries the id in its RQ meta and runs with it set (RequestIdJob, the job class
settings.RQ names), so one user's report can be followed through web and worker logs. Jobs
nobody's request enqueued (the periodic relay, the scheduler) log "-".
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re

from rq.job import Job

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _reseed() -> None:
    """A fresh random prefix and counter: at import, and in every forked child (granian's
    workers), so two processes never hand out the same ids."""
    global _prefix, _serial
    _prefix = os.urandom(8).hex()
    _serial = itertools.count()


_prefix: str
_serial: itertools.count[int]
_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    """32 hex digits, unique: this process's random prefix, then a counter. A third of the
    cost of 16 random bytes per request on the cached read path (docs/performance.md, "The
    cached read path against nginx"); ids are labels for logs, not secrets. `next` on a
    count is atomic under the GIL, so threads never share a value."""
    return f"{_prefix}{next(_serial):016x}"


def request_id_for(incoming: str) -> str:
    """The caller's id when it is sane (a proxy in front may have set it), else a new one."""
    return incoming if incoming and _SANE.match(incoming) else new_request_id()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.headers.get("X-Request-ID", ""))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdJob(Job):
    """An RQ job that remembers the request id current when it was created (`meta`) and
    restores it while the worker performs it. The meta travels with the job, so a job that
    enqueues further jobs passes the id on."""

    @classmethod
    def create(cls, *args, **kwargs):
        job = super().create(*args, **kwargs)
        request_id = request_id_var.get()
        if request_id != "-":
            job.meta.setdefault("request_id", request_id)
        return job

    def perform(self):
        token = request_id_var.set(self.meta.get("request_id", "-"))
        try:
            return super().perform()
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
