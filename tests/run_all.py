"""``make test``: run the suite on SQLite, then on PostgreSQL when reachable; print both summaries."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.dbutil import pg_base_url, pg_reachable


def _pytest(kind: str) -> int:
    env = dict(os.environ, JXC_TEST_DB=kind)
    print(f"\n===== jxc test suite on {kind} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], env=env)


def main() -> int:
    results = {"sqlite": _pytest("sqlite")}
    if asyncio.run(pg_reachable()):
        results["postgres"] = _pytest("postgres")
    elif os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
        print(f"PostgreSQL is required but not reachable at {pg_base_url()}", flush=True)
        results["postgres"] = 1
    else:
        print(f"\nPostgreSQL not reachable at {pg_base_url()}: skipped the PostgreSQL pass", flush=True)
    print("\n===== summary =====")
    for kind, code in results.items():
        print(f"{kind}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
