"""The README's create_operator line works as written in a second terminal: no DEBUG and no
SECRET_KEY in that shell (make run sets them for itself only)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.real_clock


def _readme_line() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [line] = re.findall(r"^\s+(.*manage\.py create_operator .*)$", readme, flags=re.M)
    return line.strip()


def test_readme_create_operator_line_works_in_a_fresh_shell(tmp_path):
    # A shell as a new terminal has it: none of the suite's settings, the embedded default.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
    for name in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL"):
        env.pop(name, None)
    env["DATA_DIR"] = str(tmp_path)  # a fresh SQLite file, migrated as make run would
    python = str(Path(sys.executable))
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env={**env, "DEBUG": "true"}, check=True, timeout=300,
    )  # fmt: skip
    words = shlex.split(_readme_line())
    assignments = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
    command = [w for w in words if w not in {f"{k}={v}" for k, v in assignments.items()}]
    assert command[0] == ".venv/bin/python"
    command[0] = python  # the same interpreter, wherever this checkout's venv is
    result = subprocess.run(
        command,
        cwd=ROOT,
        # The password comes from the prompt in a terminal; here from the documented variable.
        env={**env, **assignments, "DJANGO_OPERATOR_PASSWORD": "a long and unusual passphrase"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
