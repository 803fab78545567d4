"""Stock counts (库存盘点).

* A count covers a warehouse, optionally narrowed to locations and/or products. Opening it takes the
  book quantity of every stock level in scope (``snapshot_qty``).
* **Blind** by default: counters record what they find; the API shows book quantities and
  variances only to callers with ``stock.count.approve`` (``schema/inventory/counts/``), and hides
  stock levels of locations under an open blind count from everybody else.
* **Mode snapshot**: operations go on. When a count is recorded, its book quantity is the snapshot
  plus the net moves at that location since the snapshot, i.e. the level at that moment, and the
  variance is counted − book. **Mode freeze**: the ledger refuses moves into or out of the counted
  locations (``LOCATION_FROZEN``) until the count is approved or cancelled.
* A variance above ``recount_threshold`` (a fraction of the book quantity; any variance when the book
  says 0) requires a recount by a different person, whose figure is final.
* Cycle counts (``do_generate_cycle_count``): products are classed A/B/C by consumption value over a
  year (top 20 % of items A, next 30 % B, the rest C; §5.2) and are due monthly, quarterly or yearly
  after their last count.
* Approval — by someone who counted nothing on it — posts gains and losses (盘盈/盘亏) through the
  ledger as adjustments at the current moving average, writes a ``stock.count_posted`` event with the
  values (the finance poster takes it to 1901 待处理财产损溢) and unfreezes the locations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.idempotency import claim_key, store_result
from server.core.numbering import next_number
from server.core.numbers import scaled_to_decimal
from server.core.text_limits import check_length, collect_length, string_length
from server.documents.actions import Collector, actor_label, load_products, quantity_in_unit, status_event
from server.events.journal import append_events
from server.events.types import COUNT_POSTED as COUNT_POSTED  # the name, re-exported
from server.events.types import CountPosted
from server.inventory.abc import abc_classes
from server.inventory.errors import InventoryError
from server.inventory.models import (
    frozen_location,
    location,
    lot,
    stock_count,
    stock_count_line,
    stock_level,
    stock_operation,
    warehouse,
)
from server.inventory.services import ADJUSTMENT, StockLine, post_document_moves

RECOUNT_THRESHOLD = Decimal("0.05")


def blind_count_locations():
    """The locations of open blind counts: their book quantities are hidden from counters."""
    return (
        select(stock_count_line.c.location_id)
        .join(stock_count, stock_count.c.id == stock_count_line.c.count_id)
        .where(stock_count.c.status == "open", stock_count.c.blind)
    )


def hidden_book_locations(principal: Principal | None):
    """The locations whose book quantities ``principal`` may not see — those of open blind counts,
    unless it may approve counts — as a subquery of ids; ``None`` when nothing is hidden. Every read
    that shows a quantity of a location (levels, moves, totals, availability, live events) applies it,
    since any of them would let a counter work out what the books say."""
    return None if scope.sees_book_quantities(principal) else blind_count_locations()


async def location_hidden(conn: AsyncConnection, principal: Principal | None, location_id: int | None) -> bool:
    """Whether one location's book quantity is hidden from ``principal`` (a live event, a node)."""
    hidden = hidden_book_locations(principal)
    if hidden is None or location_id is None:
        return False
    return bool(
        (await conn.execute(select(hidden.where(stock_count_line.c.location_id == location_id).exists()))).scalar()
    )


_require = scope.checker(InventoryError)


def _allowed(principal, warehouse_id: int) -> None:
    scope.require_warehouse(principal, warehouse_id, InventoryError)


@dataclass
class CountInput:
    warehouse_id: int
    mode: str = "snapshot"  # snapshot | freeze
    blind: bool = True
    location_ids: list[int] = field(default_factory=list)  # empty: every location of the warehouse
    product_ids: list[int] = field(default_factory=list)  # empty: every product
    count_date: date | None = None
    note: str = ""


async def do_open_count(db: Database, data: CountInput, principal: Principal | None) -> int:
    """Open a count: lines for every stock level in scope, with the snapshot of the book quantity."""
    _require(principal, "stock.count.manage")
    if data.mode not in ("snapshot", "freeze"):
        raise InventoryError("INVALID_VALUE", "mode", detail="snapshot | freeze")
    check_length(data.note.strip(), stock_count.c.note, InventoryError, "note")
    async with db.write() as conn:
        wh = (await conn.execute(select(warehouse).where(warehouse.c.id == data.warehouse_id))).first()
        if wh is None:
            raise InventoryError("NOT_FOUND", "warehouseId", what="warehouse")
        _allowed(principal, wh.id)
        locs = select(location.c.id).where(location.c.warehouse_id == wh.id, location.c.kind == "bin")
        if data.location_ids:
            found = {r.id for r in await conn.execute(locs.where(location.c.id.in_(data.location_ids)))}
            missing = [i for i in data.location_ids if i not in found]
            if missing:
                raise InventoryError("WRONG_WAREHOUSE", "locationIds", detail=str(missing[0]))
            locs = locs.where(location.c.id.in_(data.location_ids))
        location_ids = [r.id for r in await conn.execute(locs.order_by(location.c.id))]
        if data.mode == "freeze":
            busy = (
                await conn.execute(
                    select(frozen_location.c.location_id)
                    .where(frozen_location.c.location_id.in_(location_ids))
                    .limit(1)
                )
            ).first()
            if busy is not None:
                raise InventoryError("LOCATION_FROZEN", "locationIds", location=busy.location_id, count="")
        levels = select(stock_level).where(stock_level.c.location_id.in_(location_ids), stock_level.c.qty > 0)
        if data.product_ids:
            levels = levels.where(stock_level.c.product_id.in_(data.product_ids))
        # the levels are locked while the count opens, so the snapshot is a consistent book quantity
        rows = (
            await conn.execute(
                levels.order_by(
                    stock_level.c.location_id, stock_level.c.product_id, stock_level.c.lot_key
                ).with_for_update()
            )
        ).all()
        on = await business_day(conn, data.count_date, InventoryError, "countDate")
        number = await next_number(conn, "SC", on)
        count_id = (
            await conn.execute(
                stock_count.insert()
                .values(
                    number=number,
                    warehouse_id=wh.id,
                    mode=data.mode,
                    blind=data.blind,
                    status="open",
                    count_date=on,
                    note=data.note.strip(),
                    created_by=actor_label(principal),
                    created_at=utcnow(),
                )
                .returning(stock_count.c.id)
            )
        ).scalar_one()
        if rows:
            await conn.execute(
                stock_count_line.insert(),
                [
                    dict(
                        count_id=count_id,
                        location_id=r.location_id,
                        product_id=r.product_id,
                        lot_id=r.lot_id,
                        snapshot_qty=r.qty,
                    )
                    for r in rows
                ],
            )
        if data.mode == "freeze" and location_ids:
            await conn.execute(
                frozen_location.insert(), [{"location_id": i, "count_id": count_id} for i in location_ids]
            )
        note_change(
            conn,
            f"stock_count:{count_id}",
            after={
                "number": number,
                "mode": data.mode,
                "blind": data.blind,
                "lines": len(rows),
                "locations": len(location_ids),
            },
        )
        await status_event(conn, "stock_count", count_id, number, "", "open", principal, warehouse_id=wh.id)
    return count_id


@dataclass
class CountEntry:
    quantity: str  # base unit
    line_id: int | None = None
    # a product found where the book has none: location, product and lot instead of a line
    location_id: int | None = None
    product_id: int | None = None
    lot: str | None = None


async def do_record_counts(
    db: Database,
    count_id: int,
    entries: list[CountEntry],
    principal: Principal | None,
    *,
    idempotency_key: str | None = None,
) -> None:
    """Record counted quantities (or recounts, for lines that need one: by another person). With an
    idempotency key (a scan session's completion) a repeat of the same entries applies once."""
    _require(principal, "stock.count")
    who = actor_label(principal)
    async with db.write() as conn:
        if (
            idempotency_key is not None
            and await claim_key(
                conn,
                idempotency_key,
                "stock.count.record",
                {"count_id": count_id, "entries": [asdict(e) for e in entries]},
                InventoryError,
            )
            is not None
        ):
            return
        count = await _lock_open(conn, count_id)
        _allowed(principal, count.warehouse_id)
        if not entries:
            raise InventoryError("EMPTY_OPERATION", "entries")
        lines = {
            r.id: r
            for r in await conn.execute(
                select(stock_count_line).where(stock_count_line.c.count_id == count_id).with_for_update()
            )
        }
        product_ids = {ln.product_id for ln in lines.values()} | {e.product_id for e in entries if e.product_id}
        products = await load_products(conn, product_ids)
        c = Collector(InventoryError)
        for i, e in enumerate(entries):
            line = lines.get(e.line_id) if e.line_id is not None else None
            if e.line_id is not None and line is None:
                c.add("NOT_FOUND", f"entries.{i}.lineId", what="location")
                continue
            if line is None:
                line = await _new_line(conn, c, count, e, i, products)
                if line is None:
                    continue
                lines[line.id] = line
            p = products[line.product_id]
            q = quantity_in_unit(c, p, None, e.quantity, f"entries.{i}.quantity", allow_zero=True)
            if q is None:
                continue
            qty = q[1]
            if line.counted_qty is None or not line.recount_required:
                book = await _book_qty(conn, line)
                variance = qty - book
                threshold = abs(Decimal(book)) * RECOUNT_THRESHOLD
                recount = variance != 0 and (book == 0 or abs(variance) > threshold)
                await conn.execute(
                    update(stock_count_line)
                    .where(stock_count_line.c.id == line.id)
                    .values(
                        counted_qty=qty,
                        book_qty=book,
                        counted_by=who,
                        recount_required=recount,
                        recounted_qty=None,
                        recounted_by="",
                        variance_qty=None if recount else variance,
                    )
                )
            else:
                if who == line.counted_by:
                    c.add(
                        "SAME_PERSON",
                        f"entries.{i}.quantity",
                        rule="复盘必须由另一人完成。",
                        rule_en="A recount must be done by another person.",
                    )
                    continue
                await conn.execute(
                    update(stock_count_line)
                    .where(stock_count_line.c.id == line.id)
                    .values(
                        recounted_qty=qty, recounted_by=who, recount_required=False, variance_qty=qty - line.book_qty
                    )
                )
        c.raise_if_any()
        note_change(conn, f"stock_count:{count_id}", after={"entries": len(entries), "by": who})
        if idempotency_key is not None:
            await store_result(conn, idempotency_key, {"count_id": count_id})


async def _new_line(conn, c: Collector, count, e: CountEntry, i: int, products):
    if e.location_id is None or e.product_id is None:
        c.add("REQUIRED", f"entries.{i}.lineId")
        return None
    loc = (await conn.execute(select(location).where(location.c.id == e.location_id))).first()
    if loc is None or loc.warehouse_id != count.warehouse_id:
        c.add("WRONG_WAREHOUSE", f"entries.{i}.locationId")
        return None
    p = products.get(e.product_id)
    if p is None:
        c.add("NOT_FOUND", f"entries.{i}.productId", what="product")
        return None
    lot_id = None
    if p.tracking in ("lot", "serial"):
        if not e.lot:
            c.add("LOT_REQUIRED", f"entries.{i}.lot")
            return None
        if not collect_length(c, e.lot.strip(), lot.c.code, f"entries.{i}.lot"):  # before a new lot is written
            return None
        lot_id = (
            await conn.execute(select(lot.c.id).where(lot.c.product_id == p.id, lot.c.code == e.lot.strip()))
        ).scalar()
        if lot_id is None:  # a lot nobody recorded: it is created with the gain at approval
            lot_id = (
                await conn.execute(lot.insert().values(product_id=p.id, code=e.lot.strip()).returning(lot.c.id))
            ).scalar_one()
    existing = (
        await conn.execute(
            select(stock_count_line).where(
                stock_count_line.c.count_id == count.id,
                stock_count_line.c.location_id == loc.id,
                stock_count_line.c.product_id == p.id,
                stock_count_line.c.lot_id.is_(None) if lot_id is None else stock_count_line.c.lot_id == lot_id,
            )
        )
    ).first()
    if existing is not None:
        return existing
    line_id = (
        await conn.execute(
            stock_count_line.insert()
            .values(count_id=count.id, location_id=loc.id, product_id=p.id, lot_id=lot_id, snapshot_qty=0)
            .returning(stock_count_line.c.id)
        )
    ).scalar_one()
    return (await conn.execute(select(stock_count_line).where(stock_count_line.c.id == line_id))).one()


async def _book_qty(conn, line) -> int:
    return int(
        (
            await conn.execute(
                select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                    stock_level.c.location_id == line.location_id,
                    stock_level.c.product_id == line.product_id,
                    stock_level.c.lot_key == (line.lot_id or 0),
                )
            )
        ).scalar_one()
    )


async def _lock_open(conn, count_id: int):
    count = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id).with_for_update())).first()
    if count is None:
        raise InventoryError("NOT_FOUND", "id", what="stock_count")
    if count.status != "open":
        raise InventoryError("INVALID_STATUS", "id", what="stock_count", status=count.status, action="count")
    return count


async def do_approve_count(db: Database, count_id: int, principal: Principal, reason: str = "") -> None:
    """Approve and post the variances (盘盈/盘亏) at moving average; unfreeze the locations."""
    _require(principal, "stock.count.approve")
    async with db.write() as conn:
        count = await _lock_open(conn, count_id)
        _allowed(principal, count.warehouse_id)
        lines = (
            await conn.execute(
                select(stock_count_line, lot.c.code.label("lot_code"))
                .outerjoin(lot, lot.c.id == stock_count_line.c.lot_id)
                .where(stock_count_line.c.count_id == count_id)
                .order_by(stock_count_line.c.id)
            )
        ).all()
        open_lines = sum(1 for ln in lines if ln.counted_qty is None or ln.recount_required)
        if open_lines:
            raise InventoryError("COUNT_INCOMPLETE", "id", open=open_lines)
        counters = {ln.counted_by for ln in lines} | {ln.recounted_by for ln in lines if ln.recounted_by}
        if principal.label in counters:
            raise InventoryError(
                "SAME_PERSON", "id", rule="审批人不能是盘点人。", rule_en="The approver cannot be one of the counters."
            )
        prefix, reason = f"盘点差异 {count.number}：", (reason or "").strip()
        # the reason goes into the stock operation's reason after the prefix: it must fit there
        check_length(reason, string_length(stock_operation.c.reason) - len(prefix), InventoryError, "reason")
        await conn.execute(frozen_location.delete().where(frozen_location.c.count_id == count_id))
        posting = [ln for ln in lines if ln.variance_qty]
        gain = loss = 0
        if posting:
            text = prefix + reason if reason else prefix[:-1]
            gains = [ln for ln in posting if ln.variance_qty > 0]
            losses = [ln for ln in posting if ln.variance_qty < 0]
            try:
                for direction, group in (("in", gains), ("out", losses)):
                    if not group:
                        continue
                    posted = await post_document_moves(
                        conn,
                        direction,
                        [
                            StockLine(
                                product_id=ln.product_id,
                                location_id=ln.location_id,
                                quantity=scaled_to_decimal(abs(ln.variance_qty)),
                                lot_code=ln.lot_code,
                                source_line_id=ln.id,
                            )
                            for ln in group
                        ],
                        move_type=ADJUSTMENT,
                        actor=actor_label(principal),
                        reference=count.number,
                        source_type="stock_count",
                        reason=text,
                        at_average=True,
                        business_date=count.count_date,  # the day it was counted, not approved
                    )
                    for ln, move in zip(group, posted.moves):
                        signed = move["value_fen"] if direction == "in" else -move["value_fen"]
                        gain, loss = (gain + signed, loss) if direction == "in" else (gain, loss - signed)
                        await conn.execute(
                            update(stock_count_line).where(stock_count_line.c.id == ln.id).values(variance_fen=signed)
                        )
            except DomainError as exc:
                raise InventoryError.from_inventory(exc) from None
        await conn.execute(
            update(stock_count)
            .where(stock_count.c.id == count_id)
            .values(status="approved", approved_by=principal.label, gain_fen=gain, loss_fen=loss, closed_at=utcnow())
        )
        note_change(
            conn,
            f"stock_count:{count_id}",
            before={"status": "open"},
            after={"status": "approved", "gain_fen": gain, "loss_fen": loss},
        )
        await append_events(
            conn,
            [
                CountPosted(
                    count_id=count_id,
                    number=count.number,
                    warehouse_id=count.warehouse_id,
                    gain_fen=gain,
                    loss_fen=loss,
                )
            ],
        )
        await status_event(
            conn, "stock_count", count_id, count.number, "open", "approved", principal, warehouse_id=count.warehouse_id
        )


async def do_cancel_count(db: Database, count_id: int, principal: Principal | None) -> None:
    _require(principal, "stock.count.manage")
    async with db.write() as conn:
        count = await _lock_open(conn, count_id)
        _allowed(principal, count.warehouse_id)
        await conn.execute(frozen_location.delete().where(frozen_location.c.count_id == count_id))
        await conn.execute(
            update(stock_count).where(stock_count.c.id == count_id).values(status="cancelled", closed_at=utcnow())
        )
        note_change(conn, f"stock_count:{count_id}", before={"status": "open"}, after={"status": "cancelled"})
        await status_event(
            conn, "stock_count", count_id, count.number, "open", "cancelled", principal, warehouse_id=count.warehouse_id
        )


# ---- cycle counts by ABC class (domain reference §5.2) -----------------------------------------------

CYCLE_DAYS = {"A": 30, "B": 91, "C": 365}  # monthly, quarterly, yearly


async def cycle_count_due(conn, warehouse_id: int, on: date) -> list[int]:
    """Products in stock whose last approved count in the warehouse is older than their class allows."""
    classes = await abc_classes(conn, warehouse_id, on)
    last = dict(
        (
            await conn.execute(
                select(stock_count_line.c.product_id, func.max(stock_count.c.count_date))
                .join(stock_count, stock_count.c.id == stock_count_line.c.count_id)
                .where(stock_count.c.warehouse_id == warehouse_id, stock_count.c.status.in_(("approved", "open")))
                .group_by(stock_count_line.c.product_id)
            )
        ).all()
    )
    stocked = {
        r.product_id
        for r in await conn.execute(
            select(stock_level.c.product_id).where(stock_level.c.warehouse_id == warehouse_id, stock_level.c.qty > 0)
        )
    }
    return sorted(
        p for p in stocked if last.get(p) is None or last[p] <= on - timedelta(days=CYCLE_DAYS[classes.get(p, "C")])
    )


async def do_generate_cycle_count(
    db: Database, warehouse_id: int, principal: Principal | None, *, on: date | None = None
) -> int | None:
    """Open a blind snapshot count of the products due by their ABC class; ``None`` when none is due."""
    on = on or clock.today()
    async with db.read() as conn:
        due = await cycle_count_due(conn, warehouse_id, on)
    if not due:
        return None
    return await do_open_count(
        db, CountInput(warehouse_id, product_ids=due, count_date=on, note="循环盘点 cycle count (ABC)"), principal
    )
