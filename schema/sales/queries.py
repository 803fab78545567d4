"""Sales queries: orders, pick lists, shipments, invoices, receipts, returns, receivables, the customer
view and settings."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.documents import (
    DocumentOrder,
    document_list,
    document_node,
    in_caller_warehouses,
    sorted_documents,
    with_party_and_warehouse,
)
from schema.relay import Connection, decode_id, paginate
from schema.sales.inputs import InvoiceFilter, SalesOrderFilter
from schema.sales.types import (
    CustomerOverview,
    CustomerReceipt,
    CustomerReceivable,
    PickSuggestion,
    SalesInvoice,
    SalesOrder,
    SalesReturn,
    SalesSettings,
    Shipment,
    TopProduct,
)
from schema.scalars import Money, Quantity
from server.auth import scope
from server.core import clock
from server.core.numbers import fen_to_decimal, scaled_to_decimal
from server.partners.models import customer
from server.sales import customers, invoicing, settings, shipping
from server.sales.models import customer_receipt, sales_invoice, sales_order, sales_return, shipment


def _documents(table, customer_id: strawberry.ID | None = None, **filters):
    return document_list(table, party_type="Customer", party_id=customer_id, **filters)


@strawberry.type
class SalesQuery:
    @strawberry.field(
        description="Sales orders, newest first unless `orderBy` says otherwise.", extensions=needs("sales.view")
    )
    async def sales_orders(
        self,
        info: Info,
        filter: SalesOrderFilter | None = None,
        order_by: DocumentOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SalesOrder]:
        f = filter or SalesOrderFilter()
        q = _documents(sales_order, f.customer_id, status=f.status, number=f.number)
        q = sorted_documents(q, sales_order, order_by, "order_date")
        q = in_caller_warehouses(info, q, sales_order.c.warehouse_id)
        q = with_party_and_warehouse(q, sales_order, customer)
        node = document_node(info, customer, info.context.loaders.partners.customer, SalesOrder.from_row)
        return await paginate(info, q, node, first=first, after=after)

    @strawberry.field(
        description="Where to pick the outstanding quantities of one or more orders (a wave).",
        extensions=needs("sales.view"),
    )
    async def pick_list(self, info: Info, order_ids: list[strawberry.ID]) -> list[PickSuggestion]:
        ids = [i for i in (decode_id(o, "SalesOrder") for o in order_ids) if i is not None]
        async with info.context.db.read() as conn:
            picks, _short = await shipping.pick_list(conn, ids)
        allowed = caller_warehouses(info)
        if allowed is not None:
            locations = await info.context.loaders.inventory.location.load_many([p.location_id for p in picks])
            picks = [p for p, loc in zip(picks, locations) if scope.allows(allowed, loc.warehouse_id)]
        return [
            PickSuggestion(
                quantity=Quantity(str(scaled_to_decimal(p.quantity, 0))),
                lot=p.lot_code,
                expiry_date=p.expiry_date,
                _order_id=p.order_id,
                _order_line_id=p.order_line_id,
                _product_id=p.product_id,
                _location_id=p.location_id,
            )
            for p in picks
        ]

    @strawberry.field(description="Shipments, newest first.", extensions=needs("sales.view"))
    async def shipments(
        self,
        info: Info,
        order_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Shipment]:
        q = _documents(shipment, customer_id)
        if order_id is not None:
            q = q.where(shipment.c.order_id == (decode_id(order_id, "SalesOrder") or 0))
        q = in_caller_warehouses(info, q, shipment.c.warehouse_id)
        return await paginate(info, q, Shipment.from_row, first=first, after=after)

    @strawberry.field(description="Invoices and credit notes, newest first.", extensions=needs("sales.view"))
    async def sales_invoices(
        self, info: Info, filter: InvoiceFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[SalesInvoice]:
        f = filter or InvoiceFilter()
        q = _documents(sales_invoice, f.customer_id, status=f.status, kind=f.kind)
        return await paginate(info, q, SalesInvoice.from_row, first=first, after=after)

    @strawberry.field(description="Customer receipts, newest first.", extensions=needs("sales.view"))
    async def customer_receipts(
        self, info: Info, customer_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerReceipt]:
        q = _documents(customer_receipt, customer_id)
        return await paginate(info, q, CustomerReceipt.from_row, first=first, after=after)

    @strawberry.field(description="Sales returns, newest first.", extensions=needs("sales.view"))
    async def sales_returns(
        self, info: Info, customer_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[SalesReturn]:
        q = _documents(sales_return, customer_id)
        return await paginate(info, q, SalesReturn.from_row, first=first, after=after)

    @strawberry.field(
        description="Receivables per customer with aging (应收账款账龄), as of a date.", extensions=needs("sales.view")
    )
    async def customer_receivables(
        self,
        info: Info,
        as_of: date | None = None,
        customer_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerReceivable]:
        cid = (decode_id(customer_id, "Customer") or 0) if customer_id is not None else None
        return await paginate(
            info,
            invoicing.receivables_query(as_of or clock.today(), cid),
            CustomerReceivable.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="A customer at a glance: open orders, receivables and aging, top products.",
        extensions=needs("sales.view"),
    )
    async def customer_overview(
        self, info: Info, customer_id: strawberry.ID, start: date | None = None, end: date | None = None, top: int = 10
    ) -> CustomerOverview | None:
        cid = decode_id(customer_id, "Customer")
        if cid is None:
            return None
        end = end or clock.today()
        async with info.context.db.read() as conn:
            o = await customers.customer_overview(
                conn, cid, start or end - timedelta(days=365), end, min(max(top, 1), 100)
            )

        def m(fen):
            return Money(str(fen_to_decimal(fen)))

        return CustomerOverview(
            open_orders=o.open_orders,
            open_orders_total=m(o.open_orders_fen),
            exposure=m(o.exposure_fen),
            invoiced=m(o.invoiced_fen),
            receivable=CustomerReceivable.from_row(o.receivables) if o.receivables is not None else None,
            top_products=[
                TopProduct(
                    quantity=Quantity(str(scaled_to_decimal(t.quantity, 0))),
                    amount=m(t.amount_fen),
                    _product_id=t.product_id,
                )
                for t in o.top_products
            ],
        )

    @strawberry.field(extensions=needs("sales.view"))
    async def sales_settings(self, info: Info) -> SalesSettings:
        async with info.context.db.read() as conn:
            return SalesSettings.from_settings(await settings.load_sales_settings(conn))
