"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with OIDC
on, in its own process and SQLite file (tests/sso/provider/run.py starts it). Configured from
the environment the test fixture sets: the issuer, the RS256 key and the database file."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "provider-test-only-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.sso.provider.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_TEST_DB"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test users only
LOGIN_URL = "/accounts/login/"
USE_TZ = True
# Its own cookie name: the provider and the status page both run on 127.0.0.1 in the tests.
SESSION_COOKIE_NAME = "provider_session"
CSRF_COOKIE_NAME = "provider_csrf"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": os.environ["OIDC_TEST_ISSUER"],
    "OIDC_RSA_PRIVATE_KEY": Path(os.environ["OIDC_TEST_KEY"]).read_text(),
    "PKCE_REQUIRED": True,
    # The live server of the browser tests is http://localhost:<any port>.
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.provider.claims.Validator",
    "SCOPES": {
        "openid": "Sign in",
        "email": "Your email address",
        "profile": "Your name and groups",
    },
}
