from __future__ import annotations

import os

import pytest

# tests run jobs themselves; a test server must not start automations behind their back
os.environ.setdefault("JXC_JOBS", "0")

from server.database import Database
from tests.dbutil import TestDatabases, backend


def pytest_report_header(config):
    return f"jxc test database: {backend()}"


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
