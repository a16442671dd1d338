"""Settings parsing: a malformed value stops start-up with a message naming the variable."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from statuspage.env import Env


@pytest.mark.parametrize(
    "raw, expected", [("true", True), ("0", False), ("YES", True), ("off", False)]
)
def test_bool_accepts_the_usual_spellings(raw, expected):
    assert Env({"DEBUG": raw}).bool("DEBUG", default=not expected) is expected


def test_bool_rejects_anything_else():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='ture' is not a boolean"):
        Env({"DEBUG": "ture"}).bool("DEBUG", default=False)


def test_unset_or_blank_uses_default():
    assert Env({}).bool("DEBUG", default=True) is True
    assert Env({"DEBUG": "  "}).int("PORT", default=5) == 5


def test_int_rejects_words_and_values_below_minimum():
    with pytest.raises(
        ImproperlyConfigured, match="EMAIL_PORT='twenty-five' is not a whole number"
    ):
        Env({"EMAIL_PORT": "twenty-five"}).int("EMAIL_PORT", default=25)
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        Env({"EMAIL_PORT": "0"}).int("EMAIL_PORT", default=25, minimum=1)


def test_list_splits_and_rejects_empty_items():
    assert Env({"ALLOWED_HOSTS": "a.test, b.test"}).list("ALLOWED_HOSTS", []) == [
        "a.test",
        "b.test",
    ]
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        Env({"ALLOWED_HOSTS": "a.test,,b.test"}).list("ALLOWED_HOSTS", [])


def test_time_zone_must_be_iana():
    assert Env({"TIME_ZONE": "Europe/Berlin"}).time_zone("TIME_ZONE", "Etc/UTC") == "Europe/Berlin"
    with pytest.raises(ImproperlyConfigured, match="not an IANA time zone"):
        Env({"TIME_ZONE": "Mars/Olympus"}).time_zone("TIME_ZONE", "Etc/UTC")


def test_database_url_accepts_sqlite_and_postgres():
    sqlite = Env({}).database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    pg = Env({"DATABASE_URL": "postgres://u:p@db.test:5432/status"}).database("DATABASE_URL", "")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"]) == ("db.test", 5432, "status")


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u@h/db", "must start with sqlite:// or postgres://"),
        ("localhost:5432/db", "must start with"),
        ("postgres://u@host:5432/", "names no database"),
    ],
)
def test_database_url_errors(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        Env({"DATABASE_URL": url}).database("DATABASE_URL", "")


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://h:6379", "must be a redis://"),
        ("redis://:6379/0", "names no host"),
        ("redis://h:port/0", "malformed port"),
    ],
)
def test_redis_url_errors(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        Env({"REDIS_URL": url}).redis_url("REDIS_URL")


def test_redis_url_unset_means_embedded_mode():
    assert Env({}).redis_url("REDIS_URL") is None


def _start(env: dict) -> subprocess.CompletedProcess:
    """Load the real settings module in a fresh interpreter with the given environment."""
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "statuspage.settings"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=base | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = _start({"DEBUG": "false", "DATA_DIR": "/tmp/sp-settings-test"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_refuse_a_malformed_value_at_start_up():
    result = _start({"SECRET_KEY": "x", "DEBUG": "maybe", "DATA_DIR": "/tmp/sp-settings-test"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_settings_start_with_a_secret_key():
    result = _start({"SECRET_KEY": "x", "DATA_DIR": "/tmp/sp-settings-test"})
    assert result.returncode == 0, result.stderr


def test_colours_must_be_hex():
    assert Env({"C": "#1f5fa8"}).color("C", "#fff") == "#1f5fa8"
    with pytest.raises(ImproperlyConfigured, match="not a colour"):
        Env({"C": "red;}</style><script>"}).color("C", "#fff")


def test_choice_names_the_allowed_values():
    with pytest.raises(ImproperlyConfigured, match="must be one of a, b"):
        Env({"X": "c"}).choice("X", default="a", choices=("a", "b"))


def _cache_location(env: dict) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CACHES['default'].get('LOCATION', s.CACHES['default']['BACKEND']))",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "statuspage.settings"}
        | {"SECRET_KEY": "x", "DATA_DIR": "/tmp/sp-settings-test"}
        | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )
    return result.stdout.strip()


def test_the_cache_can_have_a_redis_of_its_own():
    queues = "redis://127.0.0.1:6379/1"
    assert _cache_location({"REDIS_URL": queues}) == queues
    assert (
        _cache_location({"REDIS_URL": queues, "REDIS_CACHE_URL": "redis://cache.internal:6380/0"})
        == "redis://cache.internal:6380/0"
    )
    assert _cache_location({}).endswith("LocMemCache")


def _databases(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({a: [d['ENGINE'], d['NAME'], d.get('TEST', {}).get('MIRROR')] "
            "for a, d in s.DATABASES.items()}))",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "statuspage.settings"}
        | {"SECRET_KEY": "x", "DATA_DIR": "/tmp/sp-settings-test"}
        | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_a_read_replica_is_an_alias_only_when_its_url_is_set():
    import json

    primary = {"DATABASE_URL": "postgres://u@db.internal:5432/status"}
    alone = _databases(primary)
    assert json.loads(alone.stdout) == {
        "default": ["django.db.backends.postgresql", "status", None]
    }, alone.stderr
    both = _databases(primary | {"DATABASE_REPLICA_URL": "postgres://u@replica.internal/status"})
    assert json.loads(both.stdout)["replica"] == [
        "django.db.backends.postgresql",
        "status",
        "default",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "postgres://u@db/status", "DATABASE_REPLICA_URL": "sqlite:////tmp/r"},
            "DATABASE_REPLICA_URL must be a postgres:// URL",
        ),
        (
            {"DATABASE_REPLICA_URL": "postgres://u@replica/status"},
            "DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL too",
        ),
        (
            {"DATABASE_URL": "postgres://u@db/status", "DATABASE_REPLICA_URL": "mysql://r/s"},
            "DATABASE_REPLICA_URL must start with sqlite:// or postgres://",
        ),
    ],
)
def test_a_read_replica_must_be_postgres_beside_postgres(env, message):
    result = _databases(env)
    assert result.returncode != 0
    assert message in result.stderr
