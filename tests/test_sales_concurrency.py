"""Real concurrent sales actions on PostgreSQL: the last units are reserved once, reserved stock
cannot be issued away, shipments never exceed the reservation, invoices never exceed the shipment,
receipts never overpay an invoice and an order is approved once.

The machinery is the one of ``test_purchasing_concurrency``: every race runs its actions at once with
``asyncio.gather``, each action on one of several independent ``Database`` objects (own engine, own
pool, connections opened beforehand), so the transactions really overlap in the server. Each
invariant is checked over a few free-running rounds and at least one *gated* round: a blocker
transaction holds the contended row lock until every action is waiting for a lock, then lets them
all go at once — the worst case for a check-then-act race. A *staged* round (``staged_race``) makes
the actions queue on the held lock one after another in a chosen order, to replay one exact
interleaving.

These tests found three bugs, now fixed: events written before other row locks (the journal now
writes every transaction's events last, at commit), invoicing locking order lines before the order
(it now locks the orders first, as every order action does), and the credit check not serialised per
customer (submission now locks the customer row).
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from server.auth.services import ensure_builtin_roles
from server.core import clock
from server.core.numbering import next_number
from server.core.numbers import fen_to_decimal
from server.inventory.errors import InventoryError
from server.inventory.models import product_cost, stock_level, stock_reservation
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from server.sales.errors import SalesError
from server.sales.invoicing import (
    Allocation,
    CustomerReceiptInput,
    InvoiceInput,
    InvoiceLineInput,
    do_apply_advance,
    do_create_invoice,
    do_record_customer_receipt,
)
from server.sales.models import (
    customer_receipt,
    receipt_allocation,
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_history,
    sales_order_line,
    shipment,
    shipment_line,
)
from server.sales.orders import (
    SHIPPABLE,
    SalesLineInput,
    SalesOrderInput,
    do_approve_sales_order,
    do_cancel_sales_order,
    do_close_sales_order,
    do_create_sales_order,
    do_submit_sales_order,
)
from server.sales.settings import SalesSettingsChange, do_change_sales_settings
from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
from tests.factories import make_product
from tests.race import (
    Call,
    assert_ledger_clean,
    codes,
    lock_row_sql,
    numbers_1_to,
    race,
    split,
    staged_race,
    status_events,
)
from tests.sales_helpers import (
    ACCOUNTANT,
    ADMIN,
    CASHIER,
    KEEPER,
    SALES,
    SALES_MANAGER,
    SALES_MANAGER2,
    SalesWorld,
    make_sales_world,
)

pytestmark = pytest.mark.postgres

Q = 10**6  # quantities are stored scaled by 10^6


def lock_reservation(product_id: int, warehouse_id: int):
    """Hold the (product, warehouse) reservation row — creating it, uncommitted, when it does not
    exist yet, so that concurrent creators queue on the unique key just the same."""

    async def hold(conn):
        await conn.execute(
            text(
                "INSERT INTO stock_reservation (product_id, warehouse_id, reserved_qty) VALUES (:p, :w, 0) "
                "ON CONFLICT (product_id, warehouse_id) DO UPDATE SET reserved_qty = stock_reservation.reserved_qty"
            ),
            {"p": product_id, "w": warehouse_id},
        )

    return hold


# ---- sales set-up -------------------------------------------------------------------------------


@pytest.fixture
async def sw(db) -> SalesWorld:
    await ensure_builtin_roles(db)  # approval thresholds name roles
    return await make_sales_world(db)


async def stocked_product(db, sw: SalesWorld, a1: str, a2: str | None = None) -> int:
    """A fresh product (no reservation row yet) with ``a1`` pieces in A-01 and ``a2`` in A-02."""
    product_id = await make_product(db, sw.w)
    lines = [StockLine(product_id=product_id, quantity=a1, location_id=sw.w.a1, unit_cost="10.00")]
    if a2:
        lines.append(StockLine(product_id=product_id, quantity=a2, location_id=sw.w.a2, unit_cost="10.00"))
    await do_receive_stock(db, lines)
    return product_id


async def draft_order(db, sw: SalesWorld, product_id: int, quantity: str, *, customer: int | None = None) -> int:
    return await do_create_sales_order(
        db,
        SalesOrderInput(
            customer_id=customer or sw.retail,
            warehouse_id=sw.w.wh1,
            lines=[SalesLineInput(product_id=product_id, quantity=quantity)],
        ),
        SALES,
    )


async def submitted_order(db, sw, product_id: int, quantity: str, expect: str = "submitted") -> int:
    order_id = await draft_order(db, sw, product_id, quantity)
    assert await do_submit_sales_order(db, order_id, SALES) == expect
    return order_id


async def approved_order(db, sw, product_id: int, quantity: str) -> tuple[int, int]:
    """An order of one line approved on submission (default settings); (order id, line id)."""
    order_id = await submitted_order(db, sw, product_id, quantity, expect="approved")
    return order_id, await only_line(db, order_id)


async def only_line(db, order_id: int) -> int:
    async with db.read() as conn:
        return (
            await conn.execute(select(sales_order_line.c.id).where(sales_order_line.c.order_id == order_id))
        ).scalar_one()


async def order_row(db, order_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(sales_order).where(sales_order.c.id == order_id))).one()


async def order_line_row(db, line_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(sales_order_line).where(sales_order_line.c.id == line_id))).one()


async def history_actions(db, order_id: int) -> list[str]:
    async with db.read() as conn:
        return list(
            (
                await conn.execute(
                    select(sales_order_history.c.action)
                    .where(sales_order_history.c.order_id == order_id)
                    .order_by(sales_order_history.c.id)
                )
            ).scalars()
        )


async def on_hand(db, product_id: int) -> tuple[int, int]:
    """(Σ stock levels, product_cost quantity) of a product, scaled."""
    async with db.read() as conn:
        level = (
            await conn.execute(
                select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(stock_level.c.product_id == product_id)
            )
        ).scalar_one()
        cost = (
            await conn.execute(select(product_cost.c.qty).where(product_cost.c.product_id == product_id))
        ).scalar() or 0
    return int(level), int(cost)


async def reserved(db, product_id: int, warehouse_id: int) -> int:
    async with db.read() as conn:
        return int(
            (
                await conn.execute(
                    select(stock_reservation.c.reserved_qty).where(
                        stock_reservation.c.product_id == product_id, stock_reservation.c.warehouse_id == warehouse_id
                    )
                )
            ).scalar()
            or 0
        )


async def assert_reservations_consistent(db, product_id: int, warehouse_id: int) -> int:
    """The reservation row is the sum of what the open order lines hold; every approved (or partly
    shipped) order holds exactly what it has still to ship, every other order nothing; and the
    reservation never exceeds what is on hand. Returns the reserved quantity."""
    async with db.read() as conn:
        lines = (
            await conn.execute(
                select(
                    sales_order_line.c.id,
                    sales_order_line.c.qty,
                    sales_order_line.c.shipped_qty,
                    sales_order_line.c.reserved_qty,
                    sales_order.c.status,
                )
                .join(sales_order, sales_order.c.id == sales_order_line.c.order_id)
                .where(sales_order_line.c.product_id == product_id, sales_order_line.c.warehouse_id == warehouse_id)
            )
        ).all()
        level = int(
            (
                await conn.execute(
                    select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                        stock_level.c.product_id == product_id, stock_level.c.warehouse_id == warehouse_id
                    )
                )
            ).scalar_one()
        )
    held = await reserved(db, product_id, warehouse_id)
    for ln in lines:
        if ln.status in SHIPPABLE:
            assert ln.reserved_qty == ln.qty - ln.shipped_qty, ln
        else:
            assert ln.reserved_qty == 0, ln
    assert held == sum(ln.reserved_qty for ln in lines), (held, lines)
    assert 0 <= held <= level, (held, level)
    return held


def submit(order_id: int, who=SALES) -> Call:
    return lambda d: do_submit_sales_order(d, order_id, who)


def approve(order_id: int, who) -> Call:
    return lambda d: do_approve_sales_order(d, order_id, who)


def issue(product_id: int, quantity: str, location_id: int) -> Call:
    return lambda d: do_issue_stock(
        d,
        [StockLine(product_id=product_id, quantity=quantity, location_id=location_id)],
        principal=KEEPER,
        reason="领用",
    )


def ship(order_id: int, line_id: int, quantity: str, location_id: int) -> Call:
    return lambda d: do_ship_goods(
        d,
        ShipmentInput(
            order_id=order_id,
            lines=[ShipmentLineInput(order_line_id=line_id, quantity=quantity, location_id=location_id)],
        ),
        KEEPER,
    )


# ---- 1: the reservation race ----------------------------------------------------------------------


async def _check_reservation_race(
    db, sw, product_id: int, orders: list[int], results, *, stock: int, each: int, loser_status: str
) -> None:
    fits = stock // each
    ok, failed = split(results)
    assert ok == ["approved"] * fits, results
    assert len(failed) == len(orders) - fits
    left = stock - fits * each
    for f in failed:
        assert codes(f) == ["INSUFFICIENT_STOCK"], f.details
        assert f.details[0].params["requested"] == str(each)
        assert f.details[0].params["available"] == str(left), f.details
    for order_id, r in zip(orders, results):
        row = await order_row(db, order_id)
        if isinstance(r, SalesError):
            assert (row.status, row.approvals_done, row.approved_at) == (loser_status, 0, None)
            assert "approved" not in await history_actions(db, order_id)
        else:
            assert row.status == "approved" and row.approved_at is not None
    held = await assert_reservations_consistent(db, product_id, sw.w.wh1)
    assert held == fits * each * Q
    assert await on_hand(db, product_id) == (stock * Q, stock * Q)  # reserving moves no stock


# (on hand, per order, number of orders, gated)
RESERVATION_PLAN = [(10, 6, 2, False), (10, 6, 2, True), (10, 3, 6, False), (6, 1, 10, True)]


async def test_orders_submitted_at_once_reserve_the_last_units_once(db, dbs, sw):
    """Default settings: a small order is approved on submission, which reserves its stock. Orders
    wanting more than is left are all submitted at once: exactly as many as fit are approved, the
    others are refused with INSUFFICIENT_STOCK and stay drafts."""
    for stock, each, n, gated in RESERVATION_PLAN:
        product_id = await stocked_product(db, sw, str(stock))
        orders = [await draft_order(db, sw, product_id, str(each)) for _ in range(n)]
        results = await race(
            dbs,
            [submit(o) for o in orders],
            observer=db,
            hold=lock_reservation(product_id, sw.w.wh1) if gated else None,
        )
        await _check_reservation_race(db, sw, product_id, orders, results, stock=stock, each=each, loser_status="draft")
        for order_id, r in zip(orders, results):
            events = await status_events(db, "sales_order", order_id)
            if isinstance(r, SalesError):
                assert events == [("", "draft")], events
            else:
                assert events == [("", "draft"), ("draft", "submitted"), ("submitted", "approved")], events
    await assert_ledger_clean(db)


@pytest.mark.parametrize(
    "settings",
    [
        SalesSettingsChange(auto_approve=False),  # every order needs one approval
        SalesSettingsChange(approval_thresholds=[("1", "sales_manager")]),  # every order is above the threshold
    ],
    ids=["no-auto-approval", "low-threshold"],
)
async def test_orders_approved_at_once_by_different_managers_reserve_the_last_units_once(db, dbs, sw, settings):
    await do_change_sales_settings(db, settings, ADMIN)
    managers = [SALES_MANAGER, SALES_MANAGER2]
    for stock, each, n, gated in [(10, 6, 2, False), (10, 3, 6, True)]:
        product_id = await stocked_product(db, sw, str(stock))
        orders = [await submitted_order(db, sw, product_id, str(each)) for _ in range(n)]
        assert await reserved(db, product_id, sw.w.wh1) == 0  # submitting alone reserves nothing
        calls = [approve(o, managers[i % 2]) for i, o in enumerate(orders)]
        results = await race(dbs, calls, observer=db, hold=lock_reservation(product_id, sw.w.wh1) if gated else None)
        await _check_reservation_race(
            db, sw, product_id, orders, results, stock=stock, each=each, loser_status="submitted"
        )
        # a refused order can be approved once a winner gives its stock back
        winner = next(o for o, r in zip(orders, results) if r == "approved")
        loser = next((o for o, r in zip(orders, results) if isinstance(r, SalesError)), None)
        if loser is not None:
            await do_cancel_sales_order(db, winner, SALES)
            assert await do_approve_sales_order(db, loser, SALES_MANAGER) == "approved"
            held = await assert_reservations_consistent(db, product_id, sw.w.wh1)
            assert held == (stock // each) * each * Q
    await assert_ledger_clean(db)


# ---- 2: reservation against a plain issue --------------------------------------------------------


async def _check_one_of_reservation_or_issue(
    db, sw, product_id: int, order_id: int, ok, failed, loser_status: str
) -> None:
    """10 on hand; an order of 6 and an issue of 6 raced: exactly one of them got the units."""
    assert len(ok) == 1 and len(failed) == 1, (ok, failed)
    assert codes(failed[0]) == ["INSUFFICIENT_STOCK"], failed[0].details
    level, cost = await on_hand(db, product_id)
    held = await assert_reservations_consistent(db, product_id, sw.w.wh1)
    status = (await order_row(db, order_id)).status
    if ok == ["approved"]:  # the order won: the issue could not touch its 6 units
        assert isinstance(failed[0], InventoryError) and failed[0].details[0].params.get("reserved") is True
        assert (level, cost, held, status) == (10 * Q, 10 * Q, 6 * Q, "approved")
    else:  # the issue won: only 4 were left for the order
        assert isinstance(failed[0], SalesError) and failed[0].details[0].params["available"] == "4"
        assert (level, cost, held, status) == (4 * Q, 4 * Q, 0, loser_status)
    assert level >= held
    await assert_ledger_clean(db)


async def test_reservation_by_approval_and_plain_issue_of_the_same_units_never_both_succeed(db, dbs, sw):
    """10 on hand: a manager approves an order of 6 (which reserves) while 6 are issued from the
    bin. One of them gets the units; the other is refused — the order by INSUFFICIENT_STOCK, the
    issue by the ledger's reservation check (INSUFFICIENT_STOCK, reserved)."""
    await do_change_sales_settings(db, SalesSettingsChange(auto_approve=False), ADMIN)
    for rnd in range(3):
        product_id = await stocked_product(db, sw, "10")
        order_id = await submitted_order(db, sw, product_id, "6")
        calls = [approve(order_id, SALES_MANAGER), issue(product_id, "6", sw.w.a1)]
        if rnd % 2:
            calls.reverse()
        results = await race(dbs, calls, observer=db, hold=lock_reservation(product_id, sw.w.wh1) if rnd >= 1 else None)
        ok, failed = split(results, (SalesError, InventoryError))
        await _check_one_of_reservation_or_issue(db, sw, product_id, order_id, ok, failed, "submitted")


async def test_many_approvals_and_issues_share_the_stock_like_one_after_another(db, dbs, sw):
    """10 on hand, three orders of 4 approved and three issues of 4 at once: two of the six get
    their units (as in any serial order), never three; on hand never falls below what is reserved."""
    await do_change_sales_settings(db, SalesSettingsChange(auto_approve=False), ADMIN)
    for rnd in range(2):
        product_id = await stocked_product(db, sw, "10")
        orders = [await submitted_order(db, sw, product_id, "4") for _ in range(3)]
        calls = []
        for i, o in enumerate(orders):  # interleave approvals and issues
            calls += [approve(o, (SALES_MANAGER, SALES_MANAGER2)[i % 2]), issue(product_id, "4", sw.w.a1)]
        results = await race(dbs, calls, observer=db, hold=lock_reservation(product_id, sw.w.wh1) if rnd == 1 else None)
        ok, failed = split(results, (SalesError, InventoryError))
        assert len(ok) == 2 and len(failed) == 4, results
        assert all(codes(f) == ["INSUFFICIENT_STOCK"] for f in failed), [f.details for f in failed]
        approved = ok.count("approved")
        issued = len(ok) - approved
        level, cost = await on_hand(db, product_id)
        held = await assert_reservations_consistent(db, product_id, sw.w.wh1)
        assert (level, cost) == ((10 - 4 * issued) * Q, (10 - 4 * issued) * Q)
        assert held == 4 * approved * Q <= level
        await assert_ledger_clean(db)


async def test_reservation_on_submission_and_plain_issue_of_the_same_units_never_both_succeed(db, dbs, sw):
    """As above, with the order approved (and reserving) on submission — the default settings.
    Free-running rounds, then the interleaving that always deadlocks: a blocker holds the event
    counter; the submission queues for it first (after its credit check, to append its 'submitted'
    event); the issue decreases the bin, locks the reservation row and queues for the counter
    second. Let go, the submission takes the counter and waits for the reservation row, which the
    issue holds while it waits for the counter."""
    for rnd in range(3):
        product_id = await stocked_product(db, sw, "10")
        order_id = await draft_order(db, sw, product_id, "6")
        calls = [submit(order_id), issue(product_id, "6", sw.w.a1)]
        if rnd < 2:
            results = await race(dbs, calls[::-1] if rnd % 2 else calls, observer=db)
        else:
            results = await staged_race(dbs, calls, observer=db, hold=lock_row_sql("event_counter", 1))
        ok, failed = split(results, (SalesError, InventoryError))
        await _check_one_of_reservation_or_issue(db, sw, product_id, order_id, ok, failed, "draft")


async def test_shipping_reserved_units_while_issuing_the_rest(db, dbs, sw):
    """10 in A-01, 10 in A-02. Shipping 10 of an order from A-01 while issuing the 10 in A-02: with 10
    reserved both go through (the reservation protects only what it holds); with 12 reserved the
    issue is refused by the reservation whichever commits first."""
    for rnd in range(4):
        ordered = 10 if rnd < 2 else 12
        product_id = await stocked_product(db, sw, "10", "10")
        order_id, line_id = await approved_order(db, sw, product_id, str(ordered))
        calls = [ship(order_id, line_id, "10", sw.w.a1), issue(product_id, "10", sw.w.a2)]
        if rnd % 2:
            calls.reverse()
        results = await race(dbs, calls, observer=db, hold=lock_reservation(product_id, sw.w.wh1) if rnd % 2 else None)
        shipped, issued = (results[1], results[0]) if rnd % 2 else (results[0], results[1])
        assert isinstance(shipped, int), results
        level, cost = await on_hand(db, product_id)
        held = await assert_reservations_consistent(db, product_id, sw.w.wh1)
        if ordered == 10:
            assert not isinstance(issued, BaseException), results
            assert (level, cost, held) == (0, 0, 0)
            assert (await order_row(db, order_id)).status == "shipped"
        else:
            assert isinstance(issued, InventoryError), results
            assert codes(issued) == ["INSUFFICIENT_STOCK"] and issued.details[0].params.get("reserved") is True
            assert (level, cost, held) == (10 * Q, 10 * Q, 2 * Q)
            assert (await order_row(db, order_id)).status == "partially_shipped"
        await assert_ledger_clean(db)


# ---- 3: shipments ----------------------------------------------------------------------------------


async def _shipment_numbers(db) -> list[str]:
    async with db.read() as conn:
        return sorted((await conn.execute(select(shipment.c.number))).scalars())


async def test_two_shipments_of_one_line_never_exceed_the_reservation(db, dbs, sw):
    """Ordered and reserved 10, 20 on hand: two shipments of 6 at once — stock would allow both, the
    reservation does not: one ships, the other is refused with OVER_SHIPMENT. Two shipments of all
    10 at once: one ships, the other finds the order shipped (INVALID_STATUS)."""
    plan = [("6", False), ("6", True), ("10", False), ("10", True)]
    for qty, gated in plan:
        product_id = await stocked_product(db, sw, "10", "10")
        order_id, line_id = await approved_order(db, sw, product_id, "10")
        calls = [ship(order_id, line_id, qty, sw.w.a1), ship(order_id, line_id, qty, sw.w.a2)]
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("sales_order", order_id) if gated else None)
        ok, failed = split(results)
        assert len(ok) == 1 and len(failed) == 1, results
        n = int(qty)
        if n == 6:
            assert codes(failed[0]) == ["OVER_SHIPMENT"], failed[0].details
            assert failed[0].details[0].params["open"] == "4"
        else:
            assert codes(failed[0]) == ["INVALID_STATUS"], failed[0].details
            assert failed[0].details[0].params["status"] == "shipped"
        line = await order_line_row(db, line_id)
        assert (line.shipped_qty, line.reserved_qty) == (n * Q, (10 - n) * Q)
        assert await on_hand(db, product_id) == ((20 - n) * Q, (20 - n) * Q)
        assert await assert_reservations_consistent(db, product_id, sw.w.wh1) == (10 - n) * Q
        assert (await order_row(db, order_id)).status == ("partially_shipped" if n == 6 else "shipped")
        events = await status_events(db, "sales_order", order_id)
        assert events[-1] == ("approved", "partially_shipped" if n == 6 else "shipped"), events
        assert len(events) == 4, events  # draft, submitted, approved, then one shipment
        async with db.read() as conn:
            shipped = (
                await conn.execute(
                    select(func.sum(shipment_line.c.qty))
                    .join(shipment, shipment.c.id == shipment_line.c.shipment_id)
                    .where(shipment.c.order_id == order_id)
                )
            ).scalar_one()
        assert shipped == n * Q
        await assert_ledger_clean(db)
    # the refused shipments took no SH number
    assert await _shipment_numbers(db) == numbers_1_to("SH", clock.today().year, len(plan))


async def test_eight_shipments_of_two_against_ten_reserved(db, dbs, sw):
    """Ordered and reserved 10: eight shipments of 2 at once — five ship, three are refused; the
    order passes through partially shipped to shipped once."""
    year = clock.today().year
    total = 0
    for rnd in range(2):
        product_id = await stocked_product(db, sw, "10", "10")
        order_id, line_id = await approved_order(db, sw, product_id, "10")
        calls = [ship(order_id, line_id, "2", (sw.w.a1, sw.w.a2)[i % 2]) for i in range(8)]
        results = await race(dbs, calls, observer=db, hold=lock_row_sql("sales_order", order_id) if rnd == 1 else None)
        ok, failed = split(results)
        assert len(ok) == 5 and len(failed) == 3, results
        for f in failed:  # shipments queue on the order row: the sixth finds the order shipped
            assert codes(f) in (["INVALID_STATUS"], ["OVER_SHIPMENT"]), f.details
            if codes(f) == ["INVALID_STATUS"]:
                assert f.details[0].params["status"] == "shipped"
        line = await order_line_row(db, line_id)
        assert (line.shipped_qty, line.reserved_qty) == (10 * Q, 0)
        assert await on_hand(db, product_id) == (10 * Q, 10 * Q)
        assert await assert_reservations_consistent(db, product_id, sw.w.wh1) == 0
        assert (await order_row(db, order_id)).status == "shipped"
        events = await status_events(db, "sales_order", order_id)
        assert events[-2:] == [("approved", "partially_shipped"), ("partially_shipped", "shipped")], events
        total += 5
        await assert_ledger_clean(db)
    assert await _shipment_numbers(db) == numbers_1_to("SH", year, total)


# ---- 4: invoices -----------------------------------------------------------------------------------


async def shipped_line(db, sw, quantity: str) -> tuple[int, int, int, int]:
    """An order of ``quantity`` shipped in one shipment: (order, order line, shipment, shipment line)."""
    product_id = await stocked_product(db, sw, quantity)
    order_id, line_id = await approved_order(db, sw, product_id, quantity)
    shipment_id = await ship(order_id, line_id, quantity, sw.w.a1)(db)
    async with db.read() as conn:
        sl = (
            await conn.execute(select(shipment_line.c.id).where(shipment_line.c.shipment_id == shipment_id))
        ).scalar_one()
    return order_id, line_id, shipment_id, sl


def invoice_line(sw, sl_id: int, quantity: str | None) -> Call:
    return lambda d: do_create_invoice(
        d,
        InvoiceInput(customer_id=sw.retail, lines=[InvoiceLineInput(shipment_line_id=sl_id, quantity=quantity)]),
        ACCOUNTANT,
    )


def invoice_shipment(sw, shipment_id: int) -> Call:
    return lambda d: do_create_invoice(d, InvoiceInput(customer_id=sw.retail, shipment_ids=[shipment_id]), ACCOUNTANT)


async def _invoiced(db, sl_id: int, line_id: int) -> tuple[int, int, int, int, int]:
    """(shipment line invoiced, order line invoiced, Σ invoice line qty, Σ amount, Σ VAT)."""
    async with db.read() as conn:
        sl = (await conn.execute(select(shipment_line.c.invoiced_qty).where(shipment_line.c.id == sl_id))).scalar_one()
        ol = (
            await conn.execute(select(sales_order_line.c.invoiced_qty).where(sales_order_line.c.id == line_id))
        ).scalar_one()
        q, a, t = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(sales_invoice_line.c.qty), 0),
                    func.coalesce(func.sum(sales_invoice_line.c.amount_fen), 0),
                    func.coalesce(func.sum(sales_invoice_line.c.tax_fen), 0),
                ).where(sales_invoice_line.c.shipment_line_id == sl_id)
            )
        ).one()
    return int(sl), int(ol), int(q), int(a), int(t)


async def test_concurrent_invoices_of_one_shipment_line_never_exceed_the_shipment(db, dbs, sw):
    """Shipped 10: two invoices of 6 at once — one is issued, the other refused with OVER_INVOICE;
    then six "invoice the whole shipment" requests at once for the remaining 4 — one gets them."""
    year = clock.today().year
    issued = 0
    for rnd in range(2):
        order_id, line_id, shipment_id, sl = await shipped_line(db, sw, "10")
        gated = rnd == 1
        results = await race(
            dbs,
            [invoice_line(sw, sl, "6"), invoice_line(sw, sl, "6")],
            observer=db,
            hold=lock_row_sql("shipment_line", sl) if gated else None,
        )
        ok, failed = split(results)
        assert len(ok) == 1 and len(failed) == 1, results
        assert codes(failed[0]) == ["OVER_INVOICE"] and failed[0].details[0].params["open"] == "4", failed[0].details
        assert (await _invoiced(db, sl, line_id))[:3] == (6 * Q, 6 * Q, 6 * Q)
        assert (await order_row(db, order_id)).status == "shipped"

        results = await race(
            dbs,
            [invoice_shipment(sw, shipment_id) for _ in range(6)],
            observer=db,
            hold=lock_row_sql("shipment_line", sl) if gated else None,
        )
        ok, failed = split(results)
        assert len(ok) == 1 and len(failed) == 5, results
        assert all(codes(f) == ["OVER_INVOICE"] for f in failed), [f.details for f in failed]
        sl_inv, ol_inv, inv_qty, amount, tax = await _invoiced(db, sl, line_id)
        assert (sl_inv, ol_inv, inv_qty) == (10 * Q, 10 * Q, 10 * Q)
        line = await order_line_row(db, line_id)
        assert (amount, tax) == (line.amount_fen, line.tax_fen)  # the invoices add up to the order line
        assert (await order_row(db, order_id)).status == "invoiced"
        events = await status_events(db, "sales_order", order_id)
        assert events.count(("shipped", "invoiced")) == 1, events
        issued += 2
    async with db.read() as conn:
        numbers = sorted((await conn.execute(select(sales_invoice.c.number))).scalars())
    assert numbers == numbers_1_to("SI", year, issued)  # refused invoices took no number


@pytest.mark.parametrize("other", ["close-order", "ship-the-rest"])
async def test_invoicing_a_shipment_while_its_order_is_closed_or_shipped_again(db, dbs, sw, other):
    """Both actions are valid at once and should both go through. Free-running rounds, then the
    interleaving that always deadlocks: the invoice holds the order line and waits for its SI number
    (held by a blocker); the other action holds the order row and queues for the order line."""
    for rnd in range(3):
        product_id = await stocked_product(db, sw, "10", "10")
        order_id, line_id = await approved_order(db, sw, product_id, "10")
        first = await ship(order_id, line_id, "10" if other == "close-order" else "4", sw.w.a1)(db)
        second = (
            (lambda d: do_close_sales_order(d, order_id, SALES))
            if other == "close-order"
            else ship(order_id, line_id, "6", sw.w.a2)
        )
        calls = [invoice_shipment(sw, first), second]
        if rnd < 2:
            results = await race(dbs, calls, observer=db)
        else:

            async def take_an_si_number(conn):
                await next_number(conn, "SI", clock.today())

            results = await staged_race(dbs, calls, observer=db, hold=take_an_si_number)
        unexpected = [r for r in results if isinstance(r, BaseException)]
        assert not unexpected, results
        assert (await order_row(db, order_id)).status == ("closed" if other == "close-order" else "shipped")
        await assert_ledger_clean(db)


# ---- 5: customer receipts --------------------------------------------------------------------------


async def open_invoice(db, sw, quantity: str = "10") -> tuple[int, int]:
    _, _, shipment_id, _ = await shipped_line(db, sw, quantity)
    invoice_id = await invoice_shipment(sw, shipment_id)(db)
    async with db.read() as conn:
        row = (await conn.execute(select(sales_invoice).where(sales_invoice.c.id == invoice_id))).one()
    assert row.status == "open" and row.received_fen == 0
    return invoice_id, row.total_fen


def pay(sw, invoice_id: int, fen: int) -> Call:
    amount = str(fen_to_decimal(fen))
    return lambda d: do_record_customer_receipt(
        d,
        CustomerReceiptInput(customer_id=sw.retail, amount=amount, allocations=[Allocation(invoice_id, amount)]),
        CASHIER,
    )


async def _invoice_state(db, invoice_id: int):
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(sales_invoice.c.total_fen, sales_invoice.c.received_fen, sales_invoice.c.status).where(
                    sales_invoice.c.id == invoice_id
                )
            )
        ).one()
        allocated = (
            await conn.execute(
                select(func.coalesce(func.sum(receipt_allocation.c.amount_fen), 0)).where(
                    receipt_allocation.c.invoice_id == invoice_id
                )
            )
        ).scalar_one()
    return row, int(allocated)


async def _assert_receipts_consistent(db) -> None:
    """Every receipt's allocated part (amount − unallocated) equals its allocation rows; CR numbers
    are gap-free (refused receipts gave theirs back)."""
    async with db.read() as conn:
        receipts = (await conn.execute(select(customer_receipt))).all()
        per_receipt = dict(
            (
                await conn.execute(
                    select(receipt_allocation.c.receipt_id, func.sum(receipt_allocation.c.amount_fen)).group_by(
                        receipt_allocation.c.receipt_id
                    )
                )
            ).all()
        )
    for r in receipts:
        assert r.amount_fen - r.unallocated_fen == int(per_receipt.get(r.id, 0)), r
        assert r.unallocated_fen >= 0
    by_year = Counter(r.receipt_date.year for r in receipts)
    for year, n in by_year.items():
        assert sorted(r.number for r in receipts if r.receipt_date.year == year) == numbers_1_to("CR", year, n)


async def test_concurrent_receipts_never_overpay_an_invoice(db, dbs, sw):
    """Seven receipts of 30 % of the invoice at once: three are applied, four refused (OVER_PAYMENT).
    Six receipts of half the invoice at once: two settle it, the others are refused (OVER_PAYMENT,
    or INVALID_STATUS when they already find the invoice paid), and it is marked paid once."""
    for kind, gated in [("30%", False), ("30%", True), ("half", True)]:
        invoice_id, total = await open_invoice(db, sw)
        if kind == "30%":
            share, n, fit = total * 3 // 10, 7, 3  # three shares fit, a fourth does not
        else:
            assert total % 2 == 0
            share, n, fit = total // 2, 6, 2
        results = await race(
            dbs,
            [pay(sw, invoice_id, share) for _ in range(n)],
            observer=db,
            hold=lock_row_sql("sales_invoice", invoice_id) if gated else None,
        )
        ok, failed = split(results)
        assert len(ok) == fit and len(failed) == n - fit, results
        for f in failed:
            assert codes(f) in ((["OVER_PAYMENT"],) if kind == "30%" else (["OVER_PAYMENT"], ["INVALID_STATUS"])), (
                f.details
            )
        row, allocated = await _invoice_state(db, invoice_id)
        assert row.received_fen == allocated == fit * share <= row.total_fen
        events = await status_events(db, "sales_invoice", invoice_id)
        if kind == "30%":
            assert row.status == "open" and events == [("", "open")], (row, events)
        else:
            assert row.status == "paid" and events == [("", "open"), ("open", "paid")], (row, events)
        await _assert_receipts_consistent(db)


async def test_concurrent_advances_and_receipts_never_overpay_an_invoice(db, dbs, sw):
    """Advances (预收) applied at once to one invoice — no shared number sequence, the conditional
    UPDATE alone decides — mixed with direct receipts."""
    for rnd in range(2):
        invoice_id, total = await open_invoice(db, sw)
        share = total * 3 // 10
        amount = str(fen_to_decimal(share))
        advances = [
            await do_record_customer_receipt(db, CustomerReceiptInput(customer_id=sw.retail, amount=amount), CASHIER)
            for _ in range(5)
        ]
        calls = [lambda d, a=a: do_apply_advance(d, a, [Allocation(invoice_id, amount)], CASHIER) for a in advances]
        calls += [pay(sw, invoice_id, share) for _ in range(2)]
        results = await race(
            dbs, calls, observer=db, hold=lock_row_sql("sales_invoice", invoice_id) if rnd == 1 else None
        )
        ok, failed = split(results)
        assert len(ok) == 3 and len(failed) == len(calls) - 3, results
        assert all(codes(f) == ["OVER_PAYMENT"] for f in failed), [f.details for f in failed]
        row, allocated = await _invoice_state(db, invoice_id)
        assert row.received_fen == allocated == 3 * share <= row.total_fen
        async with db.read() as conn:
            left = dict(
                (
                    await conn.execute(
                        select(customer_receipt.c.id, customer_receipt.c.unallocated_fen).where(
                            customer_receipt.c.id.in_(advances)
                        )
                    )
                ).all()
            )
        for a, r in zip(advances, results):  # an applied advance is used up; a refused one is whole
            assert left[a] == (share if isinstance(r, SalesError) else 0), (a, r)
        await _assert_receipts_consistent(db)


# ---- 6: approvals -----------------------------------------------------------------------------------


async def _check_single_approval(db, sw, order_id: int, product_id: int, qty: int, results) -> None:
    ok, failed = split(results)
    assert ok == ["approved"], results
    assert len(failed) == len(results) - 1
    for f in failed:
        assert codes(f) == ["INVALID_STATUS"], f.details
        assert f.details[0].params["status"] == "approved", f.details
    row = await order_row(db, order_id)
    assert (row.status, row.approvals_done) == ("approved", 1)
    assert (await history_actions(db, order_id)).count("approved") == 1
    events = await status_events(db, "sales_order", order_id)
    assert events == [("", "draft"), ("draft", "submitted"), ("submitted", "approved")], events
    # reserved once, not once per approver
    assert await assert_reservations_consistent(db, product_id, sw.w.wh1) == qty * Q


async def test_two_managers_approving_at_once_approve_once(db, dbs, sw):
    """An order needing one approval: two sales managers approve it at once — one approves, the
    other finds it approved (INVALID_STATUS). The same for one manager's approval sent four times
    at once (double click, client retry). Either way it is approved and reserved once."""
    await do_change_sales_settings(db, SalesSettingsChange(auto_approve=False), ADMIN)
    pair = [SALES_MANAGER, SALES_MANAGER2]
    plan = [(pair, False), (pair[::-1], True), ([SALES_MANAGER] * 4, False), ([SALES_MANAGER] * 4, True)]
    for who, gated in plan:
        product_id = await stocked_product(db, sw, "50")
        order_id = await submitted_order(db, sw, product_id, "10")
        results = await race(
            dbs,
            [approve(order_id, m) for m in who],
            observer=db,
            hold=lock_row_sql("sales_order", order_id) if gated else None,
        )
        await _check_single_approval(db, sw, order_id, product_id, 10, results)
        async with db.read() as conn:
            winners = (
                (
                    await conn.execute(
                        select(sales_order_history.c.user_id).where(
                            sales_order_history.c.order_id == order_id, sales_order_history.c.action == "approved"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert len(winners) == 1 and winners[0] in {m.user_id for m in who}
    await assert_ledger_clean(db)


async def test_two_managers_approving_the_first_of_two_steps_sign_it_once(db, dbs, sw):
    """Two steps (sales manager, then admin): two managers at once sign the first step once; the
    second then finds the admin step and is refused (APPROVER_ROLE_REQUIRED); nothing is reserved."""
    await do_change_sales_settings(
        db, SalesSettingsChange(approval_thresholds=[("1", "sales_manager"), ("2", "admin")]), ADMIN
    )
    for rnd in range(2):
        product_id = await stocked_product(db, sw, "50")
        order_id = await submitted_order(db, sw, product_id, "10")
        results = await race(
            dbs,
            [approve(order_id, SALES_MANAGER), approve(order_id, SALES_MANAGER2)],
            observer=db,
            hold=lock_row_sql("sales_order", order_id) if rnd == 1 else None,
        )
        ok, failed = split(results)
        assert ok == ["submitted"] and len(failed) == 1, results
        assert codes(failed[0]) == ["APPROVER_ROLE_REQUIRED"], failed[0].details
        row = await order_row(db, order_id)
        assert (row.status, row.approvals_done) == ("submitted", 1)
        assert await reserved(db, product_id, sw.w.wh1) == 0
        assert await do_approve_sales_order(db, order_id, ADMIN) == "approved"
        assert await assert_reservations_consistent(db, product_id, sw.w.wh1) == 10 * Q


# ---- beyond the brief: the credit check on submission --------------------------------------------


async def test_orders_submitted_at_once_never_exceed_the_credit_limit_together(db, dbs, sw):
    """Credit limit 10,000.00; two orders of 5,650.00 (250 × 20.00 + 13 % VAT): one alone fits, both
    do not — one after the other the second is refused. Submitted at once, one must still be refused.
    The gated round makes both submissions run their credit check before either commits."""
    await do_change_sales_settings(db, SalesSettingsChange(credit_mode="refuse"), ADMIN)
    for rnd in range(2):
        customer_id = await do_create_partner(
            db, "customer", PartnerInput(code=f"CR{rnd:03d}", name=f"信用客户 {rnd}", credit_limit="10000")
        )
        product_id = await stocked_product(db, sw, "1000")
        orders = [await draft_order(db, sw, product_id, "250", customer=customer_id) for _ in range(2)]
        results = await race(
            dbs,
            [submit(o) for o in orders],
            observer=db,
            hold=lock_reservation(product_id, sw.w.wh1) if rnd == 0 else None,
        )
        ok, failed = split(results)
        assert ok == ["approved"] and len(failed) == 1, results
        assert codes(failed[0]) == ["CREDIT_LIMIT_EXCEEDED"], failed[0].details
