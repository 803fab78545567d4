"""``make test``: run the suite on SQLite, then on PostgreSQL when reachable; then the tests about dates
(marker ``dates``) on SQLite with the clock set to the awkward days; print every summary."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from tests.dbutil import pg_base_url, pg_reachable

TOTALS = {"passed": 0, "failed": 0, "skipped": 0}


# year end, new year, leap day: each has broken date arithmetic somewhere
AWKWARD_DAYS = ("2026-12-31T23:30:00+08:00", "2027-01-01T00:30:00+08:00", "2028-02-29T12:00:00+08:00")


def _pytest(kind: str, *args: str, now: str | None = None) -> int:
    env = dict(os.environ, JXC_TEST_DB=kind)
    if now:
        env["JXC_TEST_NOW"] = now
    print(f"\n===== jxc test suite on {kind}{f' at {now}' if now else ''} =====", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "junit.xml")
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args], env=env
        )
        if os.path.exists(report):
            suite = ET.parse(report).getroot()
            suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
            tests, failures, errors, skipped = (
                int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")
            )
            TOTALS["passed"] += tests - failures - errors - skipped
            TOTALS["failed"] += failures + errors
            TOTALS["skipped"] += skipped
    return code


def main() -> int:
    results = {"sqlite": _pytest("sqlite")}
    if asyncio.run(pg_reachable()):
        results["postgres"] = _pytest("postgres")
    elif os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
        print(f"PostgreSQL is required but not reachable at {pg_base_url()}", flush=True)
        results["postgres"] = 1
    else:
        print(f"\nPostgreSQL not reachable at {pg_base_url()}: skipped the PostgreSQL pass", flush=True)
    for now in AWKWARD_DAYS:
        results[f"sqlite, dates, {now[:10]}"] = _pytest("sqlite", "-m", "dates", now=now)
    print("\n===== summary =====")
    for kind, code in results.items():
        print(f"{kind}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    print(f"jxc: {TOTALS['passed']} passed, {TOTALS['failed']} failed, {TOTALS['skipped']} skipped")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
