"""Alembic environment: runs the migrations on SQLite or PostgreSQL through the async drivers."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from server.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
        if conn.dialect.name == "sqlite":
            # WAL is a property of the file: set it once here, so that the server's first connections
            # (several at a time) find it set instead of racing to switch it (an instant "database is locked")
            await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    await engine.dispose()


if context.is_offline_mode():  # pragma: no cover
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_main())
