"""The Django admin, signed in to only through the dashboard.

The admin's own sign-in form had no throttle and no second factor: a superuser with a
confirmed device got in with the password alone, and wrong passwords there counted toward no
limit. So the admin has no sign-in of its own. /admin/login/ hands over to the dashboard's
(throttled per account and per address, then the code), and every admin page needs what every
dashboard page needs: a session that passed the second factor when the user has a device, or
when REQUIRE_2FA is on (statuspage.dashboard.permissions.second_factor_redirect, the one rule).

Installed in place of "django.contrib.admin" (settings.INSTALLED_APPS), so `admin.site` and
every `@admin.register` use this site.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.sites import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


class AdminConfig(DjangoAdminConfig):
    default_site = "statuspage.dashboard.admin_site.DashboardAdminSite"


class DashboardAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # Imported here: this module is loaded with the app registry, before models are.
        from statuspage.dashboard.permissions import second_factor_redirect

        return super().has_permission(request) and second_factor_redirect(request) is None

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        from statuspage.dashboard.permissions import second_factor_redirect
        from statuspage.dashboard.views.auth import LoginView

        target = self._next(request)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(target)
            if second_factor_redirect(request) is not None:
                # Signed in with the password only: the code first, then back here.
                verify = reverse("dashboard-2fa-verify")
                return redirect(f"{verify}?{urlencode({'next': target})}")
            # Answering with a sign-in page would send them round in a loop: they are signed in.
            raise PermissionDenied("This account may not use the admin.")
        if request.method == "POST":
            # Forms and scripts that still post to the admin's sign-in get the dashboard's
            # form: the same throttle counters, and the second factor before any admin page.
            # Cast: the stubs type a class-based view's answer as any HttpResponseBase; the
            # sign-in view answers with its page (a TemplateResponse) or a redirect.
            return cast(HttpResponse, LoginView.as_view(next_page=target)(request))
        return redirect(f"{reverse('dashboard-login')}?{urlencode({'next': target})}")

    def _next(self, request: HttpRequest) -> str:
        """Where to go after signing in: the admin page asked for, never another site."""
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:index", current_app=self.name)
