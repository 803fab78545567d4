"""Document numbers, human-readable and gap-free per document type and year (``PO2026-000123``).

The next number is taken with ``UPDATE document_sequence SET last_no = last_no + 1 … RETURNING`` inside
the document's own transaction: the row lock serialises concurrent creators on PostgreSQL (SQLite
serialises writers anyway), and a transaction that rolls back gives its number back, so committed
documents never leave a hole.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.db_types import metadata
from server.core.sql import dialect_insert

document_sequence = Table(
    "document_sequence",
    metadata,
    Column("doc_type", String(8), nullable=False),
    Column("year", Integer, nullable=False),
    Column("last_no", BigInteger, nullable=False),
    PrimaryKeyConstraint("doc_type", "year"),
)


async def next_number(conn: AsyncConnection, doc_type: str, on: date) -> str:
    """The next number of ``doc_type`` in ``on``'s year, e.g. ``PO2026-000001``. Call it inside
    the transaction that creates the document."""
    await conn.execute(
        dialect_insert(conn, document_sequence)
        .values(doc_type=doc_type, year=on.year, last_no=0)
        .on_conflict_do_nothing(index_elements=["doc_type", "year"])
    )
    n = (
        await conn.execute(
            update(document_sequence)
            .where(document_sequence.c.doc_type == doc_type, document_sequence.c.year == on.year)
            .values(last_no=document_sequence.c.last_no + 1)
            .returning(document_sequence.c.last_no)
        )
    ).scalar_one()
    return f"{doc_type}{on.year}-{n:06d}"
