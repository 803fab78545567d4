"""What an endpoint can subscribe to, which journal events that selects, and the payload (version 1)
each event is delivered as — the format documented in docs/integrations.md.

Ids in payloads are the GraphQL API's global ids (``server/core/global_ids.py``, the same as
``schema/relay.py::to_global_id``); quantities are decimal strings in the product's base unit, amounts
decimal strings in yuan, times ISO 8601 in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.core.global_ids import encode
from server.core.numbers import fen_to_decimal, scaled_to_decimal
from server.events.types import (
    AVAILABLE_TO_SELL,
    COUNT_POSTED,
    DOCUMENT_STATUS_CHANGED,
    LOT_EXPIRING,
    MONEY_APPLIED,
    STOCK_CHANGED,
    STOCK_LOW,
    WEBHOOK_DISABLED,
    AvailableToSell,
    CountPosted,
    DocumentStatusChanged,
    EventData,
    LotExpiring,
    MoneyApplied,
    StockChanged,
    StockLow,
    WebhookDisabled,
)

VERSION = 1

# the API type of each document table (as schema/live.py names them)
DOCUMENT_TYPES = {
    "purchase_order": "PurchaseOrder",
    "goods_receipt": "GoodsReceipt",
    "purchase_return": "PurchaseReturn",
    "supplier_bill": "SupplierBill",
    "supplier_payment": "SupplierPayment",
    "sales_order": "SalesOrder",
    "shipment": "Shipment",
    "sales_invoice": "SalesInvoice",
    "customer_receipt": "CustomerReceipt",
    "sales_return": "SalesReturn",
    "transfer_order": "Transfer",
    "stock_count": "StockCount",
    "production_order": "ProductionOrder",
    "expense_bill": "ExpenseBill",
    "expense_payment": "ExpensePayment",
}
SHIPMENT_DOCUMENTS = frozenset({"shipment"})
INVOICE_DOCUMENTS = frozenset({"sales_invoice", "supplier_bill"})
PAYMENT_DOCUMENTS = frozenset({"supplier_payment", "customer_receipt", "expense_payment"})


@dataclass(frozen=True)
class Kind:
    """One thing an endpoint can subscribe to: a journal event type, optionally only some documents."""

    event_type: str
    documents: frozenset[str] | None = None  # document.status_changed of these doc types only
    zh: str = ""
    en: str = ""

    def selects(self, ev: EventData) -> bool:
        if ev.event_type != self.event_type:
            return False
        return self.documents is None or (isinstance(ev, DocumentStatusChanged) and ev.doc_type in self.documents)


# the subscription kinds, stored by name in webhook_endpoint.event_types (the API's WebhookEventType)
KINDS: dict[str, tuple[Kind, ...]] = {
    "stock_changed": (Kind(STOCK_CHANGED, zh="库存变动", en="Stock changed"),),
    "stock_low": (Kind(STOCK_LOW, zh="低于安全库存", en="Stock below the reorder minimum"),),
    "available_to_sell": (Kind(AVAILABLE_TO_SELL, zh="可售库存变动", en="Available to sell changed"),),
    "stock_count_posted": (Kind(COUNT_POSTED, zh="盘点过账", en="Stock count posted"),),
    "lot_expiring": (Kind(LOT_EXPIRING, zh="批次临期", en="Lot expiring"),),
    "document_status": (Kind(DOCUMENT_STATUS_CHANGED, zh="单据状态（全部）", en="Document status (all)"),),
    "shipment": (Kind(DOCUMENT_STATUS_CHANGED, SHIPMENT_DOCUMENTS, zh="发货单状态", en="Shipment status"),),
    "invoice": (
        Kind(DOCUMENT_STATUS_CHANGED, INVOICE_DOCUMENTS, zh="销售/采购发票状态", en="Invoice and bill status"),
    ),
    "payment": (
        Kind(DOCUMENT_STATUS_CHANGED, PAYMENT_DOCUMENTS, zh="收付款", en="Payments and receipts"),
        Kind(MONEY_APPLIED, zh="预收/预付款核销", en="Advances and prepayments applied"),
    ),
    "webhook_disabled": (Kind(WEBHOOK_DISABLED, zh="Webhook 端点被停用", en="A webhook endpoint was disabled"),),
}
JOURNAL_TYPES = frozenset(k.event_type for kinds in KINDS.values() for k in kinds)


@dataclass(frozen=True)
class Selection:
    """What one endpoint wants: its kinds and filters (categories with their sub-categories expanded)."""

    kinds: tuple[Kind, ...]
    warehouse_ids: frozenset[int]  # empty: every warehouse
    category_ids: frozenset[int] | None  # None: every category

    @classmethod
    def of(cls, event_types: list[str], warehouse_ids: list[int], category_ids: frozenset[int] | None) -> Selection:
        return cls(
            tuple(k for name in event_types for k in KINDS.get(name, ())), frozenset(warehouse_ids), category_ids
        )

    def wants(self, ev: EventData, category_of: Callable[[int], int | None]) -> bool:
        if not any(k.selects(ev) for k in self.kinds):
            return False
        if self.warehouse_ids:
            warehouse_id = getattr(ev, "warehouse_id", None)
            if warehouse_id not in self.warehouse_ids:  # an event of no warehouse passes no warehouse filter
                return False
        if self.category_ids is not None:
            product_id = ev.journal_product_id
            if product_id is None or category_of(product_id) not in self.category_ids:
                return False
        return True


def _gid(type_name: str, pk: int | None) -> dict | None:
    return None if pk is None else {"id": encode(type_name, pk)}


def _qty(scaled: int) -> str:
    return str(scaled_to_decimal(scaled, 0))


def _money(fen: int | None) -> str | None:
    return None if fen is None else str(fen_to_decimal(fen))


def _data(ev: EventData) -> dict[str, Any]:
    if isinstance(ev, StockChanged):
        return {
            "product": _gid("Product", ev.product_id),
            "warehouse": _gid("Warehouse", ev.warehouse_id),
            "location": _gid("Location", ev.location_id),
            "lot": _gid("Lot", ev.lot_id),
            "delta": _qty(ev.delta),
            "quantity": _qty(ev.quantity),
            "move": _gid("StockMove", ev.move_id),
            "operation": _gid("StockOperation", ev.operation_id),
            "moveType": ev.move_type,
        }
    if isinstance(ev, StockLow):
        return {
            "product": _gid("Product", ev.product_id),
            "warehouse": _gid("Warehouse", ev.warehouse_id),
            "available": _qty(ev.available),
            "minQuantity": _qty(ev.min_qty),
            "maxQuantity": _qty(ev.max_qty),
        }
    if isinstance(ev, AvailableToSell):
        return {
            "product": _gid("Product", ev.product_id),
            "warehouse": _gid("Warehouse", ev.warehouse_id),
            "availableToSell": _qty(ev.available),
            "net": _qty(ev.net),
            "onHand": _qty(ev.on_hand),
            "reserved": _qty(ev.reserved),
            "safetyStock": _qty(ev.safety),
            "previousAvailableToSell": _qty(ev.previous_available),
        }
    if isinstance(ev, CountPosted):
        return {
            "count": _gid("StockCount", ev.count_id),
            "number": ev.number,
            "warehouse": _gid("Warehouse", ev.warehouse_id),
            "gain": _money(ev.gain_fen),
            "loss": _money(ev.loss_fen),
        }
    if isinstance(ev, LotExpiring):
        return {
            "lot": _gid("Lot", ev.lot_id),
            "product": _gid("Product", ev.product_id),
            "code": ev.code,
            "expiryDate": ev.expiry_date.isoformat(),
            "warehouse": _gid("Warehouse", ev.warehouse_id),
        }
    if isinstance(ev, DocumentStatusChanged):
        out: dict[str, Any] = {
            "documentType": DOCUMENT_TYPES.get(ev.doc_type, ev.doc_type),
            "document": _gid(DOCUMENT_TYPES.get(ev.doc_type, ev.doc_type), ev.id),
            "number": ev.number,
            "fromStatus": ev.from_status,
            "toStatus": ev.to_status,
            "actor": ev.actor,
            "warehouse": _gid("Warehouse", ev.warehouse_id),
        }
        if ev.order_id is not None:
            order_type = "SalesOrder" if ev.doc_type in ("shipment", "sales_return") else "PurchaseOrder"
            out["order"] = _gid(order_type, ev.order_id)
        if ev.kind is not None:
            out["kind"] = ev.kind
        if ev.allocated_fen is not None:
            out["allocated"] = _money(ev.allocated_fen)
        return out
    if isinstance(ev, MoneyApplied):
        payable = ev.side == "payable"
        return {
            "side": ev.side,
            "money": _gid("SupplierPayment" if payable else "CustomerReceipt", ev.money_id),
            "party": _gid("Supplier" if payable else "Customer", ev.party_id),
            "amount": _money(ev.amount_fen),
            "date": ev.on.isoformat(),
            "number": ev.number,
        }
    if isinstance(ev, WebhookDisabled):
        return {
            "endpoint": _gid("WebhookEndpoint", ev.endpoint_id),
            "name": ev.name,
            "url": ev.url,
            "owner": ev.owner,
            "reason": ev.reason,
        }
    return {}  # pragma: no cover - every kind above has its data


def message_id(seq: int) -> str:
    """The ``webhook-id`` of a journal event: the same for every endpoint, every retry and every replay."""
    return f"evt_{seq}"


def payload(seq: int, ev: EventData, created_at: datetime) -> dict[str, Any]:
    return {
        "version": VERSION,
        "id": message_id(seq),
        "sequence": seq,
        "type": ev.event_type,
        "occurredAt": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": _data(ev),
    }


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
