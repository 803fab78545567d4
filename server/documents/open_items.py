"""Open items shared by payables (supplier bills) and receivables (sales invoices).

An open item is a document with a total and a settled amount: ``total − settled`` is what is still
open. Money (payments, receipts) or an opposite document (debit notes, credit notes) settles it
through allocation rows with an effective date. ``settle`` applies allocations with one conditional
``UPDATE … WHERE settled + n <= total`` each, so concurrent settlements can never exceed the total;
``balances_query`` sums, per partner and as of a date, the open documents, the open opposite
documents, the unallocated money and the aging of open documents by due date — in SQL, over
integer fen, counting only what was dated on or before that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Table, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.errors import DomainError
from server.core.numbers import fen_to_decimal
from server.documents.actions import Collector, actor_label, status_event

AGING_BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


@dataclass(frozen=True)
class OpenItemBook:
    """How one side (payables or receivables) names its tables and columns."""

    error_cls: type[DomainError]
    documents: Table  # supplier_bill | sales_invoice
    document_kind: str  # the positive kind: "bill" | "invoice"
    document_type: str  # for status events: "supplier_bill" | "sales_invoice"
    what: str  # object name in messages: "bill" | "invoice"
    party: Table  # supplier | customer
    party_fk: str  # "supplier_id" | "customer_id"
    settled: str  # "paid_fen" | "received_fen"
    date_col: str  # "bill_date" | "invoice_date"
    mismatch: str  # "SUPPLIER_MISMATCH" | "CUSTOMER_MISMATCH"
    allocations: Table  # payment_allocation | receipt_allocation
    document_fk: str  # "bill_id" | "invoice_id"
    opposite_fk: str  # "debit_note_id" | "credit_note_id"
    money: Table  # supplier_payment | customer_receipt
    money_fk: str  # "payment_id" | "receipt_id"
    money_date: str  # "payment_date" | "receipt_date"


async def settle(
    conn: AsyncConnection,
    book: OpenItemBook,
    c: Collector,
    party_id: int,
    allocations,
    principal,
    on: date,
    *,
    field_of_id: str,
    source: dict,
) -> int:
    """Settle open documents of ``party_id``; ``allocations`` are objects with the document id in
    attribute ``field_of_id`` and ``amount`` (yuan). Returns the total allocated in fen."""
    docs, settled = book.documents, book.documents.c[book.settled]
    parsed = []
    for i, a in enumerate(allocations):
        fen = c.money(a.amount, f"allocations.{i}.amount", positive=True)
        if fen is not None:
            parsed.append((i, getattr(a, field_of_id), fen))
    c.raise_if_any()
    id_field = "billId" if book.document_fk == "bill_id" else "invoiceId"
    total = 0
    for i, doc_id, fen in sorted(parsed, key=lambda t: t[1]):  # documents in id order
        doc = (await conn.execute(select(docs).where(docs.c.id == doc_id))).first()
        if doc is None or doc.kind != book.document_kind:
            raise book.error_cls("NOT_FOUND", f"allocations.{i}.{id_field}", what=book.what)
        if doc._mapping[book.party_fk] != party_id:
            raise book.error_cls(book.mismatch, f"allocations.{i}.{id_field}")
        if doc.status != "open":
            raise book.error_cls(
                "INVALID_STATUS", f"allocations.{i}.{id_field}", what=book.what, status=doc.status, action="pay"
            )
        row = (
            await conn.execute(
                update(docs)
                .where(docs.c.id == doc_id, settled + fen <= docs.c.total_fen)
                .values({book.settled: settled + fen})
                .returning(settled, docs.c.total_fen)
            )
        ).first()
        if row is None:
            current = (await conn.execute(select(docs.c.total_fen - settled).where(docs.c.id == doc_id))).scalar_one()
            raise book.error_cls("OVER_PAYMENT", f"allocations.{i}.amount", open=str(fen_to_decimal(current)))
        if row[0] == row[1]:
            await conn.execute(update(docs).where(docs.c.id == doc_id).values(status="paid"))
            await status_event(conn, book.document_type, doc_id, doc.number, "open", "paid", principal)
        await conn.execute(
            book.allocations.insert().values(
                {
                    book.document_fk: doc_id,
                    "amount_fen": fen,
                    "effective_date": on,
                    "actor": actor_label(principal),
                    "at": utcnow(),
                    **source,
                }
            )
        )
        total += fen
    return total


def balances_query(book: OpenItemBook, as_of: date, party_id: int | None = None):
    """Per partner as of the end of ``as_of``: ``documents_open``, ``opposite_open`` (≤ 0),
    ``unallocated`` money, ``balance`` = documents + opposite − unallocated, and the aging buckets."""
    alloc, docs, money = book.allocations, book.documents, book.money
    in_time = alloc.c.effective_date <= as_of
    settled = (
        select(alloc.c[book.document_fk].label("did"), func.sum(alloc.c.amount_fen).label("amount"))
        .where(in_time)
        .group_by(alloc.c[book.document_fk])
        .subquery()
    )
    used_opposite = (
        select(alloc.c[book.opposite_fk].label("did"), func.sum(alloc.c.amount_fen).label("amount"))
        .where(in_time, alloc.c[book.opposite_fk].is_not(None))
        .group_by(alloc.c[book.opposite_fk])
        .subquery()
    )
    used_money = (
        select(alloc.c[book.money_fk].label("mid"), func.sum(alloc.c.amount_fen).label("amount"))
        .where(in_time, alloc.c[book.money_fk].is_not(None))
        .group_by(alloc.c[book.money_fk])
        .subquery()
    )
    is_doc = docs.c.kind == book.document_kind
    open_fen = case(
        (is_doc, docs.c.total_fen - func.coalesce(settled.c.amount, 0)),
        else_=docs.c.total_fen + func.coalesce(used_opposite.c.amount, 0),
    )

    def bucket(cond):
        return func.coalesce(func.sum(case((and_(is_doc, cond), open_fen), else_=0)), 0)

    due = docs.c.due_date
    per_party = (
        select(
            docs.c[book.party_fk].label("pid"),
            func.coalesce(func.sum(case((is_doc, open_fen), else_=0)), 0).label("documents_open"),
            func.coalesce(func.sum(case((is_doc, literal(0)), else_=open_fen)), 0).label("opposite_open"),
            bucket(due >= as_of).label("not_due"),
            bucket(and_(due < as_of, due >= as_of - timedelta(days=30))).label("days_1_30"),
            bucket(and_(due < as_of - timedelta(days=30), due >= as_of - timedelta(days=60))).label("days_31_60"),
            bucket(and_(due < as_of - timedelta(days=60), due >= as_of - timedelta(days=90))).label("days_61_90"),
            bucket(due < as_of - timedelta(days=90)).label("over_90"),
        )
        .select_from(docs)
        .outerjoin(settled, settled.c.did == docs.c.id)
        .outerjoin(used_opposite, used_opposite.c.did == docs.c.id)
        .where(docs.c.status.in_(("open", "paid")), docs.c[book.date_col] <= as_of)
        .group_by(docs.c[book.party_fk])
        .subquery()
    )
    unused = money.c.amount_fen - func.coalesce(used_money.c.amount, 0)
    unallocated = (
        select(money.c[book.party_fk].label("pid"), func.sum(unused).label("amount"))
        .select_from(money)
        .outerjoin(used_money, used_money.c.mid == money.c.id)
        .where(money.c[book.money_date] <= as_of)
        .group_by(money.c[book.party_fk])
        .subquery()
    )
    documents_open = func.coalesce(per_party.c.documents_open, 0)
    opposite_open = func.coalesce(per_party.c.opposite_open, 0)
    money_open = func.coalesce(unallocated.c.amount, 0)
    party = book.party
    q = (
        select(
            party.c.id.label("party_id"),
            party.c.code,
            documents_open.label("documents_open"),
            opposite_open.label("opposite_open"),
            money_open.label("unallocated"),
            (documents_open + opposite_open - money_open).label("balance"),
            *(func.coalesce(per_party.c[b], 0).label(b) for b in AGING_BUCKETS),
        )
        .select_from(party)
        .outerjoin(per_party, per_party.c.pid == party.c.id)
        .outerjoin(unallocated, unallocated.c.pid == party.c.id)
        .where(or_(documents_open != 0, opposite_open != 0, money_open != 0))
        .order_by(party.c.code, party.c.id)
    )
    if party_id is not None:
        q = q.where(party.c.id == party_id)
    return q
