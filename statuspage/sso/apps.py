from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "statuspage.sso"
    label = "sso"
    verbose_name = "Reader single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The readers' sign-in page offers "Sign in with <provider>" for a page that has one.
        from statuspage.readers import providers
        from statuspage.sso import selectors

        providers.register(selectors.sign_in_link)
