"""Who may open which dashboard view: sign-in, two-factor, and role, checked in one decorator.

Every dashboard view is wrapped in `operator_required(role)`; there is no view without it except
the sign-in and password-reset pages themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, Protocol, TypeAlias, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from incidents import selectors
from statuspage.access.models import Role
from statuspage.access.selectors import has_role, role_of


class DashboardRequest(HttpRequest):
    """A request operator_required let through, for annotations only: no request is of this
    class. Its user is signed in; `_admit` sets the other attributes on the HttpRequest Django
    built, before the view runs. Templates read them too (`request.can_admin`)."""

    user: User
    dashboard_role: Role | None
    # Templates show write controls only to those allowed to use them.
    can_respond: bool
    can_admin: bool
    # Times on the dashboard are entered and shown in the page's time zone.
    page_tz: ZoneInfo


_P = ParamSpec("_P")
# A dashboard view: an admitted request, then the URL's arguments.
DashboardView: TypeAlias = Callable[Concatenate[DashboardRequest, _P], HttpResponseBase]


class OperatorView(Protocol[_P]):
    """What operator_required makes of a view: called with any request (it checks who is
    asking), marked with the role that opens it (`dashboard_role`)."""

    dashboard_role: Role

    def __call__(
        self, request: HttpRequest, /, *args: _P.args, **kwargs: _P.kwargs
    ) -> HttpResponseBase: ...


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
) -> Callable[[DashboardView[_P]], OperatorView[_P]]:
    """`role` opens the view; with `write`, requests other than GET, HEAD and OPTIONS need that
    role instead (pages everyone may read but only some may change)."""

    def decorator(view: DashboardView[_P]) -> OperatorView[_P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponseBase:
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
            admitted = _admit(request)
            with timezone.override(admitted.page_tz):
                return view(admitted, *args, **kwargs)

        # The one place a view becomes an OperatorView: the marker is set here.
        guarded = cast(OperatorView[_P], wrapped)
        guarded.dashboard_role = role
        return guarded

    return decorator


def _admit(request: HttpRequest) -> DashboardRequest:
    """The request of a signed-in operator allowed in, with what views and templates read."""
    # The one place a request becomes a DashboardRequest: the attributes are set here.
    admitted = cast(DashboardRequest, request)
    admitted.dashboard_role = role_of(admitted.user)
    admitted.can_respond = has_role(admitted.user, Role.RESPONDER)
    admitted.can_admin = has_role(admitted.user, Role.ADMIN)
    admitted.page_tz = selectors.page_get().tz
    return admitted


def _forbidden(request: HttpRequest, needed: Role) -> HttpResponseBase:
    # A page that says which role is missing, rather than a bare 403.
    context = {"needed": needed, "role": role_of(request.user)}
    return render(request, "dashboard/403.html", context, status=403)
