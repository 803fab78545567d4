"""Assertions shared by tests: the ledger invariants hold."""

from server.sales.check import verify_ledger


async def assert_ledger_consistent(db) -> None:
    async with db.read() as conn:
        problems = await verify_ledger(conn)
    assert problems == [], problems
