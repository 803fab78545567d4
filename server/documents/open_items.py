"""Open items shared by payables (supplier bills) and receivables (sales invoices).

An open item is a document with a total and a settled amount: ``total − settled`` is what is still
open. Money (payments, receipts) or an opposite document (debit notes, credit notes) settles it
through allocation rows with an effective date. ``settle`` applies allocations with one conditional
``UPDATE … WHERE settled + n <= total`` each, so concurrent settlements can never exceed the total;
``balances_query`` sums, per partner and as of a date, the open documents, the open opposite
documents, the unallocated money and the aging of open documents by due date — in SQL, over
integer fen, counting only what was dated on or before that day.

The actions on top of it serve both sides alike: ``record_money`` (a supplier payment or a customer
receipt, allocated at once; the rest is a prepayment or an advance), ``apply_money`` (allocate that
rest later) and ``apply_opposite`` (offset a debit or credit note against an open document).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, Table, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.principal import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbering import next_number
from server.core.numbers import fen_to_decimal
from server.core.text_limits import collect_length
from server.documents.actions import Collector, actor_label, create_once, lock_row, require_status, status_event
from server.events.journal import append_events
from server.events.types import MoneyApplied

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
    money: Table  # supplier_payment | customer_receipt (its name is the document type of events)
    money_fk: str  # "payment_id" | "receipt_id"
    money_date: str  # "payment_date" | "receipt_date"
    money_what: str  # object name in messages: "payment" | "customer_receipt"
    money_prefix: str  # document numbers: "PP" | "CR"
    money_scope: str  # idempotency scope: "purchase.payment" | "sales.receipt"
    methods: tuple[str, ...]  # the payment methods money may come or go by
    side: str  # "payable" | "receivable" (``MoneyApplied.side``)
    opposite_kind: str  # "debit_note" | "credit_note"

    @property
    def party_field(self) -> str:  # "supplierId" | "customerId"
        return _camel(self.party_fk)

    @property
    def opposite_field(self) -> str:  # "debitNoteId" | "creditNoteId"
        return _camel(self.opposite_fk)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


class Allocation(Protocol):
    """An allocation input: the document id in the attribute named ``OpenItemBook.document_fk``
    (``bill_id`` | ``invoice_id``) and the amount in yuan."""

    @property
    def amount(self) -> str: ...


PERMISSION = "finance.payment"  # who records and applies money


async def settle(
    conn: AsyncConnection,
    book: OpenItemBook,
    c: Collector,
    party_id: int,
    allocations: Iterable[Allocation],
    principal: Principal | None,
    on: date,
    *,
    field_of_id: str,
    source: dict[str, int | None],
) -> int:
    """Settle open documents of ``party_id``; ``allocations`` are objects with the document id in
    attribute ``field_of_id`` and ``amount`` (yuan). Returns the total allocated in fen."""
    docs, settled = book.documents, book.documents.c[book.settled]
    parsed: list[tuple[int, int, int]] = []
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


async def allocate(
    conn: AsyncConnection,
    book: OpenItemBook,
    c: Collector,
    party_id: int,
    allocations: Iterable[Allocation],
    principal: Principal | None,
    on: date,
    *,
    money_id: int | None = None,
    opposite_id: int | None = None,
) -> int:
    """Settle documents with money (``money_id``) or an opposite document (``opposite_id``);
    returns the total allocated in fen."""
    return await settle(
        conn,
        book,
        c,
        party_id,
        allocations,
        principal,
        on,
        field_of_id=book.document_fk,
        source={book.money_fk: money_id, book.opposite_fk: opposite_id},
    )


async def record_money(
    db: Database,
    book: OpenItemBook,
    data: Any,
    principal: Principal | None,
    *,
    party_id: int,
    amount: str,
    method: str,
    on: date | None,
    reference: str,
    allocations: Sequence[Allocation],
    idempotency_key: str | None = None,
) -> int:
    """Record money paid to or received from a partner (``data``: the request, for its idempotency
    key), allocated to documents; what is not allocated stays open as a prepayment or an advance."""
    scope.require(principal, PERMISSION, book.error_cls)
    c = Collector(book.error_cls)
    fen = c.money(amount, "amount", positive=True)
    if method not in book.methods:
        c.add("INVALID_VALUE", "method", detail=" | ".join(book.methods))
    collect_length(c, reference.strip(), book.money.c.reference, "reference")
    c.raise_if_any()
    assert fen is not None  # c.money collected the problem otherwise, and raise_if_any raised it
    money = book.money

    async def record(conn: AsyncConnection) -> int:
        party = book.party
        if (await conn.execute(select(party.c.id).where(party.c.id == party_id))).first() is None:
            raise book.error_cls("NOT_FOUND", book.party_field, what=party.name)
        day = await business_day(conn, on, book.error_cls, _camel(book.money_date))
        number = await next_number(conn, book.money_prefix, day)
        money_id: int = (
            await conn.execute(
                money.insert()
                .values(
                    {
                        "number": number,
                        book.party_fk: party_id,
                        book.money_date: day,
                        "amount_fen": fen,
                        "unallocated_fen": fen,
                        "method": method,
                        "reference": reference.strip(),
                        "actor": actor_label(principal),
                        "created_at": utcnow(),
                    }
                )
                .returning(money.c.id)
            )
        ).scalar_one()
        allocated = await allocate(conn, book, c, party_id, allocations, principal, day, money_id=money_id)
        if allocated > fen:
            raise book.error_cls("OVER_PAYMENT", "allocations", open=str(fen_to_decimal(fen)))
        await conn.execute(update(money).where(money.c.id == money_id).values(unallocated_fen=fen - allocated))
        note_change(
            conn,
            f"{money.name}:{money_id}",
            after={"number": number, "amount_fen": fen, "allocated_fen": allocated, "method": method},
        )
        await status_event(conn, money.name, money_id, number, "", "posted", principal, allocated_fen=allocated)
        return money_id

    return await create_once(book.error_cls, db, book.money_scope, data, idempotency_key, record)


async def apply_money(
    db: Database,
    book: OpenItemBook,
    money_id: int,
    allocations: Sequence[Allocation],
    principal: Principal | None,
    *,
    on: date | None = None,
) -> None:
    """Allocate (part of) a prepayment or an advance to documents, effective ``on`` (default: today;
    never before the money's own date)."""
    scope.require(principal, PERMISSION, book.error_cls)
    c = Collector(book.error_cls)
    money = book.money
    async with db.write() as conn:
        row = await lock_row(book.error_cls, conn, money, money_id, book.money_what)
        party_id: int = row._mapping[book.party_fk]
        day = max(on or clock.today(), row._mapping[book.money_date])
        allocated = await allocate(conn, book, c, party_id, allocations, principal, day, money_id=money_id)
        if allocated > row.unallocated_fen:
            raise book.error_cls("OVER_PAYMENT", "allocations", open=str(fen_to_decimal(row.unallocated_fen)))
        await conn.execute(
            update(money).where(money.c.id == money_id).values(unallocated_fen=row.unallocated_fen - allocated)
        )
        note_change(
            conn,
            f"{money.name}:{money_id}",
            before={"unallocated_fen": row.unallocated_fen},
            after={"unallocated_fen": row.unallocated_fen - allocated},
        )
        await append_events(
            conn,
            [
                MoneyApplied(
                    side=book.side,
                    money_id=money_id,
                    party_id=party_id,
                    amount_fen=allocated,
                    on=day,
                    number=row.number,
                )
            ],
        )


async def apply_opposite(
    db: Database,
    book: OpenItemBook,
    opposite_id: int,
    allocation: Allocation,
    principal: Principal | None,
    *,
    on: date | None = None,
) -> None:
    """Offset an open opposite document (a debit or credit note: what the partner owes back) against
    the open document of ``allocation``, effective ``on`` (default: today)."""
    scope.require(principal, PERMISSION, book.error_cls)
    c = Collector(book.error_cls)
    docs = book.documents
    async with db.write() as conn:
        note = await lock_row(book.error_cls, conn, docs, opposite_id, book.what)
        if note.kind != book.opposite_kind:
            raise book.error_cls("NOT_FOUND", book.opposite_field, what=book.what)
        require_status(book.error_cls, note, ("open",), book.what, "pay")
        fen = c.money(allocation.amount, "amount", positive=True)
        c.raise_if_any()
        assert fen is not None  # c.money collected the problem otherwise, and raise_if_any raised it
        settled: int = note._mapping[book.settled]
        if fen > settled - note.total_fen:
            raise book.error_cls("OVER_PAYMENT", "amount", open=str(fen_to_decimal(settled - note.total_fen)))
        await allocate(
            conn,
            book,
            c,
            note._mapping[book.party_fk],
            [allocation],
            principal,
            max(on or clock.today(), note._mapping[book.date_col]),
            opposite_id=opposite_id,
        )
        values: dict[str, Any] = {book.settled: settled - fen}
        if settled - fen == note.total_fen:
            values["status"] = "paid"
        await conn.execute(update(docs).where(docs.c.id == opposite_id).values(**values))
        note_change(conn, f"{book.document_type}:{opposite_id}", before={book.settled: settled}, after=values)
        if values.get("status") == "paid":
            await status_event(conn, book.document_type, opposite_id, note.number, "open", "paid", principal)


def balances_query(book: OpenItemBook, as_of: date, party_id: int | None = None) -> Select[Any]:
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


def balances_named(
    book: OpenItemBook,
    as_of: date,
    party_id: int | None = None,
    *,
    party: str,
    documents: str,
    opposite: str,
    unallocated: str,
) -> Select[Any]:
    """``balances_query`` with the side's own column names (``supplier_id``, ``bills_open`` …), ordered
    by partner code."""
    q = balances_query(book, as_of, party_id).subquery()
    return select(
        q.c.party_id.label(party),
        q.c.code,
        q.c.documents_open.label(documents),
        q.c.opposite_open.label(opposite),
        q.c.unallocated.label(unallocated),
        q.c.balance,
        *(q.c[b] for b in AGING_BUCKETS),
    ).order_by(q.c.code, q.c.party_id)
