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

from incidents.models import Page, default_page_id
from statuspage.access.models import Role
from statuspage.access.selectors import is_owner, pages_of, role_of

# The session remembers the page the operator chose (its id) across requests.
PAGE_SESSION_KEY = "dashboard_page_id"


class DashboardRequest(HttpRequest):
    """A request operator_required let through, for annotations only: no request is of this
    class. Its user is signed in; `_admit` sets the other attributes on the HttpRequest Django
    built, before the view runs. Templates read them too (`request.can_admin`)."""

    user: User
    # The page the operator works on (the header's page switcher chose it): every list,
    # count, form and object lookup of a dashboard view is on this page, and the role is
    # the operator's role on it.
    dashboard_page: Page
    # The pages the switcher offers: those the operator holds a role on, oldest first.
    dashboard_pages: list[Page]
    dashboard_role: Role | None
    # Owners manage every page and may create pages.
    is_owner: bool
    # An install-wide role (not only roles on single pages): sees what belongs to no page.
    install_wide: bool
    # Where the header's "Public page" link leads: the page worked on, not always the default.
    public_page_url: str
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
    dashboard_install: bool

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
    role: Role = Role.VIEWER,
    *,
    write: Role | None = None,
    allow_unverified: bool = False,
    install: bool = False,
) -> Callable[[DashboardView[_P]], OperatorView[_P]]:
    """`role` opens the view; with `write`, requests other than GET, HEAD and OPTIONS need that
    role instead (pages everyone may read but only some may change).

    The role checked is the operator's role on the page they work on; with `install`, their
    install-wide role (views of what belongs to no page: operators, API keys), so an admin of
    one page cannot change what reaches every page."""

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
            pages = list(pages_of(request.user))
            page = chosen_page(request, pages)
            held = role_of(request.user, page) if page is not None else None
            checked = role_of(request.user) if install else held
            if page is None or held is None or checked is None or checked.rank < needed.rank:
                return _forbidden(request, needed, checked)
            admitted = _admit(request, page, pages, checked if install else held)
            with timezone.override(admitted.page_tz):
                return view(admitted, *args, **kwargs)

        # The one place a view becomes an OperatorView: the marker is set here.
        guarded = cast(OperatorView[_P], wrapped)
        guarded.dashboard_role = role
        guarded.dashboard_install = install
        return guarded

    return decorator


def chosen_page(request: HttpRequest, pages: list[Page]) -> Page | None:
    """The page the session chose if the operator still holds a role on it, else their first
    page (the default page for an install-wide role); None when they hold no role at all."""
    wanted = request.session.get(PAGE_SESSION_KEY)
    for page in pages:
        if page.pk == wanted:
            return page
    return pages[0] if pages else None


def _admit(request: HttpRequest, page: Page, pages: list[Page], role: Role) -> DashboardRequest:
    """The request of a signed-in operator allowed in, with what views and templates read."""
    # The one place a request becomes a DashboardRequest: the attributes are set here.
    admitted = cast(DashboardRequest, request)
    admitted.dashboard_page = page
    admitted.dashboard_pages = pages
    admitted.dashboard_role = role
    admitted.is_owner = is_owner(admitted.user)
    admitted.install_wide = role_of(admitted.user) is not None
    admitted.public_page_url = _public_page_url(page, pages, admitted.install_wide)
    admitted.can_respond = role.rank >= Role.RESPONDER.rank
    admitted.can_admin = role.rank >= Role.ADMIN.rank
    admitted.page_tz = page.tz
    return admitted


def _public_page_url(page: Page, pages: list[Page], install_wide: bool) -> str:
    """The page's configured URL; else the site's front page for the default page, and its
    `/p/<slug>/` prefix for any other (served on every host of the install)."""
    if page.url:
        return page.url
    # An install-wide role lists every page, the default (oldest) first: no query then.
    default_id = pages[0].pk if install_wide else default_page_id()
    if page.pk == default_id:
        return reverse("public-index")
    return f"/p/{page.slug}/"


def _forbidden(request: HttpRequest, needed: Role, held: Role | None) -> HttpResponseBase:
    # A page that says which role is missing, rather than a bare 403.
    context = {"needed": needed, "role": held}
    return render(request, "dashboard/403.html", context, status=403)
