"""Sign-in throttling per username and per client address (notifications/ratelimit.py).

After LOGIN_FAILURE_LIMIT failures for one username (or LOGIN_IP_FAILURE_LIMIT from one
address) within LOGIN_LOCKOUT_SECONDS, every attempt is refused, even with the right password,
until the window passes. Counting per username stops guessing one account from many addresses;
counting per address stops spraying many accounts from one. The dashboard's sign-in form is the
only caller, and the Django admin signs in through it too (statuspage/dashboard/admin_site.py).

With the cache unreachable the counts go on in each process's memory: sign-in keeps working and
guessing stays bounded (per process) rather than unlimited.
"""

from __future__ import annotations

from django.conf import settings

from notifications import ratelimit


def _rates() -> tuple[ratelimit.Rate, ratelimit.Rate]:
    window = settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS
    return (
        ratelimit.Rate("login-user", settings.DASHBOARD_LOGIN_FAILURE_LIMIT, window),
        ratelimit.Rate("login-address", settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT, window),
    )


def _account(username: str) -> str:
    # "Vera " and "vera" are one account to guess at.
    return username.strip().lower()


def is_locked(username: str, address: str) -> bool:
    per_user, per_address = _rates()
    return ratelimit.exhausted(per_user, _account(username)) or ratelimit.exhausted(
        per_address, address
    )


def record_failure(username: str, address: str) -> None:
    per_user, per_address = _rates()
    ratelimit.hit(per_user, _account(username))
    ratelimit.hit(per_address, address)


def reset(username: str) -> None:
    """A successful sign-in clears the username's count (not the address's: one good account
    must not unlock spraying from that address)."""
    ratelimit.clear(_rates()[0], _account(username))
