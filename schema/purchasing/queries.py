"""Purchasing queries: orders, receipts, returns, bills, payments, supplier prices, scorecards and
rankings, payables, settings."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.documents import (
    DocumentOrder,
    document_list,
    document_node,
    in_caller_warehouses,
    sorted_documents,
    with_party_and_warehouse,
)
from schema.purchasing.inputs import PurchaseOrderFilter, ScorecardWeightsInput, SupplierBillFilter
from schema.purchasing.types import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseReturn,
    PurchaseSettings,
    SupplierBill,
    SupplierPayable,
    SupplierPayment,
    SupplierPrice,
    SupplierRanking,
    SupplierScorecard,
)
from schema.relay import Connection, decode_id, paginate
from schema.scalars import Decimal_
from server.core import clock
from server.partners.models import supplier
from server.purchasing import bills, prices, scorecard, settings
from server.purchasing.models import (
    goods_receipt,
    purchase_order,
    purchase_return,
    supplier_bill,
    supplier_payment,
    supplier_price,
)


def _documents(table, supplier_id: strawberry.ID | None = None, **filters):
    return document_list(table, party_type="Supplier", party_id=supplier_id, **filters)


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today()
    return start or end - timedelta(days=365), end


@strawberry.type
class PurchasingQuery:
    @strawberry.field(
        description="Purchase orders, newest first unless `orderBy` says otherwise.", extensions=needs("purchase.view")
    )
    async def purchase_orders(
        self,
        info: Info,
        filter: PurchaseOrderFilter | None = None,
        order_by: DocumentOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PurchaseOrder]:
        f = filter or PurchaseOrderFilter()
        q = _documents(purchase_order, f.supplier_id, status=f.status, number=f.number)
        q = sorted_documents(q, purchase_order, order_by, "order_date")
        q = in_caller_warehouses(info, q, purchase_order.c.warehouse_id)
        q = with_party_and_warehouse(q, purchase_order, supplier)
        node = document_node(info, supplier, info.context.loaders.partners.supplier, PurchaseOrder.from_row)
        return await paginate(info, q, node, first=first, after=after)

    @strawberry.field(description="Goods receipts, newest first.", extensions=needs("purchase.view"))
    async def goods_receipts(
        self,
        info: Info,
        order_id: strawberry.ID | None = None,
        supplier_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[GoodsReceipt]:
        q = _documents(goods_receipt, supplier_id)
        if order_id is not None:
            q = q.where(goods_receipt.c.order_id == (decode_id(order_id, "PurchaseOrder") or 0))
        q = in_caller_warehouses(info, q, goods_receipt.c.warehouse_id)
        return await paginate(info, q, GoodsReceipt.from_row, first=first, after=after)

    @strawberry.field(description="Purchase returns, newest first.", extensions=needs("purchase.view"))
    async def purchase_returns(
        self, info: Info, supplier_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[PurchaseReturn]:
        q = _documents(purchase_return, supplier_id)
        return await paginate(info, q, PurchaseReturn.from_row, first=first, after=after)

    @strawberry.field(description="Supplier bills and debit notes, newest first.", extensions=needs("purchase.view"))
    async def supplier_bills(
        self, info: Info, filter: SupplierBillFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[SupplierBill]:
        f = filter or SupplierBillFilter()
        q = _documents(supplier_bill, f.supplier_id, status=f.status, kind=f.kind)
        return await paginate(info, q, SupplierBill.from_row, first=first, after=after)

    @strawberry.field(description="Payments to suppliers, newest first.", extensions=needs("purchase.view"))
    async def supplier_payments(
        self, info: Info, supplier_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[SupplierPayment]:
        q = _documents(supplier_payment, supplier_id)
        return await paginate(info, q, SupplierPayment.from_row, first=first, after=after)

    @strawberry.field(
        description="Supplier prices, optionally only those valid on a date.", extensions=needs("purchase.view")
    )
    async def supplier_prices(
        self,
        info: Info,
        product_id: strawberry.ID | None = None,
        supplier_id: strawberry.ID | None = None,
        valid_on: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SupplierPrice]:
        q = select(supplier_price).order_by(
            supplier_price.c.product_id,
            supplier_price.c.supplier_id,
            supplier_price.c.valid_from.desc(),
            supplier_price.c.id,
        )
        if supplier_id is not None:
            q = q.where(supplier_price.c.supplier_id == (decode_id(supplier_id, "Supplier") or 0))
        if product_id is not None:
            q = q.where(supplier_price.c.product_id == (decode_id(product_id, "Product") or 0))
        if valid_on is not None:
            q = q.where(prices.valid_on(valid_on))
        return await paginate(info, q, SupplierPrice.from_row, first=first, after=after)

    @strawberry.field(
        description="A supplier's scorecard over a period (default: the last 365 days).",
        extensions=needs("purchase.view"),
    )
    async def supplier_scorecard(
        self, info: Info, supplier_id: strawberry.ID, start: date | None = None, end: date | None = None
    ) -> SupplierScorecard | None:
        sid = decode_id(supplier_id, "Supplier")
        if sid is None:
            return None
        start, end = _period(start, end)
        async with info.context.db.read() as conn:
            return SupplierScorecard.from_card(await scorecard.supplier_scorecard(conn, sid, start, end))

    @strawberry.field(
        description="The suppliers of a product ranked by weighted score (供应商选择).",
        extensions=needs("purchase.view"),
    )
    async def rank_suppliers(
        self,
        info: Info,
        product_id: strawberry.ID,
        start: date | None = None,
        end: date | None = None,
        weights: ScorecardWeightsInput | None = None,
    ) -> list[SupplierRanking]:
        pid = decode_id(product_id, "Product")
        if pid is None:
            return []
        start, end = _period(start, end)
        async with info.context.db.read() as conn:
            ranked = await scorecard.rank_suppliers(conn, pid, start, end, weights.as_dict() if weights else None)
        return [
            SupplierRanking(
                score=Decimal_(str(r.score)),
                preferred=r.preferred,
                lead_time_days=None if r.lead_time_days is None else Decimal_(str(r.lead_time_days)),
                scorecard=SupplierScorecard.from_card(r.scorecard),
                _price=r.unit_price_micro,
            )
            for r in ranked
        ]

    @strawberry.field(
        description="Payables per supplier with aging by due date (应付账款账龄).", extensions=needs("purchase.view")
    )
    async def supplier_payables(
        self,
        info: Info,
        as_of: date | None = None,
        supplier_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SupplierPayable]:
        sid = decode_id(supplier_id, "Supplier") or 0 if supplier_id is not None else None
        q = bills.payables_query(as_of or clock.today(), sid)
        return await paginate(info, q, SupplierPayable.from_row, first=first, after=after)

    @strawberry.field(extensions=needs("purchase.view"))
    async def purchase_settings(self, info: Info) -> PurchaseSettings:
        async with info.context.db.read() as conn:
            return PurchaseSettings.from_settings(await settings.load_purchase_settings(conn))
