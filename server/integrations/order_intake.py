"""Order intake (订单接入): a shop's or an ERP's order becomes a sales order exactly once (issue #22).

A platform (its *source*, ``shop:taobao``) sends its order number with the buyer (a customer by our id or
by the id the source knows it by), the lines (products by our id, the source's id or the SKU), its prices,
the consignee and its own order status. ``do_intake_sales_order``:

* the first time, creates the sales order through the sales domain's own action, links the order number
  (``external_ref``, entity type ``sales_order``), keeps the platform's side beside ours
  (``sales_order_intake``: its status, the consignee) and submits the order as a clerk would — all in one
  write transaction, so a refused order leaves nothing behind: the credit check and the approval rules
  apply, an order that needs no approval is approved and reserves its stock at once. When submitting is
  refused (not enough stock to reserve, the credit limit in ``refuse`` mode) that transaction rolls back
  and the order is taken again as a draft with the refusal kept on the intake (``hold``): nothing the
  platform sold is lost, and a clerk sees why it waits;
* every later time (the platform resends, however often), changes nothing but the platform's status when
  it differs; a draft held because it could not be submitted is tried again (stock may have arrived) —
  a draft a clerk made of it (反审核 to edit it) is theirs and left alone. The lines of a taken order
  are never changed by a resend: the order is ours now. ``holdCode`` shows only while the order is a
  draft (a clerk may submit a held order themselves).

Prices are the platform's, VAT-inclusive by default, with no customer discount unless the line names one.
Two deliveries of one order at once make one order: on PostgreSQL the transaction takes the advisory lock
of the external id first (``external_ids._lock``), SQLite runs one writer at a time; an insert that still
loses a race reads the winner's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.master_records import TextRules
from server.integrations.errors import IntegrationError
from server.integrations.external_ids import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Outcome,
    _add_ref,
    _entity_of,
    _InTransaction,
    _lock,
    check_ref,
)
from server.integrations.models import sales_order_intake
from server.sales import orders
from server.sales.errors import SalesError
from server.sales.models import sales_order

#: submitting refused for one of these keeps the order as a draft (``hold``); any other refusal is a bug
HOLD_CODES = ("INSUFFICIENT_STOCK", "CREDIT_LIMIT_EXCEEDED")


@dataclass
class IntakeLine:
    """One line: the product by exactly one of ``product_id``, ``product_external_id`` (the source's id
    of it, from ``upsertProduct``) or ``sku``."""

    quantity: str
    product_id: int | None = None
    product_external_id: str | None = None
    sku: str | None = None
    unit_id: int | None = None
    unit_price: str | None = None  # per unit, incl. VAT when the order is; default: the product's sale price
    discount: str | None = None  # default: none (the platform's prices are final)
    vat_rate: str | None = None


@dataclass
class OrderIntake:
    source: str
    external_order_id: str  # the platform's order number
    warehouse_id: int
    lines: list[IntakeLine] = field(default_factory=list)
    customer_id: int | None = None  # or:
    customer_external_id: str | None = None  # the source's id of the buyer (``upsertCustomer``)
    prices_include_vat: bool = True
    order_date: date | None = None
    platform_status: str = ""  # the platform's own status, kept as it sends it (e.g. WAIT_SELLER_SEND_GOODS)
    consignee_name: str = ""
    consignee_phone: str = ""
    ship_address: str = ""
    note: str = ""


@dataclass(frozen=True)
class IntakeResult:
    order_id: int
    outcome: Outcome  # created | updated (the platform's status, or a held draft submitted) | unchanged
    status: str  # our status now: draft (held), submitted (waits for approval), approved (reserved)
    hold: SalesError | None = None  # why a draft is held; None once submitted


def _texts(data: OrderIntake) -> dict[str, str]:
    """The platform's side, checked against the columns it goes to (all problems at once)."""
    rules = TextRules(IntegrationError)
    cols = sales_order_intake.c
    values = {
        "platform_status": rules.text(data.platform_status, "platformStatus", cols.platform_status),
        "consignee_name": rules.text(data.consignee_name, "consigneeName", cols.consignee_name),
        "consignee_phone": rules.text(data.consignee_phone, "consigneePhone", cols.consignee_phone),
        "ship_address": rules.text(data.ship_address, "shipAddress", cols.ship_address),
    }
    c = rules
    c.check(
        (data.customer_id is None) != (data.customer_external_id is None),
        "INVALID_VALUE",
        "customerId",
        detail="customerId or customerExternalId",
    )
    for i, ln in enumerate(data.lines):
        named = [x for x in (ln.product_id, ln.product_external_id, ln.sku) if x is not None]
        c.check(len(named) == 1, "INVALID_VALUE", f"lines.{i}.productId", detail="productId, productExternalId or sku")
    rules.raise_if_any()
    return {k: cast(str, v) for k, v in values.items()}


async def _resolve(conn, data: OrderIntake) -> orders.SalesOrderInput:
    """The sales order the intake names: the buyer and the products looked up by the source's ids or the
    SKU; an unknown one is ``NOT_FOUND`` on its field (every line at once)."""
    c = TextRules(IntegrationError)
    customer_id = data.customer_id
    if data.customer_external_id is not None:
        customer_id = await _entity_of(conn, data.source, "customer", data.customer_external_id)
        c.check(customer_id is not None, "NOT_FOUND", "customerExternalId", what="customer")
    skus = sorted({ln.sku.strip() for ln in data.lines if ln.sku})
    by_sku = dict((await conn.execute(select(product.c.sku, product.c.id).where(product.c.sku.in_(skus)))).all())
    lines: list[orders.SalesLineInput] = []
    for i, ln in enumerate(data.lines):
        product_id = ln.product_id
        if ln.product_external_id is not None:
            product_id = await _entity_of(conn, data.source, "product", ln.product_external_id)
            c.check(product_id is not None, "NOT_FOUND", f"lines.{i}.productExternalId", what="product")
        elif ln.sku is not None:
            product_id = by_sku.get(ln.sku.strip())
            c.check(product_id is not None, "NOT_FOUND", f"lines.{i}.sku", what="product")
        lines.append(
            orders.SalesLineInput(
                product_id=product_id or 0,
                quantity=ln.quantity,
                unit_id=ln.unit_id,
                unit_price=ln.unit_price,
                discount="0" if ln.discount is None else ln.discount,
                vat_rate=ln.vat_rate,
            )
        )
    c.raise_if_any()
    return orders.SalesOrderInput(
        customer_id=cast(int, customer_id),
        warehouse_id=data.warehouse_id,
        lines=lines,
        prices_include_vat=data.prices_include_vat,
        order_date=data.order_date,
        note=data.note,
    )


class _Held(Exception):
    """Submitting a new order was refused for a reason that keeps it as a draft (``HOLD_CODES``)."""

    def __init__(self, error: SalesError):
        self.error = error


@dataclass(frozen=True)
class _Taken:
    order_id: int
    status: str
    new: bool
    status_changed: bool = False
    held: bool = False  # a draft intake kept because submitting it was refused (``hold_code``)


async def _take(
    db: Database, data: OrderIntake, texts: dict[str, str], principal: Principal | None, hold: SalesError | None
) -> _Taken:
    """One write transaction: the order taken before (its platform status updated when it differs), or a
    new order with its external id and the platform's side, submitted in the same transaction — unless
    ``hold`` says why it cannot be (then it is kept as a draft with that reason). A submit refused for a
    hold reason raises ``_Held``: everything rolls back and the caller takes the order again, held."""
    async with db.write() as conn:
        await _lock(conn, data.source, "sales_order", data.external_order_id)
        known = await _entity_of(conn, data.source, "sales_order", data.external_order_id)
        if known is not None:
            row = (
                await conn.execute(
                    select(sales_order_intake, sales_order.c.status)
                    .join(sales_order, sales_order.c.id == sales_order_intake.c.order_id)
                    .where(sales_order_intake.c.order_id == known)
                )
            ).one()
            held = row.status == "draft" and row.hold_code != ""
            if row.platform_status == texts["platform_status"]:
                return _Taken(known, row.status, new=False, held=held)
            await conn.execute(
                update(sales_order_intake)
                .where(sales_order_intake.c.order_id == known)
                .values(platform_status=texts["platform_status"], platform_status_at=utcnow())
            )
            note_change(
                conn,
                f"sales_order_intake:{known}",
                before={"platform_status": row.platform_status},
                after={"platform_status": texts["platform_status"]},
            )
            return _Taken(known, row.status, new=False, status_changed=True, held=held)
        order_input = await _resolve(conn, data)
        tx = cast(Database, _InTransaction(db, conn))
        order_id = await orders.do_create_sales_order(tx, order_input, principal)
        await _add_ref(conn, data.source, "sales_order", data.external_order_id, order_id)
        now = utcnow()
        values = dict(
            order_id=order_id,
            source=data.source,
            external_order_id=data.external_order_id,
            **texts,
            platform_status_at=now,
            hold_code="" if hold is None else hold.details[0].code,
            received_at=now,
        )
        await conn.execute(insert(sales_order_intake).values(**values))
        note_change(conn, f"sales_order_intake:{order_id}", after=values)
        if hold is not None:
            return _Taken(order_id, "draft", new=True)
        try:
            status = await orders.do_submit_sales_order(tx, order_id, principal)
        except SalesError as exc:
            if {d.code for d in exc.details} & set(HOLD_CODES):
                raise _Held(exc) from exc
            raise
        return _Taken(order_id, status, new=True)


async def _status(db: Database, order_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(sales_order.c.status).where(sales_order.c.id == order_id))).scalar_one()


async def _submit(db: Database, order_id: int, principal: Principal | None) -> tuple[str, SalesError | None, bool]:
    """Submit a held draft again: ``(status, hold, submitted by this call)``. A refusal of ``HOLD_CODES``
    is kept on the intake and the order stays a draft; an order no longer a draft (another delivery of
    it submitted it meanwhile, or a clerk did) is left as it is."""
    try:
        status = await orders.do_submit_sales_order(db, order_id, principal)
    except SalesError as exc:
        codes = {d.code for d in exc.details}
        if codes == {"INVALID_STATUS"}:
            return await _status(db, order_id), None, False
        if not codes & set(HOLD_CODES):
            raise
        await _note_hold(db, order_id, exc.details[0].code)
        return "draft", exc, False
    await _note_hold(db, order_id, "")
    return status, None, True


async def _note_hold(db: Database, order_id: int, code: str) -> None:
    """Keep why the order waits ("" once submitted); writes nothing when that is what is kept already."""
    cond = (sales_order_intake.c.order_id == order_id) & (sales_order_intake.c.hold_code != code)
    async with db.read() as conn:
        if (await conn.execute(select(sales_order_intake.c.order_id).where(cond))).first() is None:
            return
    async with db.write() as conn:
        await conn.execute(update(sales_order_intake).where(cond).values(hold_code=code))


async def do_intake_sales_order(db: Database, data: OrderIntake, principal: Principal | None = None) -> IntakeResult:
    """Take a platform's order (module docstring). Needs ``sales.order.edit`` and the warehouse in scope."""
    scope.require(principal, "sales.order.edit", IntegrationError)
    check_ref(data.source, data.external_order_id)
    texts = _texts(data)
    hold: SalesError | None = None
    clashes = 0
    while True:  # ends: _Held comes at most once (then ``hold`` is set), an IntegrityError at most twice
        try:
            taken = await _take(db, data, texts, principal, hold)
            break
        except _Held as held:  # take it again, as a draft that says why
            hold = held.error
        except IntegrityError:  # the same order number recorded by another writer: read it again
            clashes += 1
            if clashes > 1:
                raise
    if taken.new:
        return IntakeResult(taken.order_id, CREATED, taken.status, hold)
    if not taken.held:  # submitted, or a draft a clerk keeps (e.g. un-approved to edit it): left alone
        return IntakeResult(taken.order_id, UPDATED if taken.status_changed else UNCHANGED, taken.status)
    status, again_held, submitted = await _submit(db, taken.order_id, principal)  # held: stock may have arrived
    outcome = UPDATED if taken.status_changed or submitted else UNCHANGED
    return IntakeResult(taken.order_id, outcome, status, again_held)


__all__ = ["HOLD_CODES", "IntakeLine", "IntakeResult", "OrderIntake", "do_intake_sales_order"]
