"""Opening-balance input types (期初建账)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.scalars import Money, Quantity


@strawberry.enum(description="The kind of an open item carried over from the old books.")
class OpeningItemKind(Enum):
    RECEIVABLE = "receivable"  # 应收: an open sales invoice of a customer
    PAYABLE = "payable"  # 应付: an open supplier bill
    CUSTOMER_ADVANCE = "customer_advance"  # 预收: money received from a customer, not yet applied
    SUPPLIER_PREPAYMENT = "supplier_prepayment"  # 预付: money paid to a supplier, not yet used


@strawberry.input(description="Stock on a shelf at go-live, at its unit cost or its exact line amount.")
class OpeningStockInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_cost: Money | None = strawberry.field(default=None, description="Per unit of unitId (yuan, up to 6 decimals).")
    amount: Money | None = strawberry.field(default=None, description="The line's exact value; overrides unitCost.")
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None


@strawberry.input(description="An open item of the old books: its own number, date, due date and amount.")
class OpeningItemInput:
    kind: OpeningItemKind
    partner_id: strawberry.ID = strawberry.field(description="A Customer (receivables, advances) or a Supplier.")
    number: str
    document_date: date
    amount: Money
    due_date: date | None = None


@strawberry.input(description="The balance of a balance-sheet account: a debit or a credit.")
class OpeningAccountInput:
    account_code: str
    debit: Money = Money("0")
    credit: Money = Money("0")


@strawberry.input
class OpeningInput:
    stock: list[OpeningStockInput] = strawberry.field(default_factory=list)
    items: list[OpeningItemInput] = strawberry.field(default_factory=list)
    accounts: list[OpeningAccountInput] = strawberry.field(default_factory=list)
    memo: str = ""
