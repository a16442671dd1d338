"""Who may open which dashboard view: sign-in, two-factor, and role, checked in one decorator.

Every dashboard view is wrapped in `operator_required(role)`; there is no view without it except
the sign-in and password-reset pages themselves.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from incidents import selectors
from statuspage.access.models import Role
from statuspage.access.selectors import has_role, role_of


def second_factor_redirect(request):
    """Where a signed-in user must go before any dashboard page, or None.

    A user with a confirmed device must have used it in this session; with REQUIRE_2FA a user
    without one must set it up first."""
    user = request.user
    if user_has_device(user, confirmed=True):
        if user.is_verified():
            return None
        return redirect(f"{reverse('dashboard-2fa-verify')}?{urlencode({'next': request.path})}")
    if settings.DASHBOARD_REQUIRE_2FA:
        return redirect("dashboard-2fa-setup")
    return None


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def operator_required(
    role: Role = Role.VIEWER, *, write: Role | None = None, allow_unverified: bool = False
):
    """`role` opens the view; with `write`, requests other than GET, HEAD and OPTIONS need that
    role instead (pages everyone may read but only some may change)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                login = reverse(settings.LOGIN_URL)
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            if not allow_unverified:
                gate = second_factor_redirect(request)
                if gate is not None:
                    return gate
            needed = role
            if write is not None and request.method not in SAFE_METHODS:
                needed = write
            if not has_role(request.user, needed):
                return _forbidden(request, needed)
            request.dashboard_role = role_of(request.user)
            # Templates show write controls only to those allowed to use them.
            request.can_respond = has_role(request.user, Role.RESPONDER)
            request.can_admin = has_role(request.user, Role.ADMIN)
            # Times on the dashboard are entered and shown in the page's time zone.
            request.page_tz = selectors.page_get().tz
            with timezone.override(request.page_tz):
                return view(request, *args, **kwargs)

        wrapped.dashboard_role = role
        return wrapped

    return decorator


def _forbidden(request, needed: Role):
    # A page that says which role is missing, rather than a bare 403.
    context = {"needed": needed, "role": role_of(request.user)}
    return render(request, "dashboard/403.html", context, status=403)
