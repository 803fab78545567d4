"""What several command groups share: a database for the length of one command."""

from __future__ import annotations


async def with_db(settings, fn):
    from server.core.database import Database

    db = Database(settings.database_url)
    try:
        return await fn(db)
    finally:
        await db.dispose()
