from __future__ import annotations

import os
from datetime import datetime

import pytest

# tests run jobs themselves; a test server must not start automations behind their back
os.environ.setdefault("JXC_JOBS", "0")
# small pools: the PostgreSQL server is shared with whatever else runs on the machine
os.environ.setdefault("JXC_DB_POOL_SIZE", "3")
os.environ.setdefault("JXC_DB_MAX_OVERFLOW", "5")

from server.auth import throttle
from server.core import clock
from server.core.database import Database

# No test reads the real date: the clock is set before any test module is imported (module-level
# ``TODAY = clock.today()`` sees it) and again before every test. ``make test`` runs the tests marked
# ``dates`` once more on the awkward days (12-31, 01-01, 02-29) through ``JXC_TEST_NOW``.
TEST_ZONE = "Asia/Shanghai"
TEST_NOW = datetime.fromisoformat(os.environ.get("JXC_TEST_NOW", "2026-06-15T10:00:00+08:00"))
clock.set_zone(TEST_ZONE)
clock.set_clock(TEST_NOW)
from tests.dbutil import TestDatabases, backend


def pytest_report_header(config):
    return f"jxc test database: {backend()}; clock set to {TEST_NOW.isoformat()} ({TEST_ZONE})"


@pytest.fixture(autouse=True)
def _test_clock():
    """Every test starts at ``TEST_NOW`` (ticking); a test about dates moves it with ``set_clock``."""
    clock.set_clock(TEST_NOW)
    throttle.reset()  # the sign-in windows are process memory
    yield
    clock.set_clock(TEST_NOW)


def pytest_collection_modifyitems(config, items):
    if backend() != "postgres":
        skip = pytest.mark.skip(reason="needs PostgreSQL (run by `make test` on the PostgreSQL pass)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory):
    dbs = TestDatabases(tmp_path_factory.mktemp("db"))
    dbs.setup()
    yield dbs
    dbs.teardown()


@pytest.fixture
async def db_url(test_databases):
    url = test_databases.fresh_url()
    await test_databases.reset(url)
    yield url


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def gql(db_url):
    from tests.gql import gql_client

    async with gql_client(db_url) as client:
        yield client


@pytest.fixture
async def dbs(db_url):
    """Several independent ``Database`` objects for the concurrency tests (``tests/race.py``)."""
    from tests.race import open_databases

    async with open_databases(db_url) as databases:
        yield databases
