"""The one settings file. Every deploy-specific value comes from the environment.

Variables are documented in the README ("Configuration"). Parsing is strict: a malformed value
raises ImproperlyConfigured at start-up (see statuspage/env.py).
"""

import ipaddress
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from incidents import languages as public_languages
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
# The public site is translated (gettext catalogs under locale/, see docs/public.md,
# "Languages"); the dashboard, the API and everything else stay in English.
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = list(public_languages.LANGUAGES)
# The languages the public site offers readers (the switcher, Accept-Language, the `/de/`
# prefixes and so the published copy); the page's own default is always offered.
PUBLIC_LANGUAGES = env.subset(
    "PUBLIC_LANGUAGES", tuple(code for code, _ in public_languages.LANGUAGES)
)
LOCALE_PATHS = [BASE_DIR / "locale"]

INSTALLED_APPS = [
    # django.contrib.admin with its sign-in handed to the dashboard's (throttle, two-factor).
    "statuspage.dashboard.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "incidents",
    "notifications",
    "statuspage.monitors",
]

MIDDLEWARE = [
    "statuspage.metrics.MetricsMiddleware",
    "statuspage.logs.RequestIdMiddleware",
    # Which page the request is for (host, /p/<slug>/, default): before any cache lookup and
    # before the language prefix, which follows a page prefix (/p/<slug>/de/...).
    "statuspage.page_routing.PageRoutingMiddleware",
    "statuspage.public_cache.PublicResponseMiddleware",
    # English everywhere unless a public view picks the page's language; /de/... prefixes.
    "statuspage.public.language.PublicLanguageMiddleware",
    # After the cache's fast path (cached documents need no origin), before every view.
    "statuspage.origin.RequestOriginMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions or CSRF run (see STORAGES below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /api/: no CSRF check (keys, not cookies) and JSON errors only (statuspage/api_edge.py).
    "statuspage.api_edge.ApiEdgeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A page that is not public serves nothing without a signed-in reader (statuspage/readers).
    "statuspage.readers.gate.ReaderGateMiddleware",
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
# A PostgreSQL read replica of DATABASE_URL (streaming replication): public renders read from
# it once it has replayed the generation they are cached as; everything else reads the
# primary (statuspage/db_router.py, docs/deployment.md "Several machines").
if env.str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = env.database("DATABASE_REPLICA_URL", default="")
    if not DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL.")
    if DATABASES["default"]["ENGINE"] != DATABASES["replica"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL too.")
    # A replica that stops answering costs a render 2 s once, then is left alone a while.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # The test runner creates no database for it: tests read the primary under that alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Always installed: without a replica it sends everything to the primary.
DATABASE_ROUTERS = ["statuspage.db_router.ReplicaRouter"]

# Redis: unset means the embedded default (jobs run in-process after commit, local-memory cache).
REDIS_URL = env.redis_url("REDIS_URL")
# Built-in monitors (docs/monitors.md): every region of the install (the first is the home
# region, of monitors that name none), and this process's own. A region's workers take the
# queue `monitors` (home) or `monitors-<region>`.
MONITOR_REGIONS = env.list("MONITOR_REGIONS", default=["default"])
MONITOR_REGION = env.choice(
    "MONITOR_REGION", default=MONITOR_REGIONS[0], choices=tuple(MONITOR_REGIONS)
)
MONITOR_QUEUES = ["monitors"] + [f"monitors-{r}" for r in MONITOR_REGIONS[1:]]
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}
    for name in ("default", "notifications", *MONITOR_QUEUES)
}
# incidents/queue.py decides when to enqueue (after commit); django-rq must not defer again.
# Jobs carry the id of the request that enqueued them into the worker's logs.
# The worker loads what every job needs before it forks them (notifications/worker.py).
RQ = {
    "COMMIT_MODE": "auto",
    "JOB_CLASS": "statuspage.logs.RequestIdJob",
    "WORKER_CLASS": "notifications.worker.Worker",
}
# The shared cache may live in a Redis of its own: queues want `noeviction` and AOF, a cache
# wants an eviction policy (docs/deployment.md, "Redis"). Unset: the queues' Redis.
REDIS_CACHE_URL = env.redis_url("REDIS_CACHE_URL") or REDIS_URL
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "statuspage",
            # A cache that stops answering (a partition, not a refusal) must cost a request
            # seconds, not hang it: rate limits and the public cache then carry on without it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Public read path (statuspage/public_cache/): how long shared caches (a CDN) may keep a
# document, and where the last good render of each is kept for when the database is down.
# Links (emails, widget, feeds) use the page's public URL; until an operator sets one, the
# address a request came in on, and outside a request this (the port `make run` serves on).
PORT = env.int("PORT", default=8000, minimum=1)
PUBLIC_URL_DEFAULT = f"http://127.0.0.1:{PORT}"
PUBLIC_MAX_AGE = env.int("PUBLIC_MAX_AGE", default=5, minimum=0)
PUBLIC_STALE_WHILE_REVALIDATE = env.int("PUBLIC_STALE_WHILE_REVALIDATE", default=30, minimum=0)
PUBLIC_STALE_IF_ERROR = env.int("PUBLIC_STALE_IF_ERROR", default=86400, minimum=0)
PUBLIC_SNAPSHOT_DIR = Path(env.str("PUBLIC_SNAPSHOT_DIR", default=str(DATA_DIR / "snapshots")))

# The domain announces published events through this one function (see incidents/events.py).
STATUSPAGE_EVENT_HANDLER = "notifications.services.event_publish"
# ... and each committed public change (its generation) through this one.
STATUSPAGE_GENERATION_HANDLER = "statuspage.publish.services.publish_on_commit"
# Periodic jobs of the project's own apps, run by the notifications scheduler (dotted path,
# queue, seconds): the publish catch-up (a lost enqueue, the page's midnight).
# The monitors' tick enqueues each region's due checks.
MONITOR_TICK_SECONDS = env.int("MONITOR_TICK_SECONDS", default=10, minimum=1)
STATUSPAGE_PERIODIC_JOBS = [
    ("statuspage.publish.jobs.publish_tick", "default", 60),
    ("statuspage.monitors.jobs.monitors_tick", "default", MONITOR_TICK_SECONDS),
    ("statuspage.monitors.jobs.monitors_prune", "default", 3600),
]
# Monitors reach public addresses only, unless these networks (CIDR, comma-separated) are
# allowed: monitoring internal services is legitimate, but a choice of the install.
MONITOR_ALLOWED_NETWORKS = env.networks("MONITOR_ALLOWED_NETWORKS", default=[])
# Checks in flight at once per worker, and how long past a check's timeout its slot's lease
# lasts (after that another worker runs the slot: the first one died).
MONITOR_CONCURRENCY = env.int("MONITOR_CONCURRENCY", default=500, minimum=1)
MONITOR_LEASE_MARGIN_SECONDS = env.int("MONITOR_LEASE_MARGIN_SECONDS", default=5, minimum=1)
# HTTPS checks trust the system's CAs plus these (a PEM file): an internal CA's services can
# be monitored without turning verification off.
MONITOR_CA_FILE = env.str("MONITOR_CA_FILE", default="")
if MONITOR_CA_FILE and not Path(MONITOR_CA_FILE).is_file():
    raise ImproperlyConfigured(f"MONITOR_CA_FILE={MONITOR_CA_FILE!r} is not a file.")

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
# The public site's stylesheet and script (statuspage is a project package, not an app).
STATICFILES_DIRS = [BASE_DIR / "statuspage" / "static"]
# `collectstatic` (the release step) writes each file under a content-hashed name, with gzip and
# Brotli copies, and a manifest (staticfiles.json) mapping names to hashed names; WhiteNoise then
# serves hashed names with a ten-year immutable Cache-Control. Without that manifest (development,
# the test suite, a deploy that skipped collectstatic) the manifest storage would raise on every
# static() call, so the plain storage is used instead and WhiteNoise finds the files in the apps:
# same URLs without the hash, short caching. The choice is made once, at start-up.
STATIC_MANIFEST = STATIC_ROOT / "staticfiles.json"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST.exists()
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST.exists()
if WHITENOISE_USE_FINDERS:
    # WhiteNoise warns when STATIC_ROOT does not exist yet; here that is expected.
    warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Logs: "plain" for people, "json" (one object per line, with request ids) for collectors.
LOG_FORMAT = env.choice("LOG_FORMAT", default="plain", choices=("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "statuspage.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "statuspage.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# /metrics (Prometheus): a bearer token, or client addresses allowed without one.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
]

# HTTPS: set when the site is served over TLS (directly or behind a proxy that terminates it).
HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes come over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31536000, minimum=0)
    # Subdomains of the status host itself (status.example.com), not of the company's domain.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
    # Preloading commits the whole registrable domain to HTTPS in browsers for good: that is the
    # domain owner's decision, so its absence is not reported as a deployment problem.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that overwrites this header; otherwise clients could spoof HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a proxy that overwrites X-Forwarded-For (deploy/nginx.conf): the client's address for
# rate limits and the metrics allow-list is its last entry. Read in one place only,
# notifications.ratelimit.client_address; REMOTE_ADDR itself is left as the server saw it.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

# --- api and widget ---
# The script embed (statuspage/widget): corner and colours of the notice it shows while an
# incident or maintenance is active. An embed may pick its own corner and poll interval with
# data-corner / data-poll-seconds on the <script> tag.
WIDGET_CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")
WIDGET_CORNER = env.choice("WIDGET_CORNER", default="bottom-right", choices=WIDGET_CORNERS)
WIDGET_POLL_SECONDS = env.int("WIDGET_POLL_SECONDS", default=60, minimum=5)
WIDGET_COLORS = {
    "background": env.color("WIDGET_BACKGROUND", default="#ffffff"),
    "text": env.color("WIDGET_TEXT", default="#1d2330"),
    "link": env.color("WIDGET_LINK", default="#1f5fa8"),
}
# --- dashboard ---
# The operator dashboard (statuspage/dashboard, docs/dashboard.md): two-factor with django-otp,
# roles and API keys in statuspage/access, sign-in throttling in the cache, a strict CSP on its
# pages.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "statuspage.access",
    "statuspage.automation",
    "statuspage.readers",
    # The dashboard and the API own no models; besides the dashboard's static files, they stay
    # installed for their migrations, which create the tables statuspage.access,
    # statuspage.automation and incidents adopted (a fresh database runs them all).
    "statuspage.dashboard",
    "statuspage.api",
]
# OTPMiddleware must follow AuthenticationMiddleware: it marks request.user verified or not.
MIDDLEWARE += [
    "django_otp.middleware.OTPMiddleware",
    "statuspage.dashboard.middleware.DashboardSecurityMiddleware",
]
# Argon2 first: new and re-hashed passwords use it; older hashes still verify and upgrade.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "dashboard-login"
LOGIN_REDIRECT_URL = "dashboard-overview"
LOGOUT_REDIRECT_URL = "dashboard-login"
# Sessions end this many seconds after sign-in (default 8 hours: one on-call shift).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
DASHBOARD_REQUIRE_2FA = env.bool("REQUIRE_2FA", default=False)
DASHBOARD_LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
DASHBOARD_LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20, minimum=1)
DASHBOARD_LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900, minimum=1)


def _totp_issuer(device) -> str:
    """Authenticator apps label the account with the page's name (read at device setup)."""
    # Imported at call time: models cannot be imported while settings load.
    from statuspage.access.selectors import totp_issuer

    return totp_issuer(device)


OTP_TOTP_ISSUER = _totp_issuer
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
NOTIFY_UNCONFIRMED_EXPIRE_HOURS = env.int("NOTIFY_UNCONFIRMED_EXPIRE_HOURS", default=48, minimum=1)
NOTIFY_QUARANTINE_PURGE_DAYS = env.int("NOTIFY_QUARANTINE_PURGE_DAYS", default=90, minimum=1)
# The attempt log (one row per try, with the provider's answer) is purged after this.
NOTIFY_ATTEMPT_RETENTION_DAYS = env.int("NOTIFY_ATTEMPT_RETENTION_DAYS", default=30, minimum=1)
SUBSCRIBE_RATE_PER_IP_HOUR = env.int("SUBSCRIBE_RATE_PER_IP_HOUR", default=20, minimum=1)
SUBSCRIBE_RATE_PER_ADDRESS_HOUR = env.int("SUBSCRIBE_RATE_PER_ADDRESS_HOUR", default=3, minimum=1)
# Only tests and closed networks may POST to loopback/private addresses.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10, minimum=1)
# Within that total: the TCP connect, and the wait for the answer's first byte (also the
# longest silence between two reads). Short, so that an endpoint that accepts and never
# answers frees its send slot after 3 s and waits for its retry (docs/notifications.md).
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3, minimum=1)
WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS = env.int(
    "WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS", default=3, minimum=1
)
# HTTP sends in flight per worker (webhooks and chat), on one event loop; an endpoint that
# never answers holds one slot (a socket) for the first-byte timeout, so a worker needs about
# rate x hanging share x 3 s of them. 512 measured (docs/performance.md): 10k webhooks, 10 %
# hanging, 2 workers, 256 slots were full of hanging sockets at about 1,700/s.
NOTIFY_HTTP_CONCURRENCY = env.int("NOTIFY_HTTP_CONCURRENCY", default=512, minimum=1)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
# Reply-To of notification emails ("": none); a page may set its own.
NOTIFY_REPLY_TO = env.str("NOTIFY_REPLY_TO", default="")
# Twilio's REST base URL; overridden only to point the SDK at a local stub in tests.
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")
SMS_MAX_PER_SECOND = env.int("SMS_MAX_PER_SECOND", default=1, minimum=1)

# Management API (/api/v1/): requests per key per minute before 429 + Retry-After.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120, minimum=1)

# --- publishing (docs/publishing.md) ---
# Every public document, rendered after each committed change and written to these targets:
# file:///absolute/directory and/or s3://bucket/prefix, comma-separated. Checked at start-up
# (statuspage/publish/checks.py). S3 credentials come from boto3's own chain
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, a profile or a role).
INSTALLED_APPS += ["statuspage.publish"]
PUBLISH_TARGETS = env.list("PUBLISH_TARGETS", default=[])
# Another S3-compatible service than AWS (R2, MinIO, GCS): its endpoint, e.g.
# https://<account>.r2.cloudflarestorage.com. Empty: AWS.
PUBLISH_S3_ENDPOINT_URL = env.str("PUBLISH_S3_ENDPOINT_URL", default="")
# Empty: boto3's own (AWS_REGION / AWS_DEFAULT_REGION, the profile).
PUBLISH_S3_REGION = env.str("PUBLISH_S3_REGION", default="")
PUBLISH_S3_ADDRESSING_STYLE = env.choice(
    "PUBLISH_S3_ADDRESSING_STYLE", default="auto", choices=("auto", "path", "virtual")
)
# Render only the documents a change touches (and everything when that cannot be told, and
# hourly). False: every publish renders every document, as a safety switch.
PUBLISH_INCREMENTAL = env.bool("PUBLISH_INCREMENTAL", default=True)

# --- upstream providers (docs/upstream.md) ---
# Providers' status pages (Statuspage-compatible summary.json, or an Atom/RSS feed), polled on
# the scheduler; mapped components follow them.
INSTALLED_APPS += ["statuspage.upstream"]
STATUSPAGE_PERIODIC_JOBS += [("statuspage.upstream.jobs.upstream_tick", "default", 30)]
# Private networks (CIDR list) provider URLs may resolve to; empty: public addresses only.
UPSTREAM_ALLOWED_NETWORKS = [
    ipaddress.ip_network(n) for n in env.list("UPSTREAM_ALLOWED_NETWORKS", default=[])
]
# Seconds to connect and for each read of one poll; the answer's size cap in bytes.
UPSTREAM_TIMEOUT_SECONDS = env.int("UPSTREAM_TIMEOUT_SECONDS", default=10, minimum=1)
UPSTREAM_MAX_BYTES = env.int("UPSTREAM_MAX_BYTES", default=2_000_000, minimum=10_000)

# --- readers' single sign-on (docs/pages.md, "Single sign-on (OpenID Connect)") ---
# Per-page OpenID Connect providers for private pages, set in the dashboard.
INSTALLED_APPS += ["statuspage.sso"]
