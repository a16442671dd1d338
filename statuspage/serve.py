"""The web process: `python -m statuspage.serve` (the Procfile's `web:` line).

Loads deploy/granian.env (granian has no config file of its own, but takes every option from
a GRANIAN_* variable), prepares the metrics directory, then replaces itself with granian
serving statuspage.wsgi:application. Extra arguments are passed on to granian.

Precedence, highest first: GRANIAN_* variables already in the environment; the platform
conventions PORT, WEB_CONCURRENCY and WEB_THREADS; the file.

PROMETHEUS_MULTIPROC_DIR: with several worker processes, each keeps its own counters, so
/metrics would show whichever worker answered the scrape. In prometheus_client's multiprocess
mode each worker writes its figures to files in this directory and /metrics adds them up.
Files left by an earlier run of the server would be added too (and their process ids may
be reused), so the directory is emptied here, before any worker starts.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "granian.env"
APP = "statuspage.wsgi:application"
PLATFORM = {
    "PORT": "GRANIAN_PORT",
    "WEB_CONCURRENCY": "GRANIAN_WORKERS",
    "WEB_THREADS": "GRANIAN_BLOCKING_THREADS",
}
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class ConfigError(Exception):
    pass


def read_config(path: Path) -> dict[str, str]:
    """NAME=value lines; blank lines and lines starting with # are skipped."""
    values = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError(f"{path}:{number}: expected NAME=value, got {raw!r}")
        values[name] = value.strip()
    return values


def environment(current: Mapping[str, str], config: Mapping[str, str]) -> dict[str, str]:
    """The environment granian starts with (see the module docstring for the precedence)."""
    platform = {PLATFORM[name]: value for name, value in current.items() if name in PLATFORM}
    env = {**config, **platform, **current}
    if env.get(METRICS_DIR):
        env[METRICS_DIR] = str(ROOT / env[METRICS_DIR])  # an absolute path stays as it is
    return env


def empty_metrics_dir(path: Path) -> None:
    """Create the directory, or remove the metric files (only those) an earlier run left."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def granian_binary() -> str:
    beside = Path(sys.executable).parent / "granian"
    found = str(beside) if beside.exists() else shutil.which("granian")
    if found is None:
        raise ConfigError("granian is not installed (pip install the project)")
    return found


def main(argv: list[str]) -> None:
    try:
        env = environment(os.environ, read_config(CONFIG))
        binary = granian_binary()
    except (ConfigError, OSError) as exc:
        sys.exit(f"statuspage.serve: {exc}")
    if env.get(METRICS_DIR):
        empty_metrics_dir(Path(env[METRICS_DIR]))
    os.execve(binary, [binary, *argv, APP], env)  # noqa: S606 - granian, from this virtualenv


if __name__ == "__main__":
    main(sys.argv[1:])
