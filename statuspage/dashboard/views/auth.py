"""Sign-in, sign-out and password reset: Django's auth views with our templates and throttle."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from statuspage.dashboard.forms.auth import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    template_name = "dashboard/auth/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    # Django's LogoutView accepts POST only, so a link or image cannot sign an operator out.
    template_name = "dashboard/auth/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "dashboard/auth/password_reset.html"
    email_template_name = "dashboard/email/password_reset.txt"
    subject_template_name = "dashboard/email/password_reset_subject.txt"
    success_url = reverse_lazy("dashboard-password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "dashboard/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "dashboard/auth/password_reset_confirm.html"
    success_url = reverse_lazy("dashboard-password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "dashboard/auth/password_reset_complete.html"
