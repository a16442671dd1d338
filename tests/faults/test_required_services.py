"""REQUIRE_REAL_SERVICES=1 (CI's PostgreSQL + Redis pass, see .ci/run) turns the skips of the
fault and nginx tests into failures: there, a missing service is a broken setup."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.faults.support import real_services_required, unavailable


def test_a_missing_service_skips_by_default(monkeypatch):
    monkeypatch.delenv("REQUIRE_REAL_SERVICES", raising=False)
    assert not real_services_required()
    with pytest.raises(pytest.skip.Exception, match="needs nginx"):
        unavailable("needs nginx")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_a_missing_service_fails_when_the_run_requires_real_services(monkeypatch, value):
    monkeypatch.setenv("REQUIRE_REAL_SERVICES", value)
    with pytest.raises(pytest.fail.Exception, match="needs nginx; REQUIRE_REAL_SERVICES=1"):
        unavailable("needs nginx")


def test_ci_requires_real_services_in_its_postgres_and_redis_pass_only():
    lines = (settings.BASE_DIR / ".ci" / "run").read_text().splitlines()
    runs = [line for line in lines if line.rstrip().endswith("make test")]
    assert len(runs) == 2, runs
    embedded, real = runs
    assert "REQUIRE_REAL_SERVICES" not in embedded and "-u DATABASE_URL" in embedded
    assert real.startswith("REQUIRE_REAL_SERVICES=1 ") and "DATABASE_URL=" in real


def test_a_fault_test_without_its_database_fails_the_run_that_requires_it(tmp_path):
    """The conftest's check, end to end: a PostgreSQL fault test collected on SQLite."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(REQUIRE_REAL_SERVICES="1", DATA_DIR=str(tmp_path))
    target = "tests/faults/test_database_outage.py"
    result = subprocess.run(  # noqa: S603 - our own interpreter and pytest
        [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "REQUIRE_REAL_SERVICES=1 requires it" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert "error" in summary and "passed" not in summary and "skipped" not in summary, summary
