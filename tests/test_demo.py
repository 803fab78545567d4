"""Demo data: loads once through the real actions, with valid barcodes, a category tree and a sound ledger."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from server.catalog.gtin import gs1_check_digit
from server.catalog.models import barcode, category, product, product_unit, unit
from server.core import clock
from server.core.numbers import QTY_SCALE
from server.demo.company import LOTS, PRODUCTS, load_demo_data
from server.demo.purchasing import ORDERS
from server.demo.sales import ORDERS as SALES_ORDERS
from server.inventory.models import location, lot, product_cost, stock_level, stock_move, stock_operation, warehouse
from server.partners.models import customer, supplier
from server.purchasing.models import goods_receipt_line, purchase_order, supplier_bill, supplier_payment
from tests.invariants import assert_ledger_consistent

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = date(2026, 3, 15)


async def _count(db, table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def _rows(db, query):
    async with db.read() as conn:
        return (await conn.execute(query)).all()


async def test_loads_once(db):
    assert await load_demo_data(db, today=TODAY) is True
    counts = {t.name: await _count(db, t) for t in (product, stock_move, stock_operation, location, supplier)}
    assert await load_demo_data(db) is False
    assert {t.name: await _count(db, t) for t in (product, stock_move, stock_operation, location, supplier)} == counts


async def test_demo_content(db):
    assert await load_demo_data(db, today=TODAY) is True

    assert await _count(db, warehouse) >= 2
    assert await _count(db, product) >= 50
    assert await _count(db, supplier) >= 5
    assert await _count(db, customer) >= 5
    for table in (supplier, customer):
        tax_ids = [r.tax_id for r in await _rows(db, select(table.c.tax_id))]
        assert all(len(t) == 18 for t in tax_ids) and len(set(tax_ids)) == len(tax_ids)

    # every product has a GTIN-13 under the demo prefix 952 with a valid check digit
    gtins = await _rows(
        db, select(barcode.c.code, barcode.c.product_id, barcode.c.unit_id).where(barcode.c.kind == "gtin")
    )
    assert gtins
    for code, _, _ in gtins:
        assert len(code) == 13 and code.isdigit() and code.startswith("952"), code
        assert int(code[-1]) == gs1_check_digit(code[:-1]), code
    assert {r.product_id for r in gtins if r.unit_id is None} == {r.id for r in await _rows(db, select(product.c.id))}

    # products with the box of 12 have it as an alternative unit (factor 12) and a box barcode
    box_id = (await _rows(db, select(unit.c.id).where(unit.c.code == "BOX12")))[0].id
    boxed = await _rows(
        db, select(product_unit.c.product_id, product_unit.c.factor).where(product_unit.c.unit_id == box_id)
    )
    assert boxed and all(r.factor == 12 * QTY_SCALE for r in boxed)
    assert {r.product_id for r in gtins if r.unit_id == box_id} == {r.product_id for r in boxed}

    # a product sold by weight has a fractional quantity on hand
    kg_levels = await _rows(
        db,
        select(stock_level.c.qty)
        .join(product, product.c.id == stock_level.c.product_id)
        .join(unit, unit.c.id == product.c.base_unit_id)
        .where(unit.c.code == "KG"),
    )
    assert any(r.qty % QTY_SCALE for r in kg_levels)

    # categories form a two-level tree
    cats = {r.id: r.parent_id for r in await _rows(db, select(category.c.id, category.c.parent_id))}
    children = [c for c, parent in cats.items() if parent is not None]
    assert children and any(parent is None for parent in cats.values())
    assert all(cats[cats[c]] is None for c in children)

    # bins hang under zones in the same warehouse
    locs = {r.id: r for r in await _rows(db, select(location.c.id, location.c.parent_id, location.c.warehouse_id))}
    bins = [r for r in locs.values() if r.parent_id is not None]
    assert bins and all(locs[b.parent_id].warehouse_id == b.warehouse_id for b in bins)

    # lot-tracked opening stock has lots with expiry dates after the load date
    lots = await _rows(db, select(lot.c.product_id, lot.c.expiry_date))
    assert len(lots) == sum(len(ls) for _, by_wh in LOTS.values() for ls in by_wh.values())
    assert all(r.expiry_date > TODAY for r in lots)

    # opening stock: one opening entry (期初建账) the day before go-live, quantities and values as listed
    ops = await _rows(db, select(stock_operation.c.source_type).where(stock_operation.c.reference == "OPENING"))
    assert [r.source_type for r in ops] == ["opening_balance"]
    purchased = {sku for _, _, _, _, lines, target in ORDERS if target in ("paid", "partial") for sku, _, _ in lines}
    purchased |= {sku for *_, lines, target in SALES_ORDERS if target == "paid" for sku, _, _ in lines}  # shipped
    costs = {r.product_id: r for r in await _rows(db, select(product_cost))}
    skus = {r.sku: r.id for r in await _rows(db, select(product.c.sku, product.c.id))}
    for p in PRODUCTS:
        if p.sku in purchased:  # checked below
            continue
        qty = Decimal(p.sh01) + Decimal(p.bj01)
        row = costs.get(skus[p.sku])
        if qty == 0:
            assert row is None or row.qty == 0
            continue
        assert row.qty == int(qty * QTY_SCALE), p.sku
        # each receipt line is valued once, half-up to the fen
        lines = [Decimal(q) * Decimal(p.purchase) * 100 for q in (p.sh01, p.bj01)]
        assert row.value_fen == sum(int(v.to_integral_value(ROUND_HALF_UP)) for v in lines), p.sku

    await assert_ledger_consistent(db)


async def test_demo_purchasing_documents(db):
    assert await load_demo_data(db, today=TODAY) is True
    orders = {r.number: r.status for r in await _rows(db, select(purchase_order).order_by(purchase_order.c.id))}
    assert sorted(orders.values()) == ["draft", "partially_received", "received", "submitted"]
    assert list(orders) == [f"PO{TODAY.year}-{n:06d}" for n in range(1, 5)]
    bills = await _rows(db, select(supplier_bill))
    assert [(b.status, b.paid_fen == b.total_fen) for b in bills] == [("paid", True)]
    payments = await _rows(db, select(supplier_payment))
    assert [p.unallocated_fen for p in payments] == [100_000]  # a 1,000.00 prepayment
    rejected = await _rows(db, select(goods_receipt_line.c.rejected_qty).where(goods_receipt_line.c.rejected_qty > 0))
    assert [r.rejected_qty for r in rejected] == [12 * QTY_SCALE]
    # the received goods are in stock at order price + allocated freight, and the books balance
    await assert_ledger_consistent(db)


async def test_demo_sales_documents(db):
    from server.inventory.models import stock_reservation
    from server.sales.check import verify_ledger
    from server.sales.invoicing import receivables_query
    from server.sales.models import sales_order

    assert await load_demo_data(db, today=TODAY) is True
    statuses = sorted(r.status for r in await _rows(db, select(sales_order)))
    assert statuses == ["approved", "draft", "invoiced", "submitted"]
    reserved = [r.reserved_qty for r in await _rows(db, select(stock_reservation)) if r.reserved_qty]
    assert reserved == [48 * QTY_SCALE]  # the approved order holds its stock
    async with db.read() as conn:
        (ar,) = (await conn.execute(receivables_query(TODAY))).all()
        assert await verify_ledger(conn) == []
    assert ar.invoices_open > 0 and ar.balance == ar.invoices_open  # half of the invoice is still open


async def test_interrupted_load_resumes(db, monkeypatch):
    """A load that stopped half-way (here: the opening entry failed) completes on the next call."""
    import server.demo.company as demo

    real_post = demo.do_post_opening

    async def broken(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(demo, "do_post_opening", broken)
    with pytest.raises(RuntimeError):
        await demo.load_demo_data(db, today=TODAY)
    monkeypatch.setattr(demo, "do_post_opening", real_post)
    assert await demo.load_demo_data(db, today=TODAY) is True
    assert await demo.load_demo_data(db, today=TODAY) is False
    async with db.read() as conn:
        products = (await conn.execute(select(func.count()).select_from(product))).scalar()
        moves = (await conn.execute(select(func.count()).select_from(stock_move))).scalar()
    assert products == len(demo.PRODUCTS) and moves > 0


async def test_load_interrupted_during_purchasing_resumes(db, monkeypatch):
    """Orders already submitted or approved are not submitted again; receipts are not repeated."""
    import server.demo.purchasing as demo_purchasing

    real = demo_purchasing.receipts.do_receive_goods
    calls = []

    async def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the paid order's receipt, after the partial one
            raise RuntimeError("network down")
        return await real(*args, **kwargs)

    monkeypatch.setattr(demo_purchasing.receipts, "do_receive_goods", second_fails)
    with pytest.raises(RuntimeError):
        await load_demo_data(db, today=TODAY)
    monkeypatch.setattr(demo_purchasing.receipts, "do_receive_goods", real)
    assert await load_demo_data(db, today=TODAY) is True
    statuses = sorted(r.status for r in await _rows(db, select(purchase_order)))
    assert statuses == ["draft", "partially_received", "received", "submitted"]
    assert len(await _rows(db, select(goods_receipt_line.c.id))) == 3
    await assert_ledger_consistent(db)


async def test_demo_books_agree_with_the_goods(db):
    from server.finance.check import books_problems
    from server.finance.ledger import period_of
    from server.finance.statements import balance_sheet

    assert await load_demo_data(db, today=TODAY) is True
    async with db.read() as conn:
        assert await books_problems(conn) == []  # every event booked, GL = stock and open items
        sheet = await balance_sheet(conn, period_of(clock.today()))  # all months up to now
    assert sheet.row("cash").values[0] > 0 and sheet.row("capital").values[0] > 20_000_000
    assert sheet.row("total_assets").values == sheet.row("total_liabilities_and_equity").values


async def test_demo_goes_live_with_an_opening_entry_and_never_overdraws(db):
    """The demo company went live like a real one (期初建账): its first voucher is the opening entry the
    day before go-live, and at the end of every month since its cash (货币资金) is positive."""
    from server.demo.company import go_live_of
    from server.finance.ledger import next_period, period_of
    from server.finance.models import voucher
    from server.finance.statements import balance_sheet

    assert await load_demo_data(db, today=TODAY) is True
    async with db.read() as conn:
        first = (await conn.execute(select(voucher).order_by(voucher.c.voucher_date, voucher.c.id).limit(1))).one()
        assert first.source_type == "opening_balance"
        assert first.document_date == go_live_of(TODAY) - timedelta(days=1)
        period = first.period
        while period <= period_of(TODAY):
            sheet = await balance_sheet(conn, period)
            assert sheet.row("cash").values[0] > 0, period
            assert sheet.row("total_assets").values == sheet.row("total_liabilities_and_equity").values
            period = next_period(period)
