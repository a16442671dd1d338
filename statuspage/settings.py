"""The one settings file. Every deploy-specific value comes from the environment.

Variables are documented in the README ("Configuration"). Parsing is strict: a malformed value
raises ImproperlyConfigured at start-up (see statuspage/env.py).
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from statuspage.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where local state lives on the embedded default: the SQLite file and public snapshots.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))

# The page's time zone: days of the uptime bars and times on the public page use it.
TIME_ZONE = env.time_zone("TIME_ZONE", default="Etc/UTC")
USE_TZ = True
USE_I18N = False
LANGUAGE_CODE = "en-us"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "incidents",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "statuspage.urls"
WSGI_APPLICATION = "statuspage.wsgi.application"

TEMPLATES = [
    {
        # Jinja2 renders everything of ours; templates live in templates/ at the top level.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "statuspage.jinja2.environment"},
    },
    {
        # Kept for the Django admin, which ships Django-language templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

DATABASES = {
    "default": env.database("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite needs its directory; WAL lets the page be read while a write is in progress.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: unset means the embedded default (jobs run in-process after commit, local-memory cache).
REDIS_URL = env.redis_url("REDIS_URL")
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}
    for name in ("default", "notifications")
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "statuspage",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The domain announces published events through this one function (see incidents/events.py).
STATUSPAGE_EVENT_HANDLER = "notifications.services.event_publish"

EMAIL_HOST = env.str("EMAIL_HOST")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="status@localhost")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- notifications ---
# Every variable below is documented in docs/notifications.md.
# Outbox batches: rows one job claims at a time, and the retry policy (the only one).
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=500, minimum=1)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=30, minimum=1)
NOTIFY_LEASE_SECONDS = env.int("NOTIFY_LEASE_SECONDS", default=300, minimum=10)
# SMS costs money: only these event kinds reach SMS subscribers.
NOTIFY_SMS_EVENTS = env.list(
    "NOTIFY_SMS_EVENTS",
    default=["incident.created", "incident.resolved", "maintenance.started"],
)
# Component status changes outside incidents notify only when this is on.
NOTIFY_COMPONENT_CHANGES = env.bool("NOTIFY_COMPONENT_CHANGES", default=False)
NOTIFY_UNCONFIRMED_EXPIRE_HOURS = env.int("NOTIFY_UNCONFIRMED_EXPIRE_HOURS", default=48, minimum=1)
NOTIFY_QUARANTINE_PURGE_DAYS = env.int("NOTIFY_QUARANTINE_PURGE_DAYS", default=90, minimum=1)
SUBSCRIBE_RATE_PER_IP_HOUR = env.int("SUBSCRIBE_RATE_PER_IP_HOUR", default=20, minimum=1)
SUBSCRIBE_RATE_PER_ADDRESS_HOUR = env.int("SUBSCRIBE_RATE_PER_ADDRESS_HOUR", default=3, minimum=1)
# Only tests and closed networks may POST to loopback/private addresses.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10, minimum=1)
# Parallel HTTP sends per batch job (webhooks and chat), so hanging endpoints block no one.
NOTIFY_HTTP_CONCURRENCY = env.int("NOTIFY_HTTP_CONCURRENCY", default=32, minimum=1)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
# Twilio's REST base URL; overridden only to point the SDK at a local stub in tests.
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")
SMS_MAX_PER_SECOND = env.int("SMS_MAX_PER_SECOND", default=1, minimum=1)
