"""期初建账: the go-live date and the opening entries (domain reference §3, docs/opening.md).

The go-live date is a business setting (``opening.go_live_date``). An opening entry is booked as one
voucher dated the day before go-live, in that day's period — the closing balances of the old books are
the opening balances of the new ones, so the go-live month's statements show them as 期初 and its
income statement stays untouched. ``do_post_opening`` takes, in one transaction:

* opening stock per product, bin and lot at its unit cost (or its exact line value): real stock moves
  through the stock ledger, validated like any receipt (units, lots, serials, expiry), in an operation
  of ``source_type = "opening_balance"`` that the poster leaves to this voucher — Dr 1405 by warehouse;
* open items per customer and supplier (their own document number, date, due date and amount):
  receivables become open sales invoices (Dr 1122), payables open supplier bills (Cr 220201), customer
  advances unapplied customer receipts (Cr 2203) and supplier prepayments unallocated supplier payments
  (Dr 1123). Receipts, payments and applications settle them as usual;
* the balances of every other balance-sheet account (cash, bank, capital, retained earnings …).

Everything is checked first and nothing is written unless all of it is valid and the entry balances
(``OPENING_UNBALANCED``). Accounts fed by stock or open items (the posting-rule roles in
``CONTROLLED_ROLES``) cannot be entered directly (``CONTROLLED_ACCOUNT``), profit-and-loss accounts
have no opening balance. Several opening entries may be posted (e.g. a correction) until the first
accounting period is closed; from then on nothing about the opening changes (``OPENING_LOCKED``).
``jxc check`` ties the result out like any other booking: 1405 equals the stock ledger's value per
warehouse, 1122/2202/2203/1123 equal the open items per partner, the trial balance balances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.principal import Principal
from server.core.audit import note_change
from server.core.business_settings import read_setting, write_setting
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError, ErrorDetail
from server.core.numbers import fen_to_decimal
from server.documents.actions import Collector, actor_label
from server.finance.ledger import Line, VoucherSpec, books_standard, rule_accounts, write_voucher
from server.finance.models import account, accounting_period, voucher
from server.inventory.models import location
from server.inventory.services import RECEIPT, StockLine, post_document_moves
from server.opening.errors import OpeningError
from server.partners.models import customer, supplier
from server.purchasing.models import supplier_bill, supplier_payment
from server.sales.models import customer_receipt, sales_invoice

PERMISSION = "finance.admin"
GO_LIVE_KEY = "opening.go_live_date"
IMPORTED_KEY = "opening.imported_files"  # {sha256 of an imported file: when}
SOURCE_TYPE = "opening_balance"
NUMBER_MAX = 20  # the documents' number columns
MEMO_MAX = 200  # voucher.memo
# roles whose accounts take their opening balance from stock or open items, never from an account line
CONTROLLED_ROLES = ("inventory", "receivable", "payable", "goods_not_billed", "supplier_prepayment", "customer_advance")
PROFIT_AND_LOSS = ("revenue", "expense")  # account categories without an opening balance

# open-item kind → (partner table, posting-rule role, the side of the opening entry it sits on)
ITEM_KINDS = {
    "receivable": (customer, "receivable", "debit"),
    "payable": (supplier, "payable", "credit"),
    "customer_advance": (customer, "customer_advance", "credit"),
    "supplier_prepayment": (supplier, "supplier_prepayment", "debit"),
}
ITEM_TABLES = {
    "receivable": sales_invoice,
    "payable": supplier_bill,
    "customer_advance": customer_receipt,
    "supplier_prepayment": supplier_payment,
}


@dataclass
class OpeningStock:
    """Stock on the shelf at go-live: ``unit_cost`` per unit of ``unit_id`` (default base unit), or the
    line's exact ``amount`` in yuan (as the old books value it)."""

    product_id: int
    location_id: int
    quantity: str | Decimal
    unit_cost: str | Decimal | None = None
    amount: str | Decimal | None = None
    unit_id: int | None = None
    lot: str | None = None
    expiry_date: date | None = None


@dataclass
class OpeningItem:
    """An open item of the old books: ``kind`` is one of ``ITEM_KINDS``; ``partner_id`` a customer for
    receivables and advances, a supplier for payables and prepayments."""

    kind: str
    partner_id: int
    number: str
    document_date: date
    amount: str | Decimal
    due_date: date | None = None  # receivables and payables; default: the document date


@dataclass
class OpeningAccount:
    account: str
    debit: str | Decimal = "0"
    credit: str | Decimal = "0"


@dataclass
class OpeningInput:
    stock: list[OpeningStock] = field(default_factory=list)
    items: list[OpeningItem] = field(default_factory=list)
    accounts: list[OpeningAccount] = field(default_factory=list)
    memo: str = ""


@dataclass(frozen=True)
class OpeningStatus:
    go_live_date: date | None
    locked: bool  # a period is closed: nothing about the opening changes any more
    entries: tuple[int, ...]  # the opening vouchers, in order


async def go_live_date(conn: AsyncConnection) -> date | None:
    raw = await read_setting(conn, GO_LIVE_KEY, None)
    return None if raw is None else date.fromisoformat(raw)


async def _locked(conn: AsyncConnection) -> bool:
    q = select(accounting_period.c.period).where(accounting_period.c.status == "closed").limit(1)
    return (await conn.execute(q)).first() is not None


async def _entries(conn: AsyncConnection) -> tuple[int, ...]:
    q = select(voucher.c.id).where(voucher.c.source_type == SOURCE_TYPE).order_by(voucher.c.id)
    return tuple((await conn.execute(q)).scalars())


async def opening_status(db: Database) -> OpeningStatus:
    async with db.read() as conn:
        return OpeningStatus(await go_live_date(conn), await _locked(conn), await _entries(conn))


async def do_set_go_live_date(db: Database, on: date, principal: Principal | None) -> None:
    """Set the go-live date (启用日期); it cannot move once an opening entry is posted or a period closed."""
    scope.require(principal, PERMISSION, OpeningError)
    async with db.write() as conn:
        if await _locked(conn):
            raise OpeningError("OPENING_LOCKED", "goLiveDate")
        before = await go_live_date(conn)
        if before == on:
            return
        if await _entries(conn):
            raise OpeningError("GO_LIVE_FIXED", "goLiveDate")
        await write_setting(conn, GO_LIVE_KEY, on.isoformat(), actor_label(principal))
        note_change(
            conn,
            "setting:opening",
            before={"go_live_date": before.isoformat() if before else None},
            after={"go_live_date": on.isoformat()},
        )


def _check_accounts(c: Collector, data: OpeningInput, chart: dict, controlled: set[str]) -> list[Line]:
    lines = []
    for i, a in enumerate(data.accounts):
        code = a.account.strip()
        debit = c.money(a.debit, f"accounts.{i}.debit")
        credit = c.money(a.credit, f"accounts.{i}.credit")
        row = chart.get(code)
        if row is None:
            c.add("NOT_FOUND", f"accounts.{i}.account", what="科目", what_en="Account")
        elif any(code == x or x.startswith(code) or code.startswith(x) for x in controlled):
            c.add("CONTROLLED_ACCOUNT", f"accounts.{i}.account", code=code)
        elif row.category in PROFIT_AND_LOSS:
            c.add("PROFIT_AND_LOSS_ACCOUNT", f"accounts.{i}.account", code=code)
        elif not row.is_leaf:
            c.add("NOT_A_LEAF_ACCOUNT", f"accounts.{i}.account", code=code)
        elif debit is not None and credit is not None:
            if (debit == 0) == (credit == 0):
                c.add("DEBIT_OR_CREDIT", f"accounts.{i}")
            else:
                lines.append(Line(code, debit=debit, credit=credit, memo="期初余额 opening balance"))
    return lines


async def _check_items(
    conn: AsyncConnection, c: Collector, data: OpeningInput, go_live: date
) -> list[tuple[int, OpeningItem, int, str]]:
    """Valid open items as (index, item, amount in fen, number)."""
    kinds = {k: [it.partner_id for it in data.items if it.kind == k] for k in ITEM_KINDS}
    known = {
        k: set((await conn.execute(select(t.c.id).where(t.c.id.in_(ids)))).scalars()) if ids else set()
        for k, ids in kinds.items()
        for t in [ITEM_KINDS[k][0]]
    }
    taken: dict[str, set[str]] = {}
    for k, table in ITEM_TABLES.items():
        numbers = {it.number.strip() for it in data.items if it.kind == k}
        taken[k] = (
            set((await conn.execute(select(table.c.number).where(table.c.number.in_(numbers)))).scalars())
            if numbers
            else set()
        )
    seen: set[tuple[str, str]] = set()
    valid = []
    for i, it in enumerate(data.items):
        fen = c.money(it.amount, f"items.{i}.amount", positive=True)
        number = it.number.strip()
        if it.kind not in ITEM_KINDS:
            c.add("INVALID_VALUE", f"items.{i}.kind", detail=it.kind)
            continue
        ok = True
        if it.partner_id not in known[it.kind]:
            what = ("客户", "Customer") if ITEM_KINDS[it.kind][0] is customer else ("供应商", "Supplier")
            ok = c.check(False, "NOT_FOUND", f"items.{i}.partnerId", what=what[0], what_en=what[1])
        if not 1 <= len(number) <= NUMBER_MAX:
            ok = c.check(False, "INVALID_VALUE", f"items.{i}.number", detail=f"1–{NUMBER_MAX} characters / 字符")
        elif number in taken[it.kind] or (it.kind, number) in seen:
            ok = c.check(False, "DUPLICATE_CODE", f"items.{i}.number", code=number)
        seen.add((it.kind, number))
        if it.document_date >= go_live:
            ok = c.check(False, "DATE_NOT_BEFORE_GO_LIVE", f"items.{i}.documentDate", go_live=go_live.isoformat())
        if it.due_date is not None and it.due_date < it.document_date:
            ok = c.check(False, "DUE_BEFORE_DATE", f"items.{i}.dueDate")
        if ok and fen is not None:
            valid.append((i, it, fen, number))
    return valid


def _stock_lines(c: Collector, data: OpeningInput) -> list[StockLine]:
    lines = []
    for i, s in enumerate(data.stock):
        value = None
        if s.amount is not None:
            value = c.money(s.amount, f"stock.{i}.amount")
        elif s.unit_cost is None:
            c.add("REQUIRED", f"stock.{i}.unitCost")
        lines.append(
            StockLine(
                product_id=s.product_id,
                quantity=s.quantity,
                location_id=s.location_id,
                unit_id=s.unit_id,
                lot_code=(s.lot or "").strip() or None,
                expiry_date=s.expiry_date,
                unit_cost=None if s.amount is not None else s.unit_cost,
                value_fen=value,
            )
        )
    return lines


def _stock_field(f: str) -> str:
    return "stock" + f[len("lines") :] if f.startswith("lines") else f


class _DryRun(Exception):
    """Raised inside the write transaction of a dry run, so that everything it wrote rolls back."""


async def do_post_opening(
    db: Database,
    data: OpeningInput,
    principal: Principal | None,
    *,
    dry_run: bool = False,
    file_digest: str | None = None,
) -> int | None:
    """Post an opening entry (see the module docstring); returns its voucher id. ``dry_run`` checks all
    of it — the stock through the ledger, the balance — in a transaction that is rolled back (``None``).
    ``file_digest`` names an imported file: the same file again is ``ALREADY_IMPORTED``."""
    try:
        return await _post_opening(db, data, principal, dry_run, file_digest)
    except _DryRun:
        return None


async def _post_opening(
    db: Database, data: OpeningInput, principal: Principal | None, dry_run: bool, file_digest: str | None
) -> int:
    scope.require(principal, PERMISSION, OpeningError)
    c = Collector(OpeningError)
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":  # one opening entry at a time (SQLite: one writer anyway), so
            # the same file committed twice at once is ALREADY_IMPORTED the second time, never booked twice
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('jxc.opening'))"))
        await books_standard(conn)
        go_live = await go_live_date(conn)
        if go_live is None:
            raise OpeningError("GO_LIVE_NOT_SET", "goLiveDate")
        if await _locked(conn):
            raise OpeningError("OPENING_LOCKED")
        if not (data.stock or data.items or data.accounts):
            raise OpeningError("NOTHING_TO_POST")
        imported: dict[str, str] = await read_setting(conn, IMPORTED_KEY, {})
        if file_digest is not None and file_digest in imported:
            raise OpeningError("ALREADY_IMPORTED", "file", at=imported[file_digest])
        rules = await rule_accounts(conn)
        controlled = {rules[r] for r in CONTROLLED_ROLES if r in rules}
        codes = {a.account.strip() for a in data.accounts}
        chart = {r.code: r for r in await conn.execute(select(account).where(account.c.code.in_(codes)))}
        lines = _check_accounts(c, data, chart, controlled)
        items = await _check_items(conn, c, data, go_live)
        stock = _stock_lines(c, data)
        memo = data.memo.strip() or "期初建账 opening balances"
        c.check(len(memo) <= MEMO_MAX, "INVALID_VALUE", "memo", detail=f"≤ {MEMO_MAX} characters / 字符")
        actor = actor_label(principal)

        # stock goes through the stock ledger's own validation; its errors join the others
        moves: list[dict] = []
        if stock:
            try:
                posted = await post_document_moves(
                    conn,
                    "in",
                    stock,
                    move_type=RECEIPT,
                    actor=actor,
                    reference="OPENING",
                    reason="期初库存 opening stock",
                    source_type=SOURCE_TYPE,
                    business_date=go_live - timedelta(days=1),  # the day the opening entry is booked
                    warehouses=scope.warehouses(principal),
                )
                moves = posted.moves
            except DomainError as exc:
                c.extend([ErrorDetail(d.code, d.field and _stock_field(d.field), d.params) for d in exc.details])
        c.raise_if_any()  # nothing is committed: the stock moves roll back with the rest

        warehouse_of = dict(
            (
                await conn.execute(
                    select(location.c.id, location.c.warehouse_id).where(
                        location.c.id.in_({m["to_location_id"] for m in moves})
                    )
                )
            ).all()
        )
        per_warehouse: dict[int, int] = {}
        for m in moves:
            w = warehouse_of[m["to_location_id"]]
            per_warehouse[w] = per_warehouse.get(w, 0) + m["value_fen"]
        for w, fen in sorted(per_warehouse.items()):
            lines.append(Line(rules["inventory"], debit=fen, warehouse_id=w, memo="期初库存 opening stock"))
        for _i, it, fen, number in items:
            _table, role, side = ITEM_KINDS[it.kind]
            party = {"customer_id": it.partner_id} if _table is customer else {"supplier_id": it.partner_id}
            amounts = {"debit": fen} if side == "debit" else {"credit": fen}
            lines.append(Line(rules[role], memo=f"期初 {number}", **party, **amounts))  # type: ignore[arg-type]

        debit, credit = sum(ln.debit for ln in lines), sum(ln.credit for ln in lines)
        if debit != credit:
            raise OpeningError(
                "OPENING_UNBALANCED", "accounts", debit=str(fen_to_decimal(debit)), credit=str(fen_to_decimal(credit))
            )
        await _insert_items(conn, items, actor)
        day = go_live - timedelta(days=1)
        n = (await conn.execute(select(func.count()).where(voucher.c.source_type == SOURCE_TYPE))).scalar_one()
        voucher_id = await write_voucher(
            conn,
            VoucherSpec(
                lines=lines,
                document_date=day,
                memo=memo,
                origin="auto",
                source_type=SOURCE_TYPE,
                source_number=f"OPENING-{n + 1}",
            ),
            actor,
            strict=True,
        )
        if voucher_id is None:
            raise OpeningError("NOTHING_TO_POST")
        if dry_run:
            raise _DryRun  # valid and balanced: roll all of it back
        if file_digest is not None:
            imported[file_digest] = utcnow().isoformat(timespec="seconds")
            await write_setting(conn, IMPORTED_KEY, imported, actor)
        note_change(conn, f"voucher:{voucher_id}", after={"opening": go_live.isoformat(), "total": str(debit)})
        return voucher_id


async def _insert_items(conn: AsyncConnection, items: list[tuple[int, OpeningItem, int, str]], actor: str) -> None:
    """The open items as the documents that receipts, payments and applications settle."""
    now = utcnow()
    names = {
        r.id: r.name
        for r in await conn.execute(
            select(customer.c.id, customer.c.name).where(
                customer.c.id.in_({it.partner_id for _, it, _, _ in items if it.kind == "receivable"})
            )
        )
    }
    for _i, it, fen, number in items:
        table = ITEM_TABLES[it.kind]
        common = {"number": number, "amount_fen": fen, "actor": actor, "created_at": now}
        if it.kind == "receivable":
            values = dict(
                kind="invoice",
                invoice_type="normal",
                customer_id=it.partner_id,
                invoice_date=it.document_date,
                due_date=it.due_date or it.document_date,
                buyer_name=names[it.partner_id],
                seller_name="",
                tax_fen=0,
                total_fen=fen,
                status="open",
                remarks="期初应收 opening receivable",
            )
        elif it.kind == "payable":
            values = dict(
                kind="bill",
                supplier_id=it.partner_id,
                bill_date=it.document_date,
                due_date=it.due_date or it.document_date,
                tax_fen=0,
                total_fen=fen,
                status="open",
                supplier_invoice_no=number,
            )
        elif it.kind == "customer_advance":
            values = dict(
                customer_id=it.partner_id,
                receipt_date=it.document_date,
                unallocated_fen=fen,
                method="other",
                reference="期初预收 opening advance",
            )
        else:
            values = dict(
                supplier_id=it.partner_id,
                payment_date=it.document_date,
                unallocated_fen=fen,
                method="other",
                reference="期初预付 opening prepayment",
            )
        await conn.execute(table.insert().values(**common, **values))
