"""The client's address behind a reverse proxy.

Rate limits (sign-in, subscribe) and the /metrics allow-list read REMOTE_ADDR. Behind nginx
that is the proxy's address for every client, so one client could exhaust everyone's limits,
and every outside request would look like it came from 127.0.0.1. With TRUST_X_FORWARDED_FOR
on, REMOTE_ADDR is taken from the last X-Forwarded-For entry: the one our own proxy wrote
(deploy/nginx.conf overwrites the header with $remote_addr, so a client cannot supply it).
Off by default: without a proxy that overwrites it, the header is whatever the client sent.
"""

import contextlib
import ipaddress

from django.conf import settings


class ForwardedForMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.TRUST_X_FORWARDED_FOR:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            # Absent or garbage: keep the proxy's own address.
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(last))
        return self.get_response(request)
