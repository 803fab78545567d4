"""Supplier and customer input types."""

from __future__ import annotations

import strawberry

from schema.enums import AddressKind, CreditRating, InvoiceType


@strawberry.input
class PartnerFilter:
    text: str | None = None
    active: bool | None = None


@strawberry.input
class PartnerInput:
    code: str | None = None
    name: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    tax_id: str | None = None
    payment_terms_days: int | None = strawberry.field(default=None, description="Suppliers only: days to pay.")
    currency: str | None = strawberry.field(default=None, description="Suppliers only: ISO 4217, default CNY.")
    bank_name: str | None = strawberry.field(default=None, description="Suppliers only.")
    bank_account: str | None = strawberry.field(default=None, description="Suppliers only.")
    credit_rating: CreditRating | None = strawberry.field(default=None, description="Customers only: A/B/C/D.")
    credit_limit: str | None = strawberry.field(default=None, description='Customers only: yuan; "" removes it.')
    invoice_title: str | None = strawberry.field(default=None, description="Customers only: 发票抬头.")
    invoice_type: InvoiceType | None = strawberry.field(default=None, description="Customers only: SPECIAL | NORMAL.")
    discount: str | None = strawberry.field(default=None, description='Customers only: e.g. "0.05".')
    salesperson: str | None = strawberry.field(default=None, description="Customers only: the salesperson's username.")


@strawberry.input
class AddressInput:
    kind: AddressKind
    address: str
    contact_name: str = ""
    phone: str = ""
    is_default: bool = False
