"""The coverage summary and floors at the end of `make test` (README.md, "Coverage").

Reads the data of `pytest --cov` ([tool.coverage.*] in pyproject.toml; every xdist worker's,
combined), writes the JSON report (var/coverage.json), prints one row per package and the
total, and exits non-zero when a floor is missed:

- the whole project: `fail_under` in [tool.coverage.report] (lines and branches together, as
  coverage's own `coverage report` counts it, so the figure and the floor are the same number);
- incidents/ and notifications/ (the domain and the delivery, where a missed guard costs data):
  at least PACKAGE_BRANCH_FLOORS percent of their branches, each on its own, so a well-covered
  web surface cannot hide an untested guard in the domain.

Run it by hand after `pytest --cov ...`: `.venv/bin/python tests/coverage_floor.py`.
A run of part of the suite misses the floors; the summary is still printed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import coverage
from coverage.results import should_fail_under

# Percent of branches taken both ways, per package, measured on its own.
PACKAGE_BRANCH_FLOORS = {"incidents": 85.0, "notifications": 85.0}


@dataclass
class Tally:
    statements: int = 0
    missed_statements: int = 0
    branches: int = 0
    missed_branches: int = 0

    def add(self, summary: dict[str, int]) -> None:
        self.statements += summary["num_statements"]
        self.missed_statements += summary["num_statements"] - summary["covered_lines"]
        self.branches += summary["num_branches"]
        self.missed_branches += summary["num_branches"] - summary["covered_branches"]

    @staticmethod
    def _percent(covered: int, total: int) -> float:
        return 100.0 * covered / total if total else 100.0

    @property
    def line_percent(self) -> float:
        return self._percent(self.statements - self.missed_statements, self.statements)

    @property
    def branch_percent(self) -> float:
        return self._percent(self.branches - self.missed_branches, self.branches)

    @property
    def percent(self) -> float:
        """Lines and branches together: coverage's own "Cover" column."""
        return self._percent(
            self.statements - self.missed_statements + self.branches - self.missed_branches,
            self.statements + self.branches,
        )


def tally_by_package(files: dict[str, dict]) -> dict[str, Tally]:
    packages: dict[str, Tally] = {}
    for path, measured in files.items():
        package = Path(path).parts[0]
        packages.setdefault(package, Tally()).add(measured["summary"])
    return packages


def print_table(packages: dict[str, Tally], total: Tally) -> None:
    header = f"{'package':<16}{'stmts':>7}{'miss':>7}{'branch':>8}{'miss':>7}"
    header += f"{'lines':>8}{'branches':>10}{'cover':>8}"
    print(header)
    print("-" * len(header))
    rows = [*sorted(packages.items()), ("TOTAL", total)]
    for name, tally in rows:
        if name == "TOTAL":
            print("-" * len(header))
        print(
            f"{name:<16}{tally.statements:>7}{tally.missed_statements:>7}"
            f"{tally.branches:>8}{tally.missed_branches:>7}"
            f"{tally.line_percent:>7.1f}%{tally.branch_percent:>9.1f}%{tally.percent:>7.1f}%"
        )


def floor_misses(
    packages: dict[str, Tally], total_percent: float, cov: coverage.Coverage
) -> list[str]:
    misses = []
    fail_under = float(cov.get_option("report:fail_under"))
    precision = int(cov.get_option("report:precision"))
    if should_fail_under(total_percent, fail_under, precision):
        misses.append(f"whole project: {total_percent:.{precision}f}% < fail_under {fail_under}%")
    for package, floor in PACKAGE_BRANCH_FLOORS.items():
        tally = packages.get(package)
        if tally is None:
            misses.append(f"{package}/: not measured (is it in [tool.coverage.run] source?)")
        elif tally.branch_percent < floor:
            misses.append(
                f"{package}/: {tally.branch_percent:.1f}% of {tally.branches} branches"
                f" < floor {floor}%"
            )
    return misses


def main() -> int:
    cov = coverage.Coverage()
    cov.load()
    # Beside the data file, so a run with its own COVERAGE_FILE (e.g. var/pg/.coverage) gets
    # its own report; by default var/coverage.json, where `coverage json` writes too.
    report_path = Path(str(cov.get_option("run:data_file"))).with_name("coverage.json")
    # The API only reports: fail_under is checked below, after the table, with the package floors.
    total_percent = cov.json_report(outfile=str(report_path))
    report = json.loads(report_path.read_text())

    packages = tally_by_package(report["files"])
    total = Tally()
    for tally in packages.values():
        total.statements += tally.statements
        total.missed_statements += tally.missed_statements
        total.branches += tally.branches
        total.missed_branches += tally.missed_branches

    print("\nCoverage (branch; the pytest processes only; `coverage html` for the details):")
    print_table(packages, total)
    misses = floor_misses(packages, total_percent, cov)
    for miss in misses:
        print(f"Coverage floor missed: {miss}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
